import { hash } from 'crypto';

/**
 * SHA-256 (FIPS 180-4) of a string as 16 UTF-16 code units, 16 bits of the digest each, most
 * significant first: the same digest as Node's `crypto.hash('sha256', text)` (which answers any
 * string that is not ASCII), in the form that costs a request least to make and to look up: one
 * string of 16 units, where the hex is 64 characters built one by one and hashed again by the
 * cache's `Map`. {@link digestHex} gives the hex that is stored.
 *
 * Why not OpenSSL or a library on this path: a key is hashed on every request, and inside a
 * request the hash runs cold. Measured there (check() p50, in-request.mjs, same sitting), with
 * everything else equal: OpenSSL's one-shot call about 44 µs, hash-wasm about 63, @noble/hashes
 * about 70, js-sha256 about 80, this loop about 28 (V8 compiles it after a few requests because
 * it loops; the others run through a native call or classes in baseline code). SHA-256 has no
 * branch or table lookup that depends on its input, so this adds no timing signal either. The
 * tests compare it with OpenSSL on every length from 0 to 300 and on random strings.
 */
export function sha256Digest(text: string): string {
  const length = text.length;
  let h0 = 0x6a09e667 | 0;
  let h1 = 0xbb67ae85 | 0;
  let h2 = 0x3c6ef372 | 0;
  let h3 = 0xa54ff53a | 0;
  let h4 = 0x510e527f | 0;
  let h5 = 0x9b05688c | 0;
  let h6 = 0x1f83d9ab | 0;
  let h7 = 0x5be0cd19 | 0;
  // The message, a 0x80 byte, zeros, and its length in bits as 64 bits: whole 64-byte blocks.
  const blocks = ((length + 8) >>> 6) + 1;
  const w = W;
  for (let block = 0; block < blocks; block++) {
    const start = block << 6;
    for (let i = 0; i < 16; i++) {
      const at = start + (i << 2);
      let word: number;
      if (at + 3 < length) {
        const a = text.charCodeAt(at);
        const b = text.charCodeAt(at + 1);
        const c = text.charCodeAt(at + 2);
        const d = text.charCodeAt(at + 3);
        if ((a | b | c | d) > 0x7f) {
          // Not one byte per character: OpenSSL hashes its UTF-8.
          return opensslDigest(text);
        }
        word = (a << 24) | (b << 16) | (c << 8) | d;
      } else {
        // The message's last bytes, then 0x80, then zeros.
        word = 0;
        for (let j = 0; j < 4; j++) {
          const code = at + j < length ? text.charCodeAt(at + j) : at + j === length ? 0x80 : 0;
          if (code > 0x7f && at + j < length) {
            return opensslDigest(text);
          }
          word = (word << 8) | code;
        }
      }
      w[i] = word;
    }
    if (block === blocks - 1) {
      // Bit length: below 2^53, so its high word is the length divided by 2^29.
      w[14] = Math.floor(length / 0x20000000) | 0;
      w[15] = (length << 3) | 0;
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15];
      const y = w[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let f = h5;
    let g = h6;
    let h = h7;
    for (let i = 0; i < 64; i++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  // The schedule holds the last block's words (a key's, for a short key): not left behind.
  w.fill(0);
  return String.fromCharCode(
    h0 >>> 16, h0 & 0xffff, h1 >>> 16, h1 & 0xffff, h2 >>> 16, h2 & 0xffff, h3 >>> 16, h3 & 0xffff,
    h4 >>> 16, h4 & 0xffff, h5 >>> 16, h5 & 0xffff, h6 >>> 16, h6 & 0xffff, h7 >>> 16, h7 & 0xffff,
  );
}

/** OpenSSL's SHA-256 of the string's UTF-8, in {@link sha256Digest}'s form. */
function opensslDigest(text: string): string {
  const bytes = hash('sha256', text, 'buffer');
  let digest = '';
  for (let at = 0; at < 32; at += 2) {
    digest += String.fromCharCode(bytes.readUInt16BE(at));
  }
  return digest;
}

/** A {@link sha256Digest} in lower-case hex, as `crypto.hash('sha256', text, 'hex')` writes it. */
export function digestHex(digest: string): string {
  let hex = '';
  for (let at = 0; at < digest.length; at++) {
    hex += digest.charCodeAt(at).toString(16).padStart(4, '0');
  }
  return hex;
}

/** The {@link sha256Digest} form of a hex SHA-256 (a stored key's hash). */
export function hexDigest(hex: string): string {
  let digest = '';
  for (let at = 0; at < hex.length; at += 4) {
    digest += String.fromCharCode(parseInt(hex.slice(at, at + 4), 16));
  }
  return digest;
}

/** SHA-256 of a string in hex: what is stored for a key. */
export function sha256Hex(text: string): string {
  return digestHex(sha256Digest(text));
}

/** The message schedule, reused: a request allocates nothing for its hash but the result. */
const W = new Int32Array(64);

// prettier-ignore
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

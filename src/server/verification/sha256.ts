import { hash } from 'crypto';

/**
 * SHA-256 of a string's UTF-8 bytes, in hex, by Node's one-shot `crypto.hash` (OpenSSL). Inside
 * a request it costs about 25 µs cold on a loaded 2-core VM: less than a JavaScript library
 * measured there (about 70 µs), more than a loop of our own (about 7 µs), which we keep out of
 * the security path. See README, Performance.
 */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

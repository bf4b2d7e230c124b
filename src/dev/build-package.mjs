// The parts of dist/ a plugin package needs beyond the compiled code, as NocoBase's own build
// writes them: the runtime dependencies copied into dist/node_modules (a bare require from an
// installed plugin would otherwise find whatever copy the host has, an older ms among them),
// and dist/externalVersion.js, the host modules the plugin was built against, which the plugin
// manager compares with the running NocoBase.
import { builtinModules } from 'node:module';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dist = join(root, 'dist');
const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const { dependencies = {} } = manifest(root);

const bundled = join(dist, 'node_modules');
rmSync(bundled, { recursive: true, force: true });
for (const name of Object.keys(dependencies)) {
  cpSync(join(root, 'node_modules', name), join(bundled, name), { recursive: true, dereference: true });
}

function jsFiles(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      return entry === 'node_modules' ? [] : jsFiles(path);
    }
    return path.endsWith('.js') ? [path] : [];
  });
}

const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const required = new Set(
  jsFiles(dist).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)].map((match) => packageOf(match[1]))),
);
const external = [...required]
  .filter((name) => !builtinModules.includes(name) && !name.startsWith('node:') && !(name in dependencies))
  .sort();
// @nocobase/client is not on the package registry: it is the host's, at the host's version.
const nocobaseVersion = manifest(join(root, 'node_modules/@nocobase/server')).version;
const versions = Object.fromEntries(
  external.map((name) => {
    const dir = join(root, 'node_modules', name);
    if (existsSync(join(dir, 'package.json'))) {
      return [name, manifest(dir).version];
    }
    if (name.startsWith('@nocobase/')) {
      return [name, nocobaseVersion];
    }
    throw new Error(`${name} is required by dist/ but not installed`);
  }),
);
writeFileSync(join(dist, 'externalVersion.js'), `module.exports = ${JSON.stringify(versions, null, 2)};\n`);
console.log(`dist/externalVersion.js: ${external.join(', ')}; bundled: ${Object.keys(dependencies).join(', ')}`);

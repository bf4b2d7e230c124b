// Builds dist/client/index.js the way the NocoBase app loads a plugin's client half: one
// minified file, a named AMD module (UMD), with the host's shared modules left as externals.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { name } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const outfile = resolve(root, 'dist/client/index.js');
const SIZE_LIMIT = 60 * 1024;

// What the host provides to plugin bundles.
const HOST_MODULES = [
  'react',
  'react-dom',
  'antd',
  '@ant-design/icons',
  '@formily/*',
  '@nocobase/client',
  '@nocobase/utils/client',
  'i18next',
  'react-i18next',
  'ahooks',
  'dayjs',
  'lodash',
  'axios',
];

const result = await build({
  entryPoints: [resolve(root, 'src/client/index.tsx')],
  bundle: true,
  minify: true,
  format: 'cjs',
  platform: 'browser',
  target: 'es2020',
  jsx: 'transform',
  external: HOST_MODULES,
  metafile: true,
  write: false,
  logLevel: 'warning',
});

const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
const deps = [...new Set(imports.filter((item) => item.external).map((item) => item.path))].sort();
const strayDeps = deps.filter((dep) => !HOST_MODULES.some((host) => dep === host || (host.endsWith('*') && dep.startsWith(host.slice(0, -1)))));
if (strayDeps.length) {
  throw new Error(`The bundle imports modules the host does not provide: ${strayDeps.join(', ')}`);
}
const code = result.outputFiles[0].text;
const umd = `(function(root,factory){if(typeof define==="function"&&define.amd){define(${JSON.stringify(name)},${JSON.stringify(deps)},factory)}else if(typeof module==="object"&&module.exports){module.exports=factory(${deps.map((dep) => `require(${JSON.stringify(dep)})`).join(',')})}})(this,function(){var __deps={${deps.map((dep, i) => `${JSON.stringify(dep)}:arguments[${i}]`).join(',')}};var require=function(id){if(id in __deps)return __deps[id];throw new Error("Cannot find module "+id)};var module={exports:{}},exports=module.exports;\n${code}\nreturn module.exports});\n`;

mkdirSync(dirname(outfile), { recursive: true });
writeFileSync(outfile, umd);
const size = Buffer.byteLength(umd);
console.log(`dist/client/index.js: ${(size / 1024).toFixed(1)} KB minified (limit ${SIZE_LIMIT / 1024} KB), externals: ${deps.join(', ')}`);
if (size > SIZE_LIMIT) {
  throw new Error('The client bundle is over its size limit.');
}

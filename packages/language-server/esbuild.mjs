// Bundles the language server for a fast start (docs/editors.md, "Start-up"), as
// packages/cli/esbuild.mjs does for the CLI: out/main.js and what it imports (Langium,
// vscode-languageserver, the language core and compiler) into one CommonJS file,
// dist/server-bundle.cjs, so each of the server's two threads loads one file instead of
// ~500 modules; and dist/main.js, which runs that bundle through V8's code cache (the CLI's
// loader, packages/cli/src/bundle-loader.ts, built for this bundle). The bundle knows nothing
// of tfjs or Python: nothing the server imports does (this script fails if one did).
// bin/cajal-language-server.js runs dist/main.js only while it is newer than every bundled
// package's compiled output. Usage: node packages/language-server/esbuild.mjs (after
// npx tsc -b tsconfig.build.json; npm run build runs both).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const here = import.meta.dirname;
const dist = path.join(here, 'dist');
const loader = path.join(here, '..', 'cli', 'out', 'bundle-loader.js');
const timeline = path.join(here, 'out', 'start-timeline.js');
const checkerThread = path.join(here, 'out', 'checker-thread.js');
for (const file of [path.join(here, 'out', 'main.js'), loader]) {
    if (!fs.existsSync(file)) {
        throw new Error(`${path.relative(process.cwd(), file)} does not exist; run \`npx tsc -b tsconfig.build.json\` at the repository root first.`);
    }
}
fs.rmSync(dist, { recursive: true, force: true });
// The LSP libraries once: Langium imports vscode-languageserver-protocol itself, and npm may
// install a newer copy of it (with its own vscode-jsonrpc and -types) beside the one
// vscode-languageserver depends on; bundled as they are, the server held, evaluated and linked
// two of each (the bundle's largest modules), and a `ResponseError` or `CancellationToken` made
// by one copy was another class to the other. Every import of these packages is resolved as
// vscode-languageserver resolves them, whose versions are the ones its connection speaks.
const languageServerLibrary = path.dirname(createRequire(path.join(here, 'package.json')).resolve('vscode-languageserver/node'));
const RESOLVING_ONCE = Symbol('resolved as vscode-languageserver does');
const oneLspProtocol = {
    name: 'one-lsp-protocol',
    setup(build) {
        build.onResolve({ filter: /^vscode-(languageserver-protocol|jsonrpc|languageserver-types)(\/|$)/ }, async args => {
            if (args.pluginData === RESOLVING_ONCE) return undefined;
            const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: languageServerLibrary, pluginData: RESOLVING_ONCE });
            return resolved.errors.length > 0 ? { errors: resolved.errors } : { path: resolved.path, namespace: resolved.namespace, sideEffects: resolved.sideEffects };
        });
    }
};
// vscode-jsonrpc and vscode-languageserver require crypto, net and child_process when they are
// loaded, for transports and module resolution the server does not use (pipes and sockets,
// global npm folders); a worker compiles these parts of Node afresh (3–5 ms for crypto,
// 1–4 ms for net, 1 ms for child_process, before the checker's first check). They get an
// object that requires the real module on first use; those libraries only read its members.
const LAZY_TRANSPORT_MODULES = /^(node:)?(crypto|net|child_process)$/;
const lazyTransportModules = {
    name: 'lazy-transport-modules',
    setup(build) {
        build.onResolve({ filter: LAZY_TRANSPORT_MODULES }, args => /[\\/]node_modules[\\/]vscode-(jsonrpc|languageserver)[\\/]/.test(args.importer)
            ? { path: args.path.replace(/^node:/, ''), namespace: 'lazy-transport-module' }
            : undefined);
        build.onLoad({ filter: /.*/, namespace: 'lazy-transport-module' }, args => ({
            contents: `let loaded;\nconst load = () => loaded ??= require(${JSON.stringify(`node:${args.path}`)});\n` +
                'module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });\n',
            loader: 'js'
        }));
    }
};
const result = await esbuild.build({
    entryPoints: [path.join(here, 'out', 'main.js')],
    outfile: path.join(dist, 'server-bundle.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    // CommonJS has no import.meta. main.ts starts its worker thread on its own file
    // (import.meta.url): here that is the loader beside the bundle, so the worker runs the
    // bundle through its code cache too.
    define: { 'import.meta.url': '__cajalBundleUrl' },
    banner: { js: "const __cajalBundleUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, 'main.js')).href;" },
    plugins: [oneLspProtocol, lazyTransportModules],
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning'
});
// One ES namespace per CommonJS module. esbuild's __toESM gives each ES module that imports a
// CommonJS one (Langium's ~30 modules importing vscode-languageserver-protocol, ~700 exports)
// a fresh object with a getter per export: 27 copies, a third of evaluating the server's
// modules in the checker's thread. Kept per module (and per esbuild's Node mode, which only
// changes `default`), as Node's own loader keeps one namespace per module; the getters stay live.
// (A namespace taken while its module is still being evaluated would miss the exports added
// after: the bundled CommonJS modules are libraries that import nothing of the bundle's ES modules.)
const bundleFile = path.join(dist, 'server-bundle.cjs');
const TO_ESM = 'var __toESM = (mod, isNodeMode, target) => (';
const bundled = fs.readFileSync(bundleFile, 'utf-8');
if (bundled.split(TO_ESM).length !== 2) throw new Error(`esbuild.mjs: esbuild's __toESM helper is no longer \`${TO_ESM}…\`; update the namespace cache for its new form`);
fs.writeFileSync(bundleFile, bundled.replace(TO_ESM, 'var __toESMNamespaces = [new WeakMap(), new WeakMap()];\n' +
    'var __toESM = (mod, isNodeMode) => {\n' +
    '  if (mod === null || typeof mod !== "object" && typeof mod !== "function") return __toESMNamespace(mod, isNodeMode);\n' +
    '  const namespaces = __toESMNamespaces[isNodeMode ? 1 : 0];\n' +
    '  let namespace = namespaces.get(mod);\n' +
    '  if (namespace === void 0) namespaces.set(mod, namespace = __toESMNamespace(mod, isNodeMode));\n' +
    '  return namespace;\n' +
    '};\n' +
    'var __toESMNamespace = (mod, isNodeMode, target) => ('));
const foreign = Object.keys(result.metafile.inputs).filter(input => /@tensorflow|@cajal[\\/](runtime|train)|packages[\\/](runtime|train)[\\/]/.test(input));
if (foreign.length > 0) throw new Error(`the server bundle must know nothing of tfjs or training, but holds ${foreign.join(', ')}`);
// dist/main.js sets V8 up for checking (@cajal/language/checker-start, as out/main.js does)
// before the loader compiles the bundle: V8 accepts a code cache only under the flags it was
// made with, and the loader writes its caches when the thread exits, under the flags set by then.
await esbuild.build({
    stdin: {
        contents: `import { markStart } from ${JSON.stringify(timeline)};\nmarkStart('node started');\nimport { tuneV8ForChecking } from '@cajal/language/checker-start';\ntuneV8ForChecking();\n` +
            // The checker's worker starts before this thread compiles the bundle (src/checker-thread.ts).
            `import { isMainThread } from 'node:worker_threads';\nimport { startCheckerThreadEarly } from ${JSON.stringify(checkerThread)};\n` +
            `if (isMainThread) startCheckerThreadEarly(import.meta.url);\nawait import(${JSON.stringify(loader)});\n`,
        resolveDir: here,
        sourcefile: 'bundle-main.js'
    },
    outfile: path.join(dist, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    define: { __CAJAL_BUNDLE_FILE__: JSON.stringify('server-bundle.cjs') },
    legalComments: 'none',
    logLevel: 'warning'
});
console.log(`esbuild.mjs: built ${path.relative(process.cwd(), dist)}`);

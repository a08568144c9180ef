// What the server's bundles do beyond plain esbuild, for a faster start (docs/editors.md,
// "Start-up"): used by packages/language-server/esbuild.mjs (dist/server-bundle.cjs) and, for
// the plugins, by packages/vscode/esbuild.mjs (the extension's dist/server.cjs).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

// The LSP libraries once: Langium imports vscode-languageserver-protocol itself, and npm may
// install a newer copy of it (with its own vscode-jsonrpc and -types) beside the one
// vscode-languageserver depends on; bundled as they are, the server held, evaluated and linked
// two of each (the bundle's largest modules), and a `ResponseError` or `CancellationToken` made
// by one copy was another class to the other. Every import of these packages is resolved as
// vscode-languageserver resolves them, whose versions are the ones its connection speaks.
const languageServerLibrary = path.dirname(createRequire(path.join(import.meta.dirname, 'package.json')).resolve('vscode-languageserver/node'));
const RESOLVING_ONCE = Symbol('resolved as vscode-languageserver does');
export const oneLspProtocol = {
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
export const lazyTransportModules = {
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

/**
 * One ES namespace per CommonJS module, in the (unminified) bundle `bundleFile`. esbuild's
 * __toESM gives each ES module that imports a CommonJS one (Langium's ~30 modules importing
 * vscode-languageserver-protocol, ~700 exports) a fresh object with a getter per export: 27
 * copies, a third of evaluating the server's modules in the checker's thread. Kept per module
 * (and per esbuild's Node mode, which only changes `default`), as Node's own loader keeps one
 * namespace per module; the getters stay live. (A namespace taken while its module is still
 * being evaluated would miss the exports added after: the bundled CommonJS modules are
 * libraries that import nothing of the bundle's ES modules.) A minified bundle renames the
 * helper; this fails rather than leave a bundle without it.
 */
export function shareCommonJsNamespaces(bundleFile) {
    const TO_ESM = 'var __toESM = (mod, isNodeMode, target) => (';
    const bundled = fs.readFileSync(bundleFile, 'utf-8');
    if (bundled.split(TO_ESM).length !== 2) throw new Error(`esbuild-plugins.mjs: ${bundleFile} has no esbuild helper \`${TO_ESM}…\` (minified, or esbuild changed it): update shareCommonJsNamespaces`);
    fs.writeFileSync(bundleFile, bundled.replace(TO_ESM, 'var __toESMNamespaces = [new WeakMap(), new WeakMap()];\n' +
        'var __toESM = (mod, isNodeMode) => {\n' +
        '  if (mod === null || typeof mod !== "object" && typeof mod !== "function") return __toESMNamespace(mod, isNodeMode);\n' +
        '  const namespaces = __toESMNamespaces[isNodeMode ? 1 : 0];\n' +
        '  let namespace = namespaces.get(mod);\n' +
        '  if (namespace === void 0) namespaces.set(mod, namespace = __toESMNamespace(mod, isNodeMode));\n' +
        '  return namespace;\n' +
        '};\n' +
        'var __toESMNamespace = (mod, isNodeMode, target) => ('));
}

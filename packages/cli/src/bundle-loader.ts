/**
 * The loader of a CommonJS bundle run through V8's code cache. The bundled CLI's worker
 * (esbuild.mjs builds it into dist/worker.js) runs dist/worker-bundle.cjs, the bundle of
 * out/worker.js, with it; the language server's bundle (packages/language-server/esbuild.mjs,
 * dist/main.cjs running dist/server-bundle.cjs) is built from this same file, the bundle's
 * name given by esbuild's `define` of __CAJAL_BUNDLE_FILE__. Node 20 caches no compiled code
 * between runs by itself (module.enableCompileCache came in Node 22), and compiling the
 * 1.7 MB CLI bundle was a sixth of `cajal check`'s start. The first run writes the cache beside
 * the bundle (dist/worker-bundle.cjs.v8-cache) when its thread exits, so it also holds the
 * functions the run compiled lazily (the parser, the checkers); later runs deserialize it.
 * A bundle loaded on the main thread as well as on a worker (the language server's supervisor
 * and server) keeps one cache per thread: the main thread's is `….main.v8-cache`, so neither
 * thread's cache, made for other functions, replaces the other's. V8 itself refuses a cache
 * made by another V8 version or for another source, and then this run writes a new one. An
 * unwritable folder only means no cache.
 */
import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

/** The bundle's file name, beside this loader; replaced by esbuild's `define` where another bundle is loaded. */
declare const __CAJAL_BUNDLE_FILE__: string;
const bundleFile = typeof __CAJAL_BUNDLE_FILE__ === 'string' ? __CAJAL_BUNDLE_FILE__ : 'worker-bundle.cjs';
const bundle = fileURLToPath(new URL(`./${bundleFile}`, import.meta.url));
const cacheFile = isMainThread ? `${bundle}.main.v8-cache` : `${bundle}.v8-cache`;

function readCache(): Buffer | undefined {
    try {
        return fs.readFileSync(cacheFile);
    } catch {
        return undefined;
    }
}

function writeCache(script: vm.Script): void {
    const temporary = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
    try {
        fs.writeFileSync(temporary, script.createCachedData());
        fs.renameSync(temporary, cacheFile); // atomic: a concurrent run reads the old cache or the new one
    } catch {
        fs.rmSync(temporary, { force: true });
    }
}

/**
 * The bundle's text. Read as bytes and decoded here: `readFileSync(file, 'utf-8')` took
 * 10–15 ms for the 2 MB server bundle on Node 22, the bytes and their decoding 2–5 ms; text
 * that is all ASCII (most of a bundle: esbuild escapes what it can) is decoded as Latin-1,
 * which gives the same one-byte string without UTF-8's checks.
 */
function readBundle(): string {
    const bytes = fs.readFileSync(bundle);
    return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf-8');
}

const cachedData = readCache();
// The CommonJS wrapper Node's own loader puts around a module.
const source = `(function (exports, require, module, __filename, __dirname) {${readBundle()}\n})`;
const script = new vm.Script(source, {
    filename: bundle,
    cachedData,
    // The CLI's run, train and fmt import packages lazily (its bundle only serves commands that don't, but an import must still work).
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
});
if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(script));
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));

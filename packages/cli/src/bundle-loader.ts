/**
 * The worker of the bundled CLI (built by esbuild.mjs into dist/worker.js): runs the
 * CommonJS bundle of out/worker.js, dist/worker-bundle.cjs, through V8's code cache. Node 20
 * caches no compiled code between runs by itself (module.enableCompileCache came in Node 22),
 * and compiling the 1.7 MB bundle was a sixth of `cajal check`'s start. The first run writes
 * the cache beside the bundle (dist/worker-bundle.cjs.v8-cache) when the command is done, so
 * it also holds the functions the command compiled lazily (the parser, the checkers); later
 * runs deserialize it. V8 itself refuses a cache made by another V8 version or for another
 * source, and then this run writes a new one. An unwritable folder only means no cache.
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('./worker-bundle.cjs', import.meta.url));
const cacheFile = `${bundle}.v8-cache`;

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

const cachedData = readCache();
// The CommonJS wrapper Node's own loader puts around a module.
const source = `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(bundle, 'utf-8')}\n})`;
const script = new vm.Script(source, {
    filename: bundle,
    cachedData,
    // run, train and fmt import packages lazily (the bundle only serves commands that don't, but an import must still work).
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
});
if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(script));
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));

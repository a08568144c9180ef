#!/usr/bin/env node
// The `cajal` command: runs the command on a large-stack worker thread (see src/launcher.ts).
// Commands that only parse, check and format run the esbuild bundle dist/worker.js (esbuild.mjs),
// which loads in less than half the time of out/worker.js and Langium's ~400 files, as long as
// that bundle is newer than the compiled packages it holds; otherwise, and for run and train
// (which load packages from node_modules that would bring a second Langium), out/worker.js.
import { statSync } from 'node:fs';
import { launchCli } from '../out/launcher.js';

const BUNDLED_COMMANDS = new Set(['check', 'eval', 'compile', 'fmt', 'help', '--help', '-h']);
const BUNDLED_PACKAGES = ['ir', 'language', 'compiler', 'cli'];

function modifiedMs(url) {
    try {
        return statSync(url).mtimeMs;
    } catch {
        return undefined;
    }
}

function workerScript(command) {
    const bundle = new URL('../dist/worker.js', import.meta.url);
    const outWorker = new URL('../out/worker.js', import.meta.url);
    if (!BUNDLED_COMMANDS.has(command)) return outWorker;
    const bundled = modifiedMs(bundle);
    if (bundled === undefined) return outWorker;
    const fresh = BUNDLED_PACKAGES.every(name => (modifiedMs(new URL(`../../${name}/out/tsconfig.tsbuildinfo`, import.meta.url)) ?? Infinity) <= bundled);
    return fresh ? bundle : outWorker;
}

launchCli(workerScript(process.argv[2]));

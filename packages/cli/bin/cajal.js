#!/usr/bin/env node
// The `cajal` command: runs the command on a large-stack worker thread (see src/launcher.ts).
// Commands that only parse, check and format run the esbuild bundle dist/worker.js (esbuild.mjs),
// which loads in less than half the time of out/worker.js and Langium's ~400 files, as long as
// that bundle is newer than the compiled packages it holds; otherwise, and for run and train
// (which load packages from node_modules that would bring a second Langium), out/worker.js.
// This file is CommonJS (bin/package.json) and answers `--version` itself, reading the
// version as cliVersion() (src/version.ts) does: no ES module loads for it, so it costs no
// more than Node's own start.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (see above) */
const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const BUNDLED_COMMANDS = new Set(['check', 'eval', 'compile', 'fmt', 'help', '--help', '-h']);
const BUNDLED_PACKAGES = ['ir', 'language', 'compiler', 'cli'];
const cliDirectory = path.join(__dirname, '..');

function modifiedMs(file) {
    try {
        return statSync(file).mtimeMs;
    } catch {
        return undefined;
    }
}

function workerScript(command) {
    const bundle = path.join(cliDirectory, 'dist', 'worker.js');
    const outWorker = pathToFileURL(path.join(cliDirectory, 'out', 'worker.js'));
    if (!BUNDLED_COMMANDS.has(command)) return outWorker;
    const bundled = modifiedMs(bundle);
    if (bundled === undefined) return outWorker;
    const fresh = BUNDLED_PACKAGES.every(name => (modifiedMs(path.join(cliDirectory, '..', name, 'out', 'tsconfig.tsbuildinfo')) ?? Infinity) <= bundled);
    return fresh ? pathToFileURL(bundle) : outWorker;
}

const command = process.argv[2];
if (command === '--version' || command === '-V') {
    let version = 'unknown';
    try {
        version = JSON.parse(readFileSync(path.join(cliDirectory, 'package.json'), 'utf-8')).version;
    } catch {
        // as cliVersion(): a copy without its package.json still answers
    }
    process.stdout.write(`${version}\n`);
} else {
    import('../out/launcher.js').then(({ launchCli }) => launchCli(workerScript(command)));
}

#!/usr/bin/env node
// The `cajal-language-server` command. It runs the esbuild bundle dist/main.cjs (esbuild.mjs:
// one CommonJS file through V8's code cache instead of ~500 modules, on both of the server's
// threads) as long as that bundle is newer than the compiled packages it holds; otherwise
// (after a plain `npx tsc -b`, or without a bundle) the compiled out/main.js.
// This file is CommonJS (bin/package.json, as the CLI's bin): with the bundle, no ES module
// loads on the main thread, so the checker's worker, which dist/main.cjs starts first thing,
// starts sooner (docs/editors.md, "Start-up").
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (see above) */
const { statSync } = require('node:fs');
const path = require('node:path');

const BUNDLED_PACKAGES = ['ir', 'language', 'compiler', 'language-server'];
const packagesDirectory = path.join(__dirname, '..', '..');
function modifiedMs(file) {
    try {
        return statSync(file).mtimeMs;
    } catch {
        return undefined;
    }
}
const bundled = modifiedMs(path.join(__dirname, '..', 'dist', 'main.cjs'));
const fresh = bundled !== undefined && modifiedMs(path.join(__dirname, '..', 'dist', 'server-bundle.cjs')) !== undefined
    && BUNDLED_PACKAGES.every(name => (modifiedMs(path.join(packagesDirectory, name, 'out', 'tsconfig.tsbuildinfo')) ?? Infinity) <= bundled);
if (fresh) {
    require('../dist/main.cjs');
} else {
    void import('../out/main.js');
}

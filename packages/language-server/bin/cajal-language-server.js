#!/usr/bin/env node
// The `cajal-language-server` command. It runs the esbuild bundle dist/main.cjs (esbuild.mjs:
// one CommonJS file through V8's code cache instead of ~500 modules, on both of the server's
// threads) as long as that bundle is newer than the compiled packages it holds; otherwise
// (after a plain `npx tsc -b`, or without a bundle) the compiled out/main.js.
import { statSync } from 'node:fs';

const BUNDLED_PACKAGES = ['ir', 'language', 'compiler', 'language-server'];
const modifiedMs = url => {
    try {
        return statSync(url).mtimeMs;
    } catch {
        return undefined;
    }
};
const bundled = modifiedMs(new URL('../dist/main.cjs', import.meta.url));
const fresh = bundled !== undefined && modifiedMs(new URL('../dist/server-bundle.cjs', import.meta.url)) !== undefined
    && BUNDLED_PACKAGES.every(name => (modifiedMs(new URL(`../../${name}/out/tsconfig.tsbuildinfo`, import.meta.url)) ?? Infinity) <= bundled);
import(fresh ? '../dist/main.cjs' : '../out/main.js');

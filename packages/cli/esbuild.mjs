// Bundles the CLI for a fast start (docs/cli.md, "Start-up"): packages/cli/out/worker.js
// and what they import into dist/ as code-split ESM, so a command loads a few large files
// instead of Langium's ~400 small ones. The compute packages (@cajal/runtime, @cajal/train,
// tfjs) stay external: they are imported lazily by run and train, and load from node_modules
// exactly as without the bundle (with their .wasm files and Python script where they expect).
// bin/cajal.js runs dist/ only while it is newer than every package's compiled output.
// Usage: node packages/cli/esbuild.mjs   (after npx tsc -b tsconfig.build.json)
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lazyTransportModules, oneLspProtocol, shareCommonJsNamespaces } from '../language-server/esbuild-plugins.mjs';

const here = import.meta.dirname;
const dist = path.join(here, 'dist');
for (const entry of ['worker.js', 'bundle-loader.js']) {
    if (!fs.existsSync(path.join(here, 'out', entry))) {
        throw new Error(`packages/cli/out/${entry} does not exist; run \`npx tsc -b tsconfig.build.json\` at the repository root first.`);
    }
}
fs.rmSync(dist, { recursive: true, force: true });
// The commands, as one CommonJS file: V8 can cache the compiled code of a classic script
// (src/bundle-loader.ts runs it through vm.Script with a code cache), not of an ES module.
await esbuild.build({
    entryPoints: [path.join(here, 'out', 'worker.js')],
    outfile: path.join(dist, 'worker-bundle.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    external: ['@tensorflow/*', '@cajal/runtime', '@cajal/train'],
    // CommonJS has no import.meta; the bundled code only asks for its URL.
    define: { 'import.meta.url': '__cajalBundleUrl' },
    banner: { js: "const __cajalBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    // As the language server's bundle: one copy of the LSP libraries Langium brings, their transports' Node modules on first use.
    plugins: [oneLspProtocol, lazyTransportModules],
    legalComments: 'none',
    logLevel: 'warning'
});
shareCommonJsNamespaces(path.join(dist, 'worker-bundle.cjs'));
// The worker the launcher starts: sets V8 up for checking (@cajal/language/checker-start),
// then loads the bundle above through the code cache. On the worker, after Node's own start
// (whose built-in code cache V8 takes only under the flags Node starts with: set before the
// worker starts, the flag cost it ~60 ms of CPU) and before the bundle is compiled (V8 takes
// the bundle's cache only under the flags it was made with). Every command the bundle serves
// checks (run and train use out/worker.js, as Node starts).
await esbuild.build({
    stdin: {
        contents: `import { tuneV8ForChecking } from '@cajal/language/checker-start';\ntuneV8ForChecking();\nawait import(${JSON.stringify(path.join(here, 'out', 'bundle-loader.js'))});\n`,
        resolveDir: here,
        sourcefile: 'bundle-worker.js'
    },
    outfile: path.join(dist, 'worker.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'warning'
});
console.log(`esbuild.mjs: built ${path.relative(process.cwd(), dist)}`);

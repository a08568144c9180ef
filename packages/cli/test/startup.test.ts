import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { bin, directoryWith, repository } from './helpers.js';
import { expectOneCopyOfEachLspLibrary } from '../../../test/bundle-contents.js';

// What each command loads (docs/cli.md, "Start-up"), seen without timing: a module hook,
// preloaded with --import into the main thread and (through the inherited execArgv) the
// CLI's worker, appends every module URL the process resolves to a log file.
const recorder = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
    const resolved = await next(specifier, context);
    appendFileSync(process.env.CAJAL_LOAD_LOG, resolved.url + '\\\\n');
    return resolved;
}\`));
`;

/** Runs the real bin with args and returns its exit code, stdout and the module URLs it resolved. */
function loadsOf(args: string[]): { code: number | null; stdout: string; modules: string[] } {
    const directory = directoryWith({ 'record-loads.mjs': recorder });
    const log = path.join(directory, 'loads.log');
    fs.writeFileSync(log, '');
    const result = spawnSync(process.execPath, ['--import', path.join(directory, 'record-loads.mjs'), bin, ...args], {
        cwd: repository, encoding: 'utf-8', env: { ...process.env, CAJAL_LOAD_LOG: log }
    });
    const modules = fs.readFileSync(log, 'utf-8').split('\n').filter(line => line !== '');
    fs.rmSync(directory, { recursive: true, force: true });
    return { code: result.status, stdout: result.stdout, modules };
}

const langium = (url: string) => url.includes('/node_modules/langium/');
const tfjs = (url: string) => url.includes('/node_modules/@tensorflow/');
// out/worker.js, or dist/worker.js, its bundle (packages/cli/esbuild.mjs), which bin/cajal.js runs while it is fresh.
const cliWorker = (url: string) => /\/packages\/cli\/(out|dist)\/worker\.js$/.test(url);

describe('what the cajal process loads', () => {
    test('--version starts no worker and loads neither Langium nor tfjs', () => {
        const { code, stdout, modules } = loadsOf(['--version']);
        expect(code).toBe(0);
        expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
        // bin/cajal.js (CommonJS) answers by itself: not even the launcher loads.
        expect(modules.filter(url => url.includes('/packages/cli/out/') || cliWorker(url) || langium(url) || tfjs(url))).toEqual([]);
        const { version } = JSON.parse(fs.readFileSync(path.join(repository, 'packages', 'cli', 'package.json'), 'utf-8')) as { version: string };
        expect(stdout).toBe(`${version}\n`);
    });

    test('check loads Langium (from node_modules, or inside the bundle) but not tfjs', () => {
        const { code, modules } = loadsOf(['check', 'examples/logic.cajal']);
        expect(code).toBe(0);
        expect(modules.some(cliWorker)).toBe(true);
        expect(modules.some(langium) || modules.some(url => url.endsWith('/packages/cli/dist/worker.js'))).toBe(true);
        expect(modules.filter(tfjs)).toEqual([]);
    });

    test('fmt imports the formatter statically: it runs in the bundle when that is fresh, without the language server or tfjs', () => {
        const { code, stdout, modules } = loadsOf(['fmt', 'examples/logic.cajal']);
        expect(code).toBe(0);
        expect(stdout).toBe(fs.readFileSync(path.join(repository, 'examples/logic.cajal'), 'utf-8'));
        expect(modules.some(cliWorker)).toBe(true);
        const bundleFresh = modules.some(url => url.endsWith('/packages/cli/dist/worker.js'));
        if (bundleFresh) expect(modules.filter(langium)).toEqual([]);
        expect(modules.filter(url => url.includes('/language-server/') || tfjs(url))).toEqual([]);
    });

    test('run, which computes, loads tfjs (so the recorder sees it where it is loaded)', () => {
        const { code, stdout, modules } = loadsOf(['run', 'examples/logic.cajal', '--def', 'main']);
        expect(code).toBe(0);
        expect(stdout).toContain('true');
        expect(modules.some(url => url.includes('/node_modules/@tensorflow/tfjs/'))).toBe(true);
    });
});

describe('the bundled worker\'s code cache (packages/cli/src/bundle-loader.ts)', () => {
    const dist = path.join(repository, 'packages', 'cli', 'dist');
    const launcher = pathToFileURL(path.join(repository, 'packages', 'cli', 'out', 'launcher.js')).href;

    /** Runs `check FILE` on a copy of the bundle in `directory` through the real launcher. */
    function checkWithBundleIn(directory: string, file: string): { code: number | null; stdout: string; stderr: string } {
        const script = `import(${JSON.stringify(launcher)}).then(({ launchCli }) => launchCli(new URL(${JSON.stringify(pathToFileURL(path.join(directory, 'worker.js')).href)}), ['check', ${JSON.stringify(file)}]))`;
        const result = spawnSync(process.execPath, ['-e', script], { cwd: repository, encoding: 'utf-8' });
        return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    test('the bundle holds one copy of each LSP library Langium brings (language-server/esbuild-plugins.mjs)', () => {
        const bundle = fs.readFileSync(path.join(dist, 'worker-bundle.cjs'), 'utf-8');
        expectOneCopyOfEachLspLibrary(bundle);
        expect(bundle).toContain('var __toESMNamespaces = [new WeakMap(), new WeakMap()];');
    });

    test('the first run writes the cache, later runs use it (V8 accepts it: it is not rewritten) and check the same', () => {
        expect(fs.existsSync(path.join(dist, 'worker-bundle.cjs')), 'the CLI bundle is built by npm run build (node packages/cli/esbuild.mjs)').toBe(true);
        const directory = directoryWith({ 'bad.cajal': 'def f (x : Bool) : Bool = y\n' });
        try {
            for (const file of ['worker.js', 'worker-bundle.cjs']) fs.copyFileSync(path.join(dist, file), path.join(directory, file));
            const cache = path.join(directory, 'worker-bundle.cjs.v8-cache');
            const file = path.join(directory, 'bad.cajal');
            const first = checkWithBundleIn(directory, file);
            expect(first.code).toBe(1);
            expect(first.stdout + first.stderr).toContain('bad.cajal:1:');
            expect(fs.statSync(cache).size).toBeGreaterThan(100_000);
            const written = fs.statSync(cache).mtimeMs;
            const second = checkWithBundleIn(directory, file);
            expect(second).toEqual(first);
            expect(fs.statSync(cache).mtimeMs).toBe(written);
            // A cache V8 refuses (here: garbage) is replaced by a good one, and the command still runs.
            fs.writeFileSync(cache, 'not a V8 code cache');
            expect(checkWithBundleIn(directory, file)).toEqual(first);
            expect(fs.statSync(cache).size).toBeGreaterThan(100_000);
        } finally {
            fs.rmSync(directory, { recursive: true, force: true });
        }
    });
});

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { bin, directoryWith, repository } from './helpers.js';

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
        expect(modules.some(url => url.endsWith('/packages/cli/out/launcher.js'))).toBe(true);
        expect(modules.filter(url => cliWorker(url) || langium(url) || tfjs(url))).toEqual([]);
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

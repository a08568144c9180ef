// The bundles that go into the .vsix, built from the workspace's compiled packages (run
// `npx tsc -b tsconfig.build.json` first) and exercised as the extension uses them: the
// server over stdio, the CLI as a child process — from a directory outside the repository,
// so nothing can fall back on node_modules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CajalCommands, type VscodeApi } from '../src/commands.js';
import type { TrainingState } from '../src/training.js';
import { createFakeVscode, fakeOutput } from './fakeVscode.js';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { expectOneCopyOfEachLspLibrary } from '../../../test/bundle-contents.js';

const packageDir = path.resolve(import.meta.dirname, '..');
const fixtures = path.resolve(packageDir, '..', '..', 'test', 'vscode-e2e', 'fixtures');
let outDir: string;
let workDir: string;

beforeAll(() => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-vscode-bundles-'));
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-vscode-work-'));
    execFileSync(process.execPath, [path.join(packageDir, 'esbuild.mjs'), '--only=extension,server,cli', `--outdir=${outDir}`], { stdio: 'pipe' });
    for (const f of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, f), path.join(workDir, f));
}, 180_000);

afterAll(() => {
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.rmSync(workDir, { recursive: true, force: true });
});

/** Packages esbuild put into a (non-minified) bundle: it marks each module with a `// node_modules/<package>/…` comment. */
function bundledPackages(file: string): Set<string> {
    const text = fs.readFileSync(file, 'utf8');
    return new Set([...text.matchAll(/^\/\/ (?:.*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map(m => m[1]));
}

describe('client bundle (dist/extension.cjs)', () => {
    it('holds the language client only: no TensorFlow.js, no language server, and vscode left external', () => {
        const bundled = bundledPackages(path.join(outDir, 'extension.cjs'));
        expect(bundled.has('vscode-languageclient')).toBe(true);
        expect([...bundled].filter(p => p.startsWith('@tensorflow') || p === 'langium' || p.startsWith('@cajal'))).toEqual([]);
        expect(fs.readFileSync(path.join(outDir, 'extension.cjs'), 'utf8')).toMatch(/require\("vscode"\)/);
    });
});

describe('server bundle (dist/server.cjs)', () => {
    it('contains no TensorFlow.js', () => {
        const text = fs.readFileSync(path.join(outDir, 'server.cjs'), 'utf8');
        // esbuild marks every bundled module with a `// node_modules/<package>/…` comment.
        const bundled = new Set([...text.matchAll(/^\/\/ (?:.*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map(m => m[1]));
        expect(bundled.has('langium')).toBe(true);
        expect([...bundled].filter(p => p.startsWith('@tensorflow'))).toEqual([]);
        // (The string '@tensorflow/tfjs' itself is allowed: the compiler emits it into generated code.)
        expect(text).not.toMatch(/tfjs-core|tfjs-backend/);
    });

    it('holds one copy of each LSP library (language-server/esbuild-plugins.mjs)', () => {
        const text = fs.readFileSync(path.join(outDir, 'server.cjs'), 'utf8');
        expectOneCopyOfEachLspLibrary(text);
    });

    describe('speaks LSP over stdio', () => {
        let server: ChildProcess;
        let connection: MessageConnection;
        const diagnostics = new Map<string, { code?: string | number; message: string; severity?: number }[]>();

        beforeAll(async () => {
            server = spawn(process.execPath, [path.join(outDir, 'server.cjs'), '--stdio'], { cwd: workDir, stdio: ['pipe', 'pipe', 'pipe'] });
            connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
            connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: never[] }) => { diagnostics.set(p.uri, p.diagnostics); });
            connection.onRequest(() => null);
            connection.listen();
            const result = await connection.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(workDir).href, capabilities: {}, workspaceFolders: [{ uri: pathToFileURL(workDir).href, name: 'w' }] }) as { capabilities: Record<string, unknown> };
            expect(result.capabilities.hoverProvider).toBeTruthy();
            await connection.sendNotification('initialized', {});
            for (const name of ['good.cajal', 'bad.cajal']) {
                await connection.sendNotification('textDocument/didOpen', { textDocument: { uri: pathToFileURL(path.join(workDir, name)).href, languageId: 'cajal', version: 1, text: fs.readFileSync(path.join(workDir, name), 'utf8') } });
            }
        }, 60_000);

        afterAll(async () => {
            await connection.sendRequest('shutdown').catch(() => {});
            await connection.sendNotification('exit').catch(() => {});
            connection.dispose();
            server.kill();
        });

        async function diagnosticsOf(name: string) {
            const uri = pathToFileURL(path.join(workDir, name)).href;
            for (let i = 0; i < 200 && !diagnostics.has(uri); i++) await new Promise(r => setTimeout(r, 100));
            return diagnostics.get(uri);
        }

        it('reports the linearity error of the bad fixture and nothing for the good one', async () => {
            expect(await diagnosticsOf('good.cajal')).toEqual([]);
            const bad = await diagnosticsOf('bad.cajal');
            expect(bad?.map(d => d.code)).toContain('linearity/branch-mismatch');
        }, 30_000);

        it('answers cajal/neuron with the and gate\'s matrix', async () => {
            const neuron = await connection.sendRequest('cajal/neuron', { uri: pathToFileURL(path.join(workDir, 'good.cajal')).href, name: 'and' }) as { shape: number[]; weights: number; data: number[]; cols: string[] };
            expect(neuron.shape).toEqual([4, 2]);
            expect(neuron.weights).toBe(8);
            expect(neuron.cols).toEqual(['true', 'false']);
            expect(neuron.data).toHaveLength(8);
        }, 30_000);
    });
});

describe('CLI bundle (dist/cli.mjs)', () => {
    function runCli(args: string[], env: Record<string, string> = {}) {
        // Copied away from the repository so module resolution cannot reach node_modules.
        const isolated = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-cli-bundle-'));
        for (const f of fs.readdirSync(outDir).filter(f => f === 'cli.mjs' || f.endsWith('.wasm'))) fs.copyFileSync(path.join(outDir, f), path.join(isolated, f));
        fs.cpSync(path.join(outDir, 'python'), path.join(isolated, 'python'), { recursive: true });
        try {
            return execFileSync(process.execPath, [path.join(isolated, 'cli.mjs'), ...args], { cwd: workDir, env: { ...process.env, CAJAL_WASM_DIR: isolated, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
        } finally {
            fs.rmSync(isolated, { recursive: true, force: true });
        }
    }

    it('runs main of the good fixture on the CPU backend', () => {
        const result = JSON.parse(runCli(['run', 'good.cajal', '--def', 'main', '--backend', 'cpu', '--json']));
        expect(result).toMatchObject({ def: 'main', backend: 'cpu', decoded: 'false' });
        expect(result.data.slice(-2)).toEqual([0, 1]);
    }, 60_000);

    it('runs on the WASM backend with the .wasm files shipped next to the bundle', () => {
        const result = JSON.parse(runCli(['run', 'good.cajal', '--def', 'main', '--backend', 'wasm', '--json']));
        expect(result).toMatchObject({ def: 'main', backend: 'wasm', decoded: 'false' });
    }, 60_000);

    it('trains on PyTorch with the trainer script shipped next to the bundle (--engine torch)', () => {
        fs.writeFileSync(path.join(workDir, 'flip.cajal'), 'extern flip : Bool -o Bool = mlp(4)\ntrain t { data "flip.jsonl" (x : Bool, y : Bool); model flip x; target y; epochs 2; batch 8; }\n');
        fs.writeFileSync(path.join(workDir, 'flip.jsonl'), Array.from({ length: 40 }, (_, i) => JSON.stringify({ x: i % 2 === 0, y: i % 2 === 1 })).join('\n') + '\n');
        const result = JSON.parse(runCli(['train', 'flip.cajal', '--engine', 'torch', '--python', process.env.CAJAL_PYTHON ?? '/usr/bin/python3', '--json']));
        expect(result).toMatchObject({ train: 't', epochs: 2, cancelled: false, backend: expect.stringMatching(/^torch /) });
        expect(fs.existsSync(path.join(workDir, 'flip.weights', 't', 'weights.json'))).toBe(true);
    }, 120_000);

    it('reads a trained extern back as the nearest program (cajal inspect, as hover and Show Neuron use it)', () => {
        fs.writeFileSync(path.join(workDir, 'and.cajal'), `def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
extern learnedAnd : Bool * Bool -o Bool = linear
train typeAnd { data "pairs.jsonl" (a : Bool, b : Bool); model learnedAnd (a, b); target and a b; lr 0.1; epochs 10; batch 8; seed 1; examples 200; test 40; }
`);
        fs.writeFileSync(path.join(workDir, 'pairs.jsonl'), Array.from({ length: 200 }, (_, i) => JSON.stringify({ a: i % 2 === 0, b: (i >> 1) % 2 === 0 })).join('\n') + '\n');
        runCli(['train', 'and.cajal', '--backend', 'cpu', '--json']);
        const learned = JSON.parse(runCli(['inspect', 'and.cajal', '--extern', 'learnedAnd', '--compare', 'and', '--json']));
        expect(learned.nearest.source).toContain('let (x, y) = p in if x then y else if y then false else false');
        expect(learned.compare).toMatchObject({ def: 'and', equalsNearest: true });
    }, 120_000);

    it('fails with a located error on the bad fixture', () => {
        let stderr = '';
        try {
            runCli(['run', 'bad.cajal', '--def', 'bad', '--json']);
        } catch (error) {
            stderr = String((error as { stderr?: Buffer }).stderr ?? '') + String((error as { stdout?: Buffer }).stdout ?? '');
        }
        expect(stderr).toMatch(/bad\.cajal:2:\d+/);
    }, 60_000);
});

describe('Cajal: Train with the real CLI bundle', () => {
    function trainWith(fake: ReturnType<typeof createFakeVscode>) {
        const output = fakeOutput();
        const commands = new CajalCommands({
            vscode: fake.api as unknown as VscodeApi,
            request: async () => ({ error: 'unused' }),
            cli: { nodePath: process.execPath, cliPath: path.join(outDir, 'cli.mjs'), env: { CAJAL_WASM_DIR: outDir } },
            output: output as never
        });
        commands.register();
        const uri = pathToFileURL(path.join(workDir, 'points.cajal')).href;
        return { output, running: fake.commands.get('cajal.train')!(uri, 'points') as Promise<TrainingState> };
    }

    it('trains to the end, charting every epoch, and saves the weights', async () => {
        const fake = createFakeVscode({ settings: { 'cajal.run.backend': 'cpu' }, autoRender: true });
        const { running, output } = trainWith(fake);
        const state = await running;
        expect(state.status, output.text).toBe('done');
        expect(state.epochs).toBe(4);
        expect(state.epochPoints.map(p => p.epoch)).toEqual([1, 2, 3, 4]);
        expect(state.batchLosses.length).toBeGreaterThanOrEqual(4 * 16);
        expect(state.weights && fs.existsSync(state.weights)).toBe(true);
        const last = fake.panels[0].webview.posted.at(-1) as { state: TrainingState; html: string };
        expect(last.state.status).toBe('done');
        expect(last.html).toContain('Weights saved to');
    }, 120_000);

    it('keeps up with 40 fast epochs: the view is redrawn at most 4 times a second and is done when the process is', async () => {
        const fake = createFakeVscode({ settings: { 'cajal.run.backend': 'cpu', 'cajal.train.epochs': 40 }, autoRender: true });
        const started = Date.now();
        const { running, output } = trainWith(fake);
        const state = await running;
        const seconds = (Date.now() - started) / 1000;
        expect(state.status, output.text).toBe('done');
        expect(state.epochPoints).toHaveLength(40);
        const posted = fake.panels[0].webview.posted as { state: TrainingState }[];
        expect(posted.length).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 3);
        expect(output.text.split('\n').filter(l => /^ {2}epoch \d+\/40: loss [\d.]+, accuracy [\d.]+%; test loss [\d.]+, test accuracy [\d.]+%$/.test(l))).toHaveLength(40);
        expect(output.text).toContain(`weights in ${state.weights}`);
    }, 120_000);

    it('cancels at once and keeps the last saved epoch\'s weights', async () => {
        const fake = createFakeVscode({ settings: { 'cajal.run.backend': 'cpu', 'cajal.train.epochs': 500 }, autoRender: true });
        const { running } = trainWith(fake);
        const epochsSeen = () => ((fake.panels[0]?.webview.posted ?? []) as { state: TrainingState }[]).reduce((n, m) => Math.max(n, m.state.epochPoints.length), 0);
        for (let i = 0; i < 600 && epochsSeen() < 2; i++) await new Promise(r => setTimeout(r, 50));
        expect(epochsSeen()).toBeGreaterThanOrEqual(2);
        const cancelledAt = Date.now();
        fake.cancelProgress();
        const state = await running;
        expect(Date.now() - cancelledAt).toBeLessThan(1000);
        expect(state.status).toBe('cancelled');
        expect(state.epochPoints.length).toBeLessThan(500);
        expect(state.weights && fs.existsSync(state.weights)).toBe(true);
        const saved = JSON.parse(fs.readFileSync(path.join(state.weights!, 'weights.json'), 'utf8')).epoch as number;
        expect(saved).toBeGreaterThanOrEqual(2);
        expect(fake.shown.at(-1)?.message).toBe(`Cajal: training points cancelled; epoch ${saved}'s weights kept in ${state.weights}.`);
    }, 120_000);
});

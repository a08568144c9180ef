/**
 * The PyTorch engine against the tfjs one, with real processes, files and a real Python:
 * - the networks of every architecture, given the same weights, compute the same outputs
 *   (the parameter layout is shared, so weights move between the engines unchanged);
 * - `cajal train --engine torch` trains a block as the tfjs engine does: same events, the
 *   same losses per epoch within float tolerance, the same result and files;
 * - weights round trip: torch-trained → `cajal run --weights` (tfjs) equals the torch module
 *   with those weights, and tfjs-trained weights load into the torch module;
 * - SIGINT keeps the last completed epoch; an abort while Python is still starting (before
 *   its signal handlers exist) is a cancellation, as on tfjs, not an error;
 * - every training process first pins glibc malloc's thresholds (steady_malloc), so a step's
 *   large temporaries are not mapped afresh each step, unless the user set them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ast } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { compileDocumentToTorch, encodeNpy } from '@cajal/compiler';
import { initBackend, runProgram } from '@cajal/runtime';
import { FOLDER_RECORD, buildExternNetwork, linkNetworks, prepareTraining, readManifest, runTorchTraining, saveNetworks, type TrainEvent } from '@cajal/train';
import { POINTS_PROGRAM, cajalBin, interruptInSecondEpoch, loadTraining, runCli, temporaryDirectory, writePoints } from './helpers.js';
import { TORCH_PYTHON, close, python } from '../../../test/torch-python.js';

const ARCHITECTURES = `
extern m : Real[5] -o Real[3] -o Bool = mlp(6, 4, activation = tanh)
extern l : Real[5] -o Nat[3] = linear
extern c : Real[8, 8] -o Nat[4] = cnn(2, 3, dense = 5)
extern c2 : Real[6, 6, 2] -o Real[3] = cnn(2, kernel = 5, activation = sigmoid, output = sigmoid)
extern v : Real[6, 6, 2] -o Real[6, 6, 3] = conv(4)
extern v1 : Real[5, 5] -o Real[5, 5] = conv(output = sigmoid)
extern d : Real[5, 5] -o Real[5, 5] = dilation(3)
def fm (a : Real[5]) (b : Real[3]) : Bool = m a b
def fl (a : Real[5]) : Nat[3] = l a
def fc (a : Real[8, 8]) : Nat[4] = c a
def fc2 (a : Real[6, 6, 2]) : Real[3] = c2 a
def fv (a : Real[6, 6, 2]) : Real[6, 6, 3] = v a
def fv1 (a : Real[5, 5]) : Real[5, 5] = v1 a
def fd (n : Nat[3]) (a : Real[5, 5]) : Real[5, 5] = iter n { zero => a ; succ y => d y }
`;

describe('networks of every architecture on both engines', () => {
    beforeAll(async () => { await initBackend('cpu'); });

    it('give the same outputs with the same weights (tfjs-saved weights loaded into torch)', async () => {
        const directory = temporaryDirectory();
        const { services, document, diagnostics } = await checkText(ARCHITECTURES);
        expect(diagnostics.filter(d => d.severity === 1).map(d => d.message)).toEqual([]);
        const module = document.parseResult.value as ast.Module;
        const networks = module.declarations.filter(ast.isExtern).map((extern, i) => buildExternNetwork(extern, 100 + i));
        await saveNetworks(path.join(directory, 'w'), networks, { train: 'layout', epoch: 1 });
        const { python: text, programs } = compileDocumentToTorch(document, services);
        fs.writeFileSync(path.join(directory, 'arch.py'), text);
        const linked = linkNetworks(networks);
        const expected: Record<string, number[]> = {};
        programs.forEach((program, p) => {
            const inputs = program.inputs.map((input, i) => {
                const data = Float32Array.from({ length: 4 * input.shape.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(k * 1.7 + i + p) * 0.8 + (input.type.kind === 'nat' ? 0.5 : 0));
                fs.writeFileSync(path.join(directory, `${program.name}-${i}.npy`), encodeNpy(data, [4, ...input.shape]));
                return tf.tensor(data, [4, ...input.shape]);
            });
            expected[program.name] = Array.from(runProgram(program, inputs, linked).dataSync());
        });
        const actual = python(`
import json, torch, arch, cajal_torch
nets = arch.build_networks()
cajal_torch.load_weights("w", nets)
out = {}
for name, definition in arch.definitions.items():
    inputs = [cajal_torch.read_npy("%s-%d.npy" % (name, i)) for i in range(len(definition.metadata["inputs"]))]
    out[name] = definition(nets)(*inputs).reshape(-1).tolist()
out["counts"] = {name: sum(p.numel() for p in net.parameters()) for name, net in nets.items()}
print(json.dumps(out))
`, directory) as Record<string, number[]> & { counts: Record<string, number> };
        for (const program of programs) close(actual[program.name], expected[program.name], program.name);
        expect(actual.counts).toEqual(Object.fromEntries(networks.map(n => [n.name, n.resolved.parameters])));
    }, 120_000);
});

describe('cajal train --engine torch (real processes)', () => {
    it('trains as the tfjs engine does: the same events, losses, result and files', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 400);
        fs.writeFileSync(path.join(directory, 'points.cajal'), POINTS_PROGRAM);
        const events = async (engine: string[]) => {
            const run = await runCli(['train', 'points.cajal', '--events', '--out', engine.length ? 'torch' : 'tfjs', '--backend', 'cpu', ...engine], directory);
            expect(run.stderr).toBe('');
            expect(run.code).toBe(0);
            return run.stdout.trim().split('\n').map(line => JSON.parse(line) as Record<string, unknown>);
        };
        const tfjs = await events([]);
        const torch = await events(['--engine', 'torch', '--python', TORCH_PYTHON]);
        expect(torch.map(e => e.event)).toEqual(tfjs.map(e => e.event));
        expect(torch.map(e => Object.keys(e).sort())).toEqual(tfjs.map(e => Object.keys(e).sort()));
        expect(torch[0]).toEqual({ ...tfjs[0], weights: expect.stringMatching(/torch$/), backend: expect.stringMatching(/^torch \S+ \(cpu\)$/) });
        // Same data, shuffles, initial weights and optimiser: the same numbers up to float rounding.
        torch.forEach((event, i) => {
            for (const key of ['loss', 'testLoss']) {
                if (typeof event[key] === 'number') expect(Math.abs((event[key] as number) - (tfjs[i][key] as number)), `${event.event} ${i} ${key}`).toBeLessThan(2e-3);
            }
            for (const key of ['accuracy', 'testAccuracy']) {
                if (typeof event[key] === 'number') expect(Math.abs((event[key] as number) - (tfjs[i][key] as number)), `${event.event} ${i} ${key}`).toBeLessThanOrEqual(2 / 64);
            }
        });
        const done = torch[torch.length - 1];
        expect(done).toMatchObject({ event: 'done', epochs: 6, weights: path.join(directory, 'torch') });
        const manifest = readManifest(path.join(directory, 'torch'));
        expect(manifest).toMatchObject({ format: 'cajal-weights/1', train: 'points', epoch: 6, externs: { below: { architecture: 'mlp', parameters: 2 * 8 + 8 + 8 * 2 + 2, learnable: true } } });
        // The record of what the tool wrote (docs/training.md), the lock released.
        expect(fs.readdirSync(path.join(directory, 'torch')).sort()).toEqual([FOLDER_RECORD, 'history.csv', 'history.json', 'history.svg', manifest.snapshot, 'weights.json'].sort());
        const history = JSON.parse(fs.readFileSync(path.join(directory, 'torch', 'history.json'), 'utf-8'));
        expect(history.history.map((h: { loss: number }) => h.loss)).toEqual(torch.filter(e => e.event === 'epoch').map(e => e.loss));

        const json = await runCli(['train', 'points.cajal', '--json', '--out', 'torch', '--engine', 'torch', '--epochs', '1'], directory);
        expect(json.code).toBe(0);
        expect(Object.keys(JSON.parse(json.stdout)).sort()).toEqual(['backend', 'cancelled', 'epochs', 'examples', 'final', 'seconds', 'train', 'weights']);
    }, 240_000);

    it('SIGINT after a completed epoch keeps that epoch\'s weights', async () => {
        const directory = temporaryDirectory();
        const { code, events, weights } = await interruptInSecondEpoch(directory, 400, ['--engine', 'torch']);
        expect(code).toBe(130);
        expect(events.filter(e => e.event === 'epoch')).toHaveLength(1);
        expect(events[events.length - 1]).toEqual({ event: 'cancelled', train: 'points', epochs: 1, weights });
        expect(readManifest(weights).epoch).toBe(1);
    }, 120_000);

    it('an abort while Python is still starting returns "cancelled", as on tfjs, and leaves the weights folder as it was', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 400);
        fs.writeFileSync(path.join(directory, 'points.cajal'), POINTS_PROGRAM);
        // The real Python, started through a script that marks the moment it runs: the abort
        // lands while the interpreter imports torch (a second or more), before the trainer's
        // SIGTERM handler exists, so the process dies of the signal.
        const started = path.join(directory, 'started');
        const wrapper = path.join(directory, 'python');
        fs.writeFileSync(wrapper, `#!/bin/sh\ntouch '${started}'\nexec '${TORCH_PYTHON}' "$@"\n`, { mode: 0o755 });
        const { services, training } = await loadTraining(path.join(directory, 'points.cajal'));
        const prepared = await prepareTraining(training, services, { backend: 'cpu' });
        try {
            for (const when of ['while starting', 'before the start'] as const) {
                fs.rmSync(started, { force: true });
                const controller = new AbortController();
                if (when === 'before the start') controller.abort();
                const events: TrainEvent[] = [];
                const weights = path.join(directory, 'w');
                const running = runTorchTraining(prepared, { weightsDirectory: weights, signal: controller.signal, onEvent: event => events.push(event), torch: { python: wrapper } });
                if (when === 'while starting') {
                    while (!fs.existsSync(started)) await new Promise(resolve => setTimeout(resolve, 5));
                    controller.abort();
                }
                const result = await running;
                expect(result, when).toMatchObject({ train: 'points', cancelled: true, epochs: 0, weights: null, history: [] });
                expect(events, when).toEqual([{ event: 'cancelled', train: 'points', epochs: 0, weights: null }]);
                // The process ran only in the first case; neither left weights, and the folder's lock is released.
                expect(fs.existsSync(started), when).toBe(when === 'while starting');
                expect(fs.existsSync(path.join(weights, 'weights.json')), when).toBe(false);
            }
            // The folder is free again: a run to it completes.
            const done = await runTorchTraining(prepared, { weightsDirectory: path.join(directory, 'w'), torch: { python: TORCH_PYTHON } });
            expect(done.cancelled).toBe(false);
            expect(readManifest(path.join(directory, 'w')).epoch).toBe(6);
        } finally {
            prepared.dispose();
        }
    }, 180_000);
});

const ROUND_TRIP = `
extern flip : Bool -o Bool = mlp(4)
def not (x : Bool) : Bool = if x then false else true
def main : Bool = not (flip true)
def other : Bool = flip false
train t { data "d.jsonl" (x : Bool, y : Bool); model not (flip x); target y; lr 0.05; epochs 4; batch 8; seed 2; }
`;

describe('weights move between the engines (real processes)', () => {
    for (const engine of ['torch', 'tfjs']) {
        it(`${engine}-trained weights give the same outputs on tfjs (cajal run --weights) and in the torch module`, async () => {
            const directory = temporaryDirectory();
            fs.writeFileSync(path.join(directory, 'm.cajal'), ROUND_TRIP);
            fs.writeFileSync(path.join(directory, 'd.jsonl'), Array.from({ length: 100 }, (_, i) => JSON.stringify({ x: i % 2 === 0, y: i % 2 === 0 })).join('\n') + '\n');
            const trained = await runCli(['train', 'm.cajal', '--json', '--engine', engine], directory);
            expect(trained.stderr).toBe('');
            expect(trained.code).toBe(0);
            const compiled = spawnSync(process.execPath, [cajalBin, 'compile', 'm.cajal', '--emit', 'torch'], { cwd: directory, encoding: 'utf-8' });
            expect(compiled.status).toBe(0);
            const torch = python(`
import json, m, cajal_torch
nets = m.build_networks()
cajal_torch.load_weights("m.weights/t", nets)
print(json.dumps({name: m.definitions[name](nets)().reshape(-1).tolist() for name in ("main", "other")}))
`, directory) as Record<string, number[]>;
            for (const name of ['main', 'other']) {
                const ran = await runCli(['run', 'm.cajal', '--def', name, '--weights', 'm.weights/t', '--json'], directory);
                expect(ran.code).toBe(0);
                close(torch[name], JSON.parse(ran.stdout).data, `${name} (trained on ${engine})`, 1e-5);
            }
            // Trained: not (flip x) = x, so flip learned not, and main = not (flip true) is true.
            expect(torch.main[0]).toBeGreaterThan(0.5);
        }, 180_000);
    }
});

describe('the trainer pins glibc malloc\'s thresholds (steady_malloc)', () => {
    // A training step's temporaries: four gradient-sized blocks (1.25 MB, 306 pages: the AND-even
    // networks' 784×400 kernel) live at once, then freed. Page faults per step in a fresh process.
    const FAULTS_PER_STEP = (pin: boolean) => `
import json, resource, torch, cajal_torch
pinned = cajal_torch.steady_malloc() if ${pin ? 'True' : 'False'} else None
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def step():
    blocks = [torch.ones(784, 400) for _ in range(4)]
    return len(blocks)
step()
before = faults()
for _ in range(20):
    step()
print(json.dumps({"pinned": pinned, "faults": (faults() - before) / 20}))
`;

    it('reuses a step\'s large temporaries from the heap instead of mapping them fresh every step', () => {
        const directory = temporaryDirectory();
        // The measurement sees fresh maps: with glibc held at its starting thresholds (128 KiB),
        // every page of every block is faulted in again each step. (Left to its dynamic rule,
        // glibc lands anywhere between that and none, run to run.)
        const mapped = python(FAULTS_PER_STEP(false), directory, { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' }) as { faults: number };
        expect(mapped.faults).toBeGreaterThanOrEqual(4 * 306);
        // Pinned, no block is mapped afresh (what remains, fewer than one block's pages, is
        // Python's and torch's own small allocations).
        const pinned = python(FAULTS_PER_STEP(true), directory) as { pinned: boolean; faults: number };
        expect(pinned.pinned).toBe(true);
        expect(pinned.faults).toBeLessThan(306);
    }, 120_000);

    it('leaves malloc alone where the user set its thresholds, and runs first in every training process', () => {
        const directory = temporaryDirectory();
        const result = python(`
import json, os, cajal_torch
refused = {}
for name, value in (("MALLOC_MMAP_THRESHOLD_", "1048576"), ("MALLOC_TRIM_THRESHOLD_", "1048576"), ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1048576")):
    os.environ[name] = value
    refused[name] = cajal_torch.steady_malloc()
    del os.environ[name]
os.environ["GLIBC_TUNABLES"] = "glibc.cpu.hwcaps=-AVX512F"
other_tunables = cajal_torch.steady_malloc()
del os.environ["GLIBC_TUNABLES"]
# The worker (one process, torchrun's and torch.multiprocessing's alike) pins it before it
# reads anything: here the plan's module is missing, so it stops right after.
calls = []
cajal_torch.steady_malloc = lambda: calls.append("steady_malloc")
cajal_torch.emit = lambda event: calls.append(event["event"])
try:
    cajal_torch.worker(0, {"nproc": 1, "device": "cpu", "module": os.path.abspath("missing.py")}, None, None)
except SystemExit:
    pass
print(json.dumps({"refused": refused, "otherTunables": other_tunables, "calls": calls}))
`, directory);
        expect(result).toEqual({
            refused: { MALLOC_MMAP_THRESHOLD_: false, MALLOC_TRIM_THRESHOLD_: false, GLIBC_TUNABLES: false },
            otherTunables: true,
            calls: ['steady_malloc', 'engine-error']
        });
    }, 120_000);
});

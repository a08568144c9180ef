/**
 * Data-parallel training on PyTorch (`--nproc 2`: DistributedDataParallel with gloo on CPU,
 * over 127.0.0.1 only): the AND-even example on a few examples. Both processes end with
 * identical weights, equal (within float tolerance) to one process with the same global
 * batch — also with a last batch of one example, so that one process has none of its rows.
 * Each process holds only its block of the training rows (and rank 0 alone the test set).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { prepareTraining, readManifest, runTorchTraining, torchTrainerScript } from '@cajal/train';
import { loadTraining, repositoryRoot, runCli, temporaryDirectory } from './helpers.js';
import { TORCH_PYTHON } from '../../../test/torch-python.js';

function weightsOf(directory: string): Float32Array {
    const manifest = readManifest(directory);
    const bytes = fs.readFileSync(path.join(directory, path.dirname(manifest.externs.isEven1.model), 'weights.bin'));
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe('cajal train --engine torch --nproc 2 (real processes, gloo on loopback)', () => {
    it('both ranks end with identical weights, equal to one process with the same global batch', async () => {
        const { services, training } = await loadTraining(path.join(repositoryRoot, 'examples/train/and-even.cajal'), 'andEven');
        // 257 examples in batches of 64: the last batch has one example, so one process holds
        // none of its rows (it runs forward and backward on an example weighted 0).
        const prepared = await prepareTraining(training, services, { limit: 257, epochs: 3, backend: 'cpu' });
        try {
            const directory = temporaryDirectory();
            const one = await runTorchTraining(prepared, { weightsDirectory: path.join(directory, 'one'), torch: { python: TORCH_PYTHON } });
            const events: string[] = [];
            const two = await runTorchTraining(prepared, {
                weightsDirectory: path.join(directory, 'two'), onEvent: event => events.push(event.event),
                torch: { python: TORCH_PYTHON, nproc: 2, ranksDirectory: path.join(directory, 'ranks') }
            });
            expect(two.cancelled).toBe(false);
            expect(two.backend).toMatch(/\(cpu, 2 processes\)$/);
            // Rank 0 alone reports: one start, 5 batches × 3 epochs, 3 epochs, one done, and the
            // block's evaluations (every 10 steps from step 0, and after the last, step 15).
            const batches = (n: number) => Array<string>(n).fill('batch');
            expect(events).toEqual(['start', 'evaluation', ...batches(5), 'epoch', ...batches(5), 'evaluation', 'epoch', ...batches(5), 'evaluation', 'epoch', 'done']);
            expect(two.evaluations.map(e => e.step)).toEqual([0, 10, 15]);
            two.evaluations.forEach((e, i) => expect(Math.abs(e.test.loss! - one.evaluations[i].test.loss!)).toBeLessThan(1e-4));
            // Each process read only its block of the 257 training rows; only rank 0 the test set.
            const held = [0, 1].map(rank => JSON.parse(fs.readFileSync(path.join(directory, 'ranks', `rank${rank}.json`), 'utf-8')));
            expect(held).toEqual([{ train: [0, 128], held: 128, test: prepared.data.test.size }, { train: [128, 257], held: 129, test: null }]);
            expect(prepared.data.test.size).toBeGreaterThan(0);
            const rank0 = weightsOf(path.join(directory, 'ranks', 'rank0'));
            const rank1 = weightsOf(path.join(directory, 'ranks', 'rank1'));
            expect(rank0.length).toBe(784 * 400 + 400 + 400 * 2 + 2);
            expect(Buffer.from(rank1.buffer).equals(Buffer.from(rank0.buffer))).toBe(true);
            expect(Buffer.from(weightsOf(path.join(directory, 'two')).buffer).equals(Buffer.from(rank0.buffer))).toBe(true);
            const single = weightsOf(path.join(directory, 'one'));
            let largest = 0;
            single.forEach((w, i) => { largest = Math.max(largest, Math.abs(w - rank0[i])); });
            expect(largest).toBeLessThan(1e-4);
            two.history.forEach((h, i) => expect(Math.abs(h.loss - one.history[i].loss)).toBeLessThan(1e-4));
            // The runs trained: the loss fell.
            expect(two.history[2].loss).toBeLessThan(two.history[0].loss);
        } finally {
            prepared.dispose();
        }
    }, 240_000);
});

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.listen(0, '127.0.0.1', () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
        server.on('error', reject);
    });
}

describe('cajal train --engine torch --plan DIR, then processes started as torchrun starts them', () => {
    it('trains from the plan with the environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT)', async () => {
        const directory = temporaryDirectory();
        fs.copyFileSync(path.join(repositoryRoot, 'examples/train/and-even.cajal'), path.join(directory, 'and-even.cajal'));
        const planned = await runCli(['train', 'and-even.cajal', '--train', 'andEven', '--engine', 'torch', '--limit', '128', '--epochs', '2', '--plan', 'plan', '--out', 'w'], directory);
        expect(planned.stderr).toBe('');
        expect(planned.code).toBe(0);
        expect(planned.stdout).toContain(`torchrun --nproc_per_node N ${torchTrainerScript()} ${path.join(directory, 'plan', 'plan.json')}`);
        // Debian's torch 1.13 torchrun fails under Python 3.11 before starting workers, so the
        // test sets torchrun's environment itself: two ranks, one rendezvous on loopback.
        const port = await freePort();
        const outputs = await Promise.all([0, 1].map(rank => new Promise<{ code: number | null; stdout: string; stderr: string }>(resolve => {
            const child = spawn(TORCH_PYTHON, [torchTrainerScript(), path.join(directory, 'plan', 'plan.json')], {
                env: { ...process.env, OMP_NUM_THREADS: '1', RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) }
            });
            let stdout = '', stderr = '';
            child.stdout.on('data', chunk => { stdout += chunk; });
            child.stderr.on('data', chunk => { stderr += chunk; });
            child.on('close', code => resolve({ code, stdout, stderr }));
        })));
        for (const output of outputs) {
            expect(output.stderr).toBe('');
            expect(output.code).toBe(0);
        }
        const events = outputs[0].stdout.trim().split('\n').map(line => JSON.parse(line) as { event: string; backend?: string });
        expect(events[0]).toMatchObject({ event: 'start', backend: expect.stringMatching(/2 processes/) });
        expect(events[events.length - 1]).toMatchObject({ event: 'done', epochs: 2, weights: path.join(directory, 'w') });
        expect(outputs[1].stdout).toBe(''); // only rank 0 reports
        expect(readManifest(path.join(directory, 'w')).epoch).toBe(2);
    }, 180_000);
});

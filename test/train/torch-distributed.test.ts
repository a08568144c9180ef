/**
 * Data-parallel training on PyTorch (`--nproc 2`: DistributedDataParallel with gloo on CPU,
 * over 127.0.0.1 only): the AND-even example on a few examples. Both processes end with
 * identical weights, equal (within float tolerance) to one process with the same global
 * batch — also with an uneven last batch, whose shards differ in size.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareTraining, readManifest, runTorchTraining } from '@cajal/train';
import { loadTraining, repositoryRoot, temporaryDirectory } from './helpers.js';
import { TORCH_PYTHON } from './torch-python.js';

function weightsOf(directory: string): Float32Array {
    const manifest = readManifest(directory);
    const bytes = fs.readFileSync(path.join(directory, path.dirname(manifest.externs.isEven.model), 'weights.bin'));
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe('cajal train --engine torch --nproc 2 (real processes, gloo on loopback)', () => {
    it('both ranks end with identical weights, equal to one process with the same global batch', async () => {
        const { services, training } = await loadTraining(path.join(repositoryRoot, 'examples/train/and-even.cajal'), 'andEven');
        // 251 examples in batches of 64: the last batch (59) splits into shards of 30 and 29.
        const prepared = await prepareTraining(training, services, { limit: 251, epochs: 3, backend: 'cpu' });
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
            // Rank 0 alone reports: one start, 4 batches × 3 epochs, 3 epochs, one done.
            expect(events).toEqual(['start', ...Array.from({ length: 3 }, () => [...Array<string>(4).fill('batch'), 'epoch']).flat(), 'done']);
            const rank0 = weightsOf(path.join(directory, 'ranks', 'rank0'));
            const rank1 = weightsOf(path.join(directory, 'ranks', 'rank1'));
            expect(rank0.length).toBe(784 * 64 + 64 + 64 * 2 + 2);
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

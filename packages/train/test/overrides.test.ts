/**
 * `cajal train --batch N --lr X` (real processes, both engines): the overrides reach the
 * training loop — the batch size sets the number of batches per epoch, the learning rate
 * changes the losses (and an override equal to the block's own value changes nothing) —
 * and bad values are usage errors naming the option.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { POINTS_PROGRAM, runCli, temporaryDirectory, writePoints } from './helpers.js';
import { TORCH_PYTHON } from '../../../test/torch-python.js';

type TrainEvent = Record<string, unknown> & { event: string };

let directory: string;
beforeAll(() => {
    directory = temporaryDirectory();
    // POINTS_PROGRAM: 256 training examples, batch 16, lr 0.05.
    writePoints(path.join(directory, 'points.jsonl'), 400);
    fs.writeFileSync(path.join(directory, 'points.cajal'), POINTS_PROGRAM);
});

const ENGINES = { tfjs: ['--backend', 'cpu'], torch: ['--engine', 'torch', '--python', TORCH_PYTHON] } as const;

describe.each(Object.keys(ENGINES) as Array<keyof typeof ENGINES>)('cajal train --batch/--lr on %s', engine => {
    const train = async (overrides: string[]): Promise<TrainEvent[]> => {
        const run = await runCli(['train', 'points.cajal', '--events', '--epochs', '2', '--out', `w-${engine}`, ...ENGINES[engine], ...overrides], directory);
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        return run.stdout.trim().split('\n').map(line => JSON.parse(line) as TrainEvent);
    };
    const epochLosses = (events: TrainEvent[]) => events.filter(e => e.event === 'epoch').map(e => e.loss as number);

    it('--batch sets the batches per epoch and --lr the step size', async () => {
        const plain = await train([]);
        expect(plain[0]).toMatchObject({ event: 'start', examples: 256, batches: 256 / 16 });
        expect(plain.filter(e => e.event === 'batch')).toHaveLength(2 * 16);

        const batched = await train(['--batch', '64']);
        expect(batched[0]).toMatchObject({ event: 'start', batches: 256 / 64 });
        expect(batched.filter(e => e.event === 'batch')).toHaveLength(2 * 4);
        expect(epochLosses(batched)).not.toEqual(epochLosses(plain));

        // The block's own lr (0.05) written out, in exponent form: the same run, loss for loss.
        const same = await train(['--lr', '5e-2']);
        expect(epochLosses(same)).toEqual(epochLosses(plain));
        // A tiny lr barely moves the weights: the first batch's loss is unchanged (it is
        // computed before the first step), the second epoch's is not the plain run's.
        const tiny = await train(['--lr', '1e-9']);
        const firstBatch = (events: TrainEvent[]) => events.find(e => e.event === 'batch')!.loss as number;
        expect(firstBatch(tiny)).toBeCloseTo(firstBatch(plain), 5);
        const [tinyFirst, tinySecond] = epochLosses(tiny);
        const [, plainSecond] = epochLosses(plain);
        expect(Math.abs(tinySecond - tinyFirst)).toBeLessThan(1e-3);
        expect(plainSecond).toBeLessThan(tinySecond - 0.01);
    }, 240_000);
});

describe('cajal train --batch/--lr: bad values', () => {
    it.each([
        [['--lr', '0'], "--lr expects a positive number such as 0.001 or 1e-3, but got '0'."],
        [['--lr', 'fast'], "--lr expects a positive number such as 0.001 or 1e-3, but got 'fast'."],
        [['--lr', 'Infinity'], "--lr expects a positive number such as 0.001 or 1e-3, but got 'Infinity'."],
        [['--batch', '0'], '--batch must be at least 1.'],
        [['--batch', '6.4'], "--batch expects a non-negative integer, but got '6.4'."]
    ])('%j is a usage error', async (args, message) => {
        const run = await runCli(['train', 'points.cajal', ...args], directory);
        expect(run.code).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toContain(message);
        expect(run.stderr).not.toMatch(/at \S+\.js:\d+/);
    }, 60_000);
});

/**
 * `evaluate every N [until M], …`: test-set evaluations by optimiser step, on both engines.
 * - the steps of a schedule (step 0, each segment's multiples from its start, the last step);
 * - the checker's messages for schedules that cannot be meant;
 * - `cajal train --events` prints an evaluation line at exactly those steps with the examples
 *   seen and the test metrics; `--json` and history.json keep them; the epoch's test metrics
 *   are its last step's evaluation; the torch engine evaluates at the same steps with the same
 *   numbers (same initial weights and shuffles).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkText } from '@cajal/language/testing';
import { evaluationSteps } from '@cajal/train';
import { runCli, temporaryDirectory, writePoints } from './helpers.js';
import { TORCH_PYTHON } from '../../../test/torch-python.js';

describe('evaluation steps of a schedule', () => {
    it('are step 0, the multiples of each segment from its start, and the last step', () => {
        expect(evaluationSteps([{ every: 10, until: 30 }, { every: 100 }], 250)).toEqual([0, 10, 20, 30, 130, 230, 250]);
        // The papers' schedule over 2,345 steps (150,000 examples in batches of 64).
        const papers = evaluationSteps([{ every: 10, until: 300 }, { every: 100 }], 2345);
        expect(papers.slice(0, 4)).toEqual([0, 10, 20, 30]);
        expect(papers.filter(s => s > 250 && s < 600)).toEqual([260, 270, 280, 290, 300, 400, 500]);
        expect(papers.slice(-3)).toEqual([2200, 2300, 2345]);
        expect(papers.length).toBe(1 + 30 + 20 + 1);
        // A schedule that ends early evaluates nothing more until the last step; one longer than training stops there.
        expect(evaluationSteps([{ every: 2, until: 4 }], 9)).toEqual([0, 2, 4, 9]);
        expect(evaluationSteps([{ every: 3 }], 7)).toEqual([0, 3, 6, 7]);
    });

    it('are checked: positive steps, increasing bounds, no segment after an unbounded one, one schedule', async () => {
        const source = `
extern isEven : Real[28, 28] -o Bool = mlp(8)
train a { data mnist (x, d); model isEven x; target true; evaluate every 10 until 300, every 100; }
train b { data mnist (x, d); model isEven x; target true; evaluate every 0, every 5; }
train c { data mnist (x, d); model isEven x; target true; evaluate every 10 until 300, every 5 until 200; evaluate every 1; }
`;
        const { diagnostics } = await checkText(source);
        const messages = (line: number) => diagnostics.filter(d => d.range.start.line === line - 1).map(d => [d.range.start.character, d.message]);
        const column = (line: number, text: string) => source.split('\n')[line - 1].indexOf(text);
        expect(messages(3)).toEqual([]);
        expect(messages(4)).toEqual([
            [column(4, '0, every 5'), "evaluate: 'every' needs a positive number of optimiser steps, got 0."],
            [column(4, 'every 5'), "evaluate: this segment is never reached: the one before it has no 'until', so it lasts to the end of training. Give it one, e.g. every 0 until 10."]
        ]);
        expect(messages(5)).toEqual([
            [column(5, 'evaluate every 1;'), "'evaluate' is given more than once; a train block has one schedule (segments separated by commas)."],
            [column(5, '200'), "evaluate: 'until 200' must be after the previous segment's end (step 300); the segments go forward in time."]
        ]);
    });
});

const PROGRAM = `
extern below : Real[2] -o Bool = mlp(8, output = raw)
train points {
  data "points.jsonl" (x : Real[2], above : Bool);
  model below x;
  target above;
  evaluate every 2 until 6, every 5;
  loss softmax_cross_entropy; optimizer adam; lr 0.05; epochs 2; batch 8; seed 3; examples 64; test 32;
}
`;

type Event = { event: string; step?: number; examples?: number; test?: { loss: number; accuracy: number; psnr: null }; [key: string]: unknown };

async function train(directory: string, out: string, engine: string[]) {
    const run = await runCli(['train', 'points.cajal', '--events', '--out', out, ...engine], directory);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return run.stdout.trim().split('\n').map(line => JSON.parse(line) as Event);
}

describe('evaluate every … when training', () => {
    it('prints evaluation events at the schedule\'s steps on both engines, with the same numbers, and keeps them in --json and history.json', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 200);
        fs.writeFileSync(path.join(directory, 'points.cajal'), PROGRAM);
        // 2 epochs of 8 batches: 16 steps; every 2 until 6, then every 5 from 6: 11, 16 (the last).
        const steps = [0, 2, 4, 6, 11, 16];
        const tfjs = await train(directory, 'w0', []);
        const evaluations = tfjs.filter(e => e.event === 'evaluation');
        expect(evaluations.map(e => [e.step, e.examples])).toEqual(steps.map(s => [s, s * 8]));
        for (const e of evaluations) {
            expect(e.test!.loss).toBeGreaterThan(0);
            expect(e.test!.accuracy).toBeGreaterThanOrEqual(0);
            expect(e.test!.psnr).toBeNull();
        }
        // Each evaluation comes after its step's batch event and before the next one.
        const order = tfjs.filter(e => e.event === 'batch' || e.event === 'evaluation').map(e => e.event === 'batch' ? 'b' : 'E').join('');
        expect(order).toBe('E' + 'bbEbbEbbE' + 'bbbbbE' + 'bbbbbE');
        // The epoch's test metrics: its last step's evaluation (step 16 for epoch 2; none at step 8).
        const epochs = tfjs.filter(e => e.event === 'epoch');
        expect(epochs.map(e => e.testAccuracy)).toEqual([null, evaluations[5].test!.accuracy]);
        expect(tfjs.find(e => e.event === 'done')!.final).toMatchObject({ testAccuracy: evaluations[5].test!.accuracy });
        const history = JSON.parse(fs.readFileSync(path.join(directory, 'w0', 'history.json'), 'utf-8'));
        expect(history.evaluations).toEqual(evaluations.map(({ event: _, ...rest }) => rest));

        const torch = await train(directory, 'w2', ['--engine', 'torch', '--python', TORCH_PYTHON]);
        const torchEvaluations = torch.filter(e => e.event === 'evaluation');
        expect(torchEvaluations.map(e => [e.step, e.examples])).toEqual(steps.map(s => [s, s * 8]));
        torchEvaluations.forEach((e, i) => {
            expect(Math.abs(e.test!.loss - evaluations[i].test!.loss), `step ${e.step}`).toBeLessThan(1e-3);
            expect(e.test!.accuracy).toBe(evaluations[i].test!.accuracy);
        });
        const torchHistory = JSON.parse(fs.readFileSync(path.join(directory, 'w2', 'history.json'), 'utf-8'));
        expect(torchHistory.evaluations.map((e: Event) => e.step)).toEqual(steps);

        const json = await runCli(['train', 'points.cajal', '--json', '--out', 'wj', '--epochs', '1'], directory);
        expect(json.code).toBe(0);
        const result = JSON.parse(json.stdout);
        // One epoch: 8 steps, so 0, 2, 4, 6 and the last step 8.
        expect(result.evaluations.map((e: Event) => e.step)).toEqual([0, 2, 4, 6, 8]);
        expect(result.evaluations[4].test.accuracy).toBe(result.final.testAccuracy);
    });
});

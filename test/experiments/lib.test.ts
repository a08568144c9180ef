/**
 * The experiment runner's pure parts (experiments/lib.mjs): the authors' evaluation
 * schedule (as @cajal/train's evaluationSteps reads it), cell parsing, statistics over seeds, the majority-class baseline, the resume
 * key, and the SVG figures (one line per seed, coloured by model, one panel per cell).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { evaluationSteps } from '@cajal/train';
import * as lib from '../../experiments/lib.mjs';

describe('the authors\' evaluation schedule', () => {
    it('evaluates at step 0, every 10 steps to 300, then every 100, and after the last step', () => {
        // 30,000 pairs, batch 64, 5 epochs: ⌈30,000 / 64⌉ = 469 steps per epoch.
        const total = 469 * 5;
        const steps = evaluationSteps(lib.AUTHORS_SCHEDULE, total);
        expect(steps.slice(0, 4)).toEqual([0, 10, 20, 30]);
        expect(steps.filter(s => s <= 300)).toHaveLength(31);
        expect(steps.filter(s => s > 300 && s < total)).toEqual(Array.from({ length: 20 }, (_, i) => 400 + 100 * i));
        expect(steps.at(-1)).toBe(2345);
        for (const checkpoint of lib.CHECKPOINTS) expect(steps).toContain(checkpoint);
    });
});

describe('cells', () => {
    it('parses BATCH:LR lists and names cells back the same way', () => {
        expect(lib.parseCells('64:1e-3, 128:0.0001')).toEqual([{ batch: 64, lr: 1e-3 }, { batch: 128, lr: 1e-4 }]);
        expect(lib.parseCells('all')).toHaveLength(9);
        expect(lib.parseCells('all').map(lib.cellName)).toContain('256:1e-5');
        expect(lib.cellName({ batch: 64, lr: 0.0005 })).toBe('64:5e-4');
        expect(lib.formatLr(0.05)).toBe('5e-2');
    });

    it.each(['64', '64:', '0:1e-3', '64:0', '64:-1e-3', 'x:1e-3', '64:fast'])('rejects %j with a message naming the option', text => {
        expect(() => lib.parseCells(text)).toThrow(/--cells expects BATCH:LR/);
    });
});

describe('seeds as the report lists them', () => {
    it('writes runs of consecutive seeds as ranges', () => {
        expect(lib.seedList([3, 1, 2, 2])).toBe('1–3');
        expect(lib.seedList(Array.from({ length: 10 }, (_, i) => i + 1))).toBe('1–10');
        expect(lib.seedList([1, 2, 5, 7, 8, 9])).toBe('1, 2, 5, 7–9');
        expect(lib.seedList([4])).toBe('4');
        expect(lib.seedList([])).toBe('');
    });
});

describe('statistics over seeds', () => {
    it('mean and sample standard deviation', () => {
        expect(lib.mean([0.9, 0.92, 0.94])).toBeCloseTo(0.92, 12);
        expect(lib.sd([0.9, 0.92, 0.94])).toBeCloseTo(0.02, 12);
        expect(lib.sd([0.5])).toBe(0);
        expect(lib.mean([])).toBeNaN();
        expect(lib.meanSd([0.9, 0.92, 0.94])).toBe('92.0 ± 2.0');
        expect(lib.meanSd([])).toBe('–');
    });

    it('picks each run\'s accuracy at a step, or at its last evaluation', () => {
        const runs = [
            { evaluations: [{ step: 0, accuracy: 0.5 }, { step: 100, accuracy: 0.8 }, { step: 2345, accuracy: 0.95 }] },
            { evaluations: [{ step: 0, accuracy: 0.4 }, { step: 2345, accuracy: 0.97 }] }
        ];
        expect(lib.accuraciesAt(runs, 0)).toEqual([0.5, 0.4]);
        expect(lib.accuraciesAt(runs, 100)).toEqual([0.8]);
        expect(lib.accuraciesAt(runs, 'final')).toEqual([0.95, 0.97]);
        expect(lib.accuraciesAt(runs, 300)).toEqual([]);
    });

    it('the majority class of one-hot targets', () => {
        const rows = [[0, 1], [0, 1], [1, 0], [0, 1]];
        expect(lib.majorityClass(rows, ['true', 'false'])).toEqual({ label: 'false', accuracy: 0.75, counts: { true: 1, false: 3 } });
    });
});

describe('resuming', () => {
    it('a run\'s key ignores the order of overrides and unset ones, and changes with anything that changes the run', () => {
        const base = { task: 'AND-even', model: 'D', train: 'andEven', blockHash: 'abc', engine: 'torch', overrides: { batch: 64, lr: 1e-3, seed: 1 } };
        expect(lib.runKey(base)).toBe(lib.runKey({ ...base, overrides: { seed: 1, lr: 1e-3, batch: 64, epochs: undefined } }));
        for (const changed of [{ engine: 'tfjs' }, { blockHash: 'abd' }, { model: 'I' }, { overrides: { ...base.overrides, seed: 2 } }, { overrides: { ...base.overrides, lr: 1e-4 } }]) {
            expect(lib.runKey({ ...base, ...changed })).not.toBe(lib.runKey(base));
        }
    });
});

describe('the source a train block depends on', () => {
    const declarations = [
        { name: 'not', text: 'def not (x : Bool) : Bool = if x then false else true' },
        { name: 'and', text: 'def and (x : Bool) (y : Bool) : Bool = if x then y else false' },
        { name: 'even', text: 'def even (n : Nat) : Bool = iter n { zero => true; succ y => not y }' },
        { name: 'isEven1', text: 'extern isEven1 : Real[28, 28] -o Bool = mlp(400, output = raw)' },
        { name: 'andEven', text: 'train andEven { data mnist (x1, d1) (x2, d2); model and (isEven1 x1) (isEven1 x2); target and (even d1) (even d2); }' },
        { name: 'church', text: 'extern church (x : Real[28, 28]) : Bool -o Bool -o Bool = mlp(400)' },
        { name: 'andEvenChurch', text: 'train andEvenChurch { model church x1 (isEven1 x2); target and (even d1) (even d2); }' }
    ];

    it('is the block and everything it mentions, transitively, in file order', () => {
        const text: string = lib.dependencyText(declarations, 'andEven');
        expect(text.split('\n').map(line => line.split(' ')[1])).toEqual(['not', 'and', 'even', 'isEven1', 'andEven']);
        expect(lib.dependencyText(declarations, 'andEvenChurch')).toContain('extern church');
    });

    it('changes when a definition the block uses changes, not when another block or extern does', () => {
        const base = lib.dependencyText(declarations, 'andEven');
        const edited = (name: string, text: string) => lib.dependencyText(declarations.map(d => d.name === name ? { name, text } : d), 'andEven');
        expect(edited('church', 'extern church (x : Real[28, 28]) : Bool -o Bool -o Bool = mlp(100)')).toBe(base);
        expect(edited('not', 'def not (x : Bool) : Bool = if x then true else false')).not.toBe(base);
        expect(() => lib.dependencyText(declarations, 'andEvenType')).toThrow(/no declaration 'andEvenType'/);
    });
});

describe('figures', () => {
    const evaluations = (offset: number) => [0, 10, 20, 100, 300].map(step => ({ step, accuracy: 0.5 + offset + step / 1000 }));
    const runs = ['D', 'T', 'I', 'C'].flatMap(model => [1, 2, 3].map(seed => ({ model, cell: '64:1e-3', seed, evaluations: evaluations(seed / 100) })));

    it('draws one line per seed in its model\'s colour, one legend entry per model, and the majority line', () => {
        const svg: string = lib.stepsFigure({ task: 'AND-even', cells: [{ batch: 64, lr: 1e-3 }], runs, majority: 0.75 });
        const lines = [...svg.matchAll(/<polyline points="([^"]*)" fill="none" stroke="(#[0-9a-f]{6})"/g)];
        expect(lines).toHaveLength(4 * 3 + 1);
        for (const [model, { color }] of Object.entries(lib.MODELS as Record<string, { color: string }>)) {
            expect(lines.filter(l => l[2] === color), model).toHaveLength(3);
        }
        expect(lines.every(l => l[1].split(' ').length >= 2)).toBe(true);
        expect(svg).not.toMatch(/NaN|undefined/);
        // Legend: the four models and the majority class, once each.
        expect(svg.match(/>D \(linked/g)).toHaveLength(1);
        expect(svg.match(/>C \(Church/g)).toHaveLength(1);
        expect(svg).toContain('majority class (75.0 %)');
        expect(svg).toContain('AND-even: batch 64, lr 1e-3');
    });

    it('lowers the accuracy axis below 0.4 only when a curve goes there', () => {
        const axis = (svg: string) => [...svg.matchAll(/text-anchor="end">([0-9.]+)</g)].map(m => Number(m[1]));
        expect(Math.min(...axis(lib.stepsFigure({ task: 'AND-even', cells: [{ batch: 64, lr: 1e-3 }], runs })))).toBe(0.4);
        const low = [{ model: 'D', cell: '64:1e-3', seed: 1, evaluations: [{ step: 0, accuracy: 0.27 }, { step: 10, accuracy: 0.9 }] }];
        expect(Math.min(...axis(lib.stepsFigure({ task: 'AND-even', cells: [{ batch: 64, lr: 1e-3 }], runs: low })))).toBe(0.2);
    });

    it('lays out one panel per cell, three to a row', () => {
        const cells = lib.parseCells('all');
        const svg: string = lib.stepsFigure({ task: 'EQ-even', cells, runs: runs.map(r => ({ ...r, cell: '128:1e-4' })) });
        const panels = [...svg.matchAll(/<svg x="(\d+)" y="(\d+)"/g)].map(m => [Number(m[1]), Number(m[2])]);
        expect(panels).toHaveLength(9);
        expect(new Set(panels.map(p => p[0])).size).toBe(3);
        expect(new Set(panels.map(p => p[1])).size).toBe(3);
        expect(svg.match(/\(not run\)/g)).toHaveLength(8);
        expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1560" height="1020"/);
    });

    it('the data-efficiency figure: mean over seeds per size with a min…max band', () => {
        const svg: string = lib.sizeFigure({ task: 'AND-even', metric: 'accuracy', points: [
            { model: 'D', size: 64, values: [0.8, 0.9] }, { model: 'D', size: 256, values: [0.9, 0.92] },
            { model: 'I', size: 64, values: [0.7, 0.75] }, { model: 'I', size: 256, values: [0.8, 0.81] }
        ], majority: 0.774 });
        expect(svg.match(/<polyline/g)).toHaveLength(3);
        expect(svg.match(/<polygon/g)).toHaveLength(2);
        expect(svg).toContain('training-set size (log scale)');
        expect(svg).toContain('majority class (77.4 %)');
    });
});

describe('interruptSignal (Ctrl-C in run.mjs and dilation.mjs)', () => {
    it('aborts on the first SIGINT or SIGTERM, saying where the finished runs are; exits with 130 on the second', () => {
        for (const first of ['SIGINT', 'SIGTERM']) {
            const host = new EventEmitter() as EventEmitter & { exit: (code: number) => void };
            const exits: number[] = [];
            host.exit = code => { exits.push(code); };
            const lines: string[] = [];
            const signal: AbortSignal = lib.interruptSignal('experiments/results.json', host, (line: string) => lines.push(line));
            expect(signal.aborted).toBe(false);
            host.emit(first);
            expect(signal.aborted).toBe(true);
            expect(lines).toEqual([`\n${first}: stopping after the current batch; finished runs are kept in experiments/results.json`]);
            expect(exits).toEqual([]);
            host.emit('SIGINT');
            expect(exits).toEqual([130]);
            expect(lines).toHaveLength(1);
        }
    });
});

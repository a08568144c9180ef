/**
 * prepareTraining's targets (programOnExamples): a target that reads only labels runs once per
 * distinct combination of labels and gives exactly the numbers of running it on every example;
 * a target that reads real-valued fields runs on every example.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkNetworks, prepareTraining, programOnExamples, type PreparedTraining } from '@cajal/train';
import { loadTraining, repositoryRoot, temporaryDirectory } from './helpers.js';

function bothWays(prepared: PreparedTraining, set: 'train' | 'test') {
    const networks = linkNetworks(prepared.networks.values());
    const width = prepared.trainTargets.shape[1]!;
    const auto = programOnExamples(prepared.targetProgram, prepared.data[set], prepared.fields, networks, width);
    const every = programOnExamples(prepared.targetProgram, prepared.data[set], prepared.fields, networks, width, 'every example');
    const result = { auto: auto.evaluated, every: every.evaluated, autoValues: Array.from(auto.values.dataSync()), everyValues: Array.from(every.values.dataSync()), shape: auto.values.shape };
    auto.values.dispose();
    every.values.dispose();
    return result;
}

describe('the targets of a train block', () => {
    for (const [file, name, rule] of [
        ['and-even.cajal', 'andEven', (a: boolean, b: boolean) => a && b],
        ['eq-even.cajal', 'eqEven', (a: boolean, b: boolean) => a === b]
    ] as const) {
        it(`${name}: one run per pair of labels seen, the same numbers as one per example`, async () => {
            const { services, training } = await loadTraining(path.join(repositoryRoot, 'examples/train', file), name);
            const prepared = await prepareTraining(training, services, { examples: 2000, test: 300, backend: 'cpu' });
            try {
                for (const set of ['train', 'test'] as const) {
                    const { auto, every, autoValues, everyValues, shape } = bothWays(prepared, set);
                    const size = prepared.data[set].size;
                    expect(shape).toEqual([size, 2]);
                    expect(every).toBe(size);
                    // Two Nat[10] labels: at most 100 combinations, and a set this large has most of them.
                    expect(auto).toBeLessThanOrEqual(100);
                    expect(auto).toBeGreaterThan(50);
                    expect(autoValues).toEqual(everyValues);
                    // What prepareTraining keeps is these numbers.
                    expect(Array.from((set === 'train' ? prepared.trainTargets : prepared.testTargets).dataSync())).toEqual(autoValues);
                    // And they are the rule on the labels: Bool's first component is true.
                    const label = (field: string, i: number) => {
                        const row = prepared.data[set].fields.get(field)!.data.subarray(i * 10, i * 10 + 10);
                        return row.indexOf(1);
                    };
                    for (let i = 0; i < size; i++) {
                        const truth = rule(label('d1', i) % 2 === 0, label('d2', i) % 2 === 0);
                        expect([autoValues[2 * i], autoValues[2 * i + 1]]).toEqual(truth ? [1, 0] : [0, 1]);
                    }
                }
            } finally {
                prepared.dispose();
            }
        }, 120_000);
    }

    it('a target that reads real numbers runs on every example (in chunks), the same as the fields', async () => {
        const directory = temporaryDirectory();
        const rows = Array.from({ length: 600 }, (_, i) => ({ x: [i / 600, 1 - i / 600], y: [Math.sin(i), i / 7] }));
        fs.writeFileSync(path.join(directory, 'd.jsonl'), rows.map(r => JSON.stringify(r)).join('\n') + '\n');
        fs.writeFileSync(path.join(directory, 'm.cajal'), [
            'extern f : Real[2] -o Real[2] = linear',
            'train t { data "d.jsonl" (x : Real[2], y : Real[2]); model f x; target y; epochs 1; batch 16; seed 1; test 100; }', ''
        ].join('\n'));
        const { services, training } = await loadTraining(path.join(directory, 'm.cajal'));
        const prepared = await prepareTraining(training, services, { backend: 'cpu' });
        try {
            const { auto, every, autoValues, everyValues } = bothWays(prepared, 'train');
            expect(prepared.data.train.size).toBe(500);
            expect(auto).toBe(500);
            expect(every).toBe(500);
            expect(autoValues).toEqual(everyValues);
            expect(autoValues).toEqual(Array.from(prepared.data.train.fields.get('y')!.data));
        } finally {
            prepared.dispose();
        }
    }, 120_000);
});

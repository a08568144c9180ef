/**
 * `cajal inspect`: the learned neuron of the papers' "type" control of AND — an extern
 * `Bool * Bool -o Bool = linear` trained on clean Bool pairs — read back as the nearest Cajal
 * program, which must be `and` (real processes, real tfjs training and weights).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkText } from '@cajal/language/testing';
import { ast } from '@cajal/language';
import { definitionMatrix } from '@cajal/compiler';
import { runCli, temporaryDirectory } from './helpers.js';

const AND = `
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
def or (x : Bool) (y : Bool) : Bool = if x then (if y then true else true) else y
extern learnedAnd : Bool * Bool -o Bool = linear
extern reader : Real[2] -o Bool = linear
train typeAnd {
  data "pairs.jsonl" (a : Bool, b : Bool);
  model learnedAnd (a, b);
  target and a b;
  loss cross_entropy; optimizer adam; lr 0.1; epochs 10; batch 8; seed 1; examples 200; test 40;
}
`;

function writeAndExample(directory: string): void {
    fs.writeFileSync(path.join(directory, 'and.cajal'), AND);
    // Every pair of Bools, in turn: clean, balanced data.
    const rows = Array.from({ length: 200 }, (_, i) => JSON.stringify({ a: i % 2 === 0, b: (i >> 1) % 2 === 0 }));
    fs.writeFileSync(path.join(directory, 'pairs.jsonl'), rows.join('\n') + '\n');
}

describe('cajal inspect (real training, real processes)', () => {
    it('reads the trained type-variant AND back as the program and, and measures it against and and or', async () => {
        const directory = temporaryDirectory();
        writeAndExample(directory);
        const trained = await runCli(['train', 'and.cajal', '--json'], directory);
        expect(trained.code, trained.stderr).toBe(0);

        // Weights found without --weights: and.weights/typeAnd holds learnedAnd.
        const inspected = await runCli(['inspect', 'and.cajal', '--extern', 'learnedAnd', '--compare', 'and', '--json'], directory);
        expect(inspected.code, inspected.stderr).toBe(0);
        const report = JSON.parse(inspected.stdout);
        expect(report).toMatchObject({ extern: 'learnedAnd', type: 'Bool * Bool -o Bool', shape: [2, 4], epoch: 10, rows: ['true', 'false'] });
        expect(report.columns).toEqual(['(true, true)', '(true, false)', '(false, true)', '(false, false)']);
        // Softmax columns: each sums to 1.
        for (let j = 0; j < 4; j++) expect(report.matrix[j] + report.matrix[4 + j]).toBeCloseTo(1, 5);
        expect(report.nearest.table).toEqual(['true', 'false', 'false', 'false']);
        expect(report.nearest.source).toBe('def learnedAndNearest (p : Bool * Bool) : Bool =\n  let (x, y) = p in if x then y else if y then false else false\n');
        expect(report.nearest.distance.agreeing).toBe(4);
        expect(report.nearest.distance.maxAbs).toBeLessThan(0.1);
        expect(report.compare).toMatchObject({ def: 'and', type: 'Bool -o Bool -o Bool', equalsNearest: true });
        expect(report.compare.distance.maxAbs).toBeCloseTo(report.nearest.distance.maxAbs, 10);

        // The printed program checks, and compiles to the matrix of and.
        const { services, document, diagnostics } = await checkText(`${AND}\n${report.nearest.source}`);
        expect(diagnostics.filter(d => d.severity === 1)).toEqual([]);
        const defs = Object.fromEntries(document.parseResult.value.declarations.map(d => [d.name, d])) as Record<string, ast.Definition>;
        expect(definitionMatrix(defs.learnedAndNearest, services).matrix).toEqual(definitionMatrix(defs.and, services).matrix);

        // Against or, the learned map differs on the two mixed inputs.
        const againstOr = await runCli(['inspect', 'and.cajal', '--extern', 'learnedAnd', '--compare', 'or', '--weights', 'and.weights/typeAnd'], directory);
        expect(againstOr.code, againstOr.stderr).toBe(0);
        expect(againstOr.stdout).toContain('learned matrix [2, 4]');
        expect(againstOr.stdout).toContain('let (x, y) = p in if x then y else if y then false else false');
        expect(againstOr.stdout).toMatch(/compared with or : Bool -o Bool -o Bool: max \|Δ\| 0\.9\d+, .*same most likely output on 2\/4 inputs; the nearest program differs from or\./);
    }, 120_000);

    it('says why it cannot inspect: no weights yet, an extern over Real, an unknown name', async () => {
        const directory = temporaryDirectory();
        writeAndExample(directory);
        const untrained = await runCli(['inspect', 'and.cajal', '--extern', 'learnedAnd'], directory);
        expect(untrained.code).toBe(1);
        expect(untrained.stderr.trim()).toBe("cajal inspect: no trained weights for 'learnedAnd' beside and.cajal: train first (cajal train and.cajal) or give --weights DIR.");
        const real = await runCli(['inspect', 'and.cajal', '--extern', 'reader'], directory);
        expect(real.code).toBe(1);
        expect(real.stderr).toContain("the extern 'reader' has no learned matrix to inspect: its input Real[2] is not discrete");
        const unknown = await runCli(['inspect', 'and.cajal', '--extern', 'and'], directory);
        expect(unknown.code).toBe(1);
        expect(unknown.stderr).toContain("and.cajal has no extern 'and' ('and' is a definition). Its externs: learnedAnd, reader.");
        const big = await runCli(['inspect', 'and.cajal', '--extern', 'learnedAnd', '--max-tensor', '9'], directory);
        expect(big.code).toBe(1);
        expect(big.stderr.trim()).toBe("cajal inspect: and.cajal: the learned matrix of 'learnedAnd' needs 16 entries, above the limit of 9 (--max-tensor).");
        const usage = await runCli(['inspect', 'and.cajal'], directory);
        expect(usage.code).toBe(2);
        expect(usage.stderr).toContain('inspect needs --extern NAME.');
    }, 60_000);
});

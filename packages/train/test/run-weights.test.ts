import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, temporaryDirectory } from './helpers.js';

describe('cajal train → cajal run --weights (real processes)', () => {
    it('runs a definition with the extern network trained and saved by cajal train', async () => {
        const directory = temporaryDirectory();
        // The target is the input itself, so `not (flip x)` must learn flip = not; then main = not (flip true) = true.
        fs.writeFileSync(path.join(directory, 'm.cajal'), `
extern flip : Bool -o Bool = mlp(4)
def not (x : Bool) : Bool = if x then false else true
def main : Bool = not (flip true)
train t { data "d.jsonl" (x : Bool, y : Bool); model not (flip x); target y; lr 0.05; epochs 20; batch 8; seed 2; }
`);
        fs.writeFileSync(path.join(directory, 'd.jsonl'), Array.from({ length: 100 }, (_, i) => JSON.stringify({ x: i % 2 === 0, y: i % 2 === 0 })).join('\n') + '\n');
        const trained = await runCli(['train', 'm.cajal', '--json'], directory);
        expect(trained.stderr).not.toMatch(/internal error/);
        expect(trained.code).toBe(0);
        const summary = JSON.parse(trained.stdout);
        expect(summary.final.testAccuracy).toBe(1);
        expect(summary.weights).toBe(path.join(directory, 'm.weights', 't'));

        const ran = await runCli(['run', 'm.cajal', '--weights', 'm.weights/t', '--json'], directory);
        expect(ran.code).toBe(0);
        const result = JSON.parse(ran.stdout);
        expect(result.decoded).toBe('true');
        expect(result.probability).toBeGreaterThan(0.9);
    });
});

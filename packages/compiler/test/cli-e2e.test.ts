/**
 * End to end with real processes and files: `cajal compile` writes a module, a fresh Node
 * process imports it with @tensorflow/tfjs and trains one step through it; `cajal compile
 * --emit weights` and `cajal run` on real files, including refusals.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '@cajal/compiler';
import { cliBin as cli } from '../../../test/executables.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
// Inside the repository, so the generated module resolves @tensorflow/tfjs and @cajal/runtime.
const work = fs.mkdtempSync(path.join(here, '.tmp-e2e-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function cajal(...args: string[]) {
    const result = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf-8', timeout: 120_000 });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cajal compile --emit tfjs, then a fresh Node process', () => {
    it('imports the generated module and trains one step through it', () => {
        const out = path.join(work, 'module');
        const compiled = cajal('compile', path.join(here, 'fixtures/linked.cajal'), '--emit', 'tfjs', '-o', out, '--json');
        expect(compiled.stderr).toBe('');
        expect(compiled.code).toBe(0);
        expect(JSON.parse(compiled.stdout).definitions.bothEven.externs).toEqual(['isEven']);
        expect(fs.existsSync(path.join(out, 'linked.d.ts'))).toBe(true);
        const script = path.join(out, 'train-one-step.mjs');
        fs.writeFileSync(script, `
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@cajal/runtime';
import { bothEven, churchAnd, dilate, main, metadata, verdict } from './linked.js';
await initBackend('cpu');
const W = tf.variable(tf.randomNormal([4, 2], 0, 1, 'float32', 1));
const networks = { isEven: x => tf.softmax(tf.matMul(x, W)) };
const a = tf.randomNormal([8, 4], 0, 1, 'float32', 2), b = tf.randomNormal([8, 4], 0, 1, 'float32', 3);
const target = tf.tensor2d(Array.from({ length: 8 }, (_, i) => (i % 2 ? [1, 0] : [0, 1])));
const loss = () => tf.losses.softmaxCrossEntropy(target, tf.log(bothEven(a, b, networks).add(1e-6)));
const before = loss().dataSync()[0];
const weightsBefore = Array.from(W.dataSync());
tf.train.sgd(0.5).minimize(loss, false, [W]);
const after = loss().dataSync()[0];
let missing;
try { bothEven(a, b, {}); } catch (e) { missing = e.message; }
const grown = dilate(tf.tensor2d([[0, 0, 1]]), tf.ones([1, 4]), { grow: x => x.mul(2) });
// judge : Real[4] -o Bool -o Bool is one network called with both arguments (a batch of 1 broadcasts).
const judgeCalls = [];
const judge = (x, y) => { judgeCalls.push([x.shape, y.shape]); return y; };
const verdicts = verdict(tf.ones([3, 4]), tf.tensor2d([[1, 0]]), { judge });
// church's output is a [4, 2] matrix per example, which churchAnd applies to b, then to false.
const churchOut = churchAnd(tf.ones([1, 4]), tf.tensor2d([[0.25, 0.75]]), { church: x => tf.tensor3d([[[1, 2], [3, 4], [5, 6], [7, 8]]]) });
console.log(JSON.stringify({ before, after, changed: Array.from(W.dataSync()).some((w, i) => w !== weightsBefore[i]),
  shape: bothEven(a, b, networks).shape, main: Array.from(main().dataSync()), grown: Array.from(grown.dataSync()),
  missing, inputs: metadata.bothEven.inputs.map(i => i.name), verdicts: Array.from(verdicts.dataSync()), judgeCalls,
  church: Array.from(churchOut.dataSync()), churchExtern: metadata.churchAnd.externs }));
`);
        const run = spawnSync(process.execPath, [script], { cwd: out, encoding: 'utf-8', timeout: 120_000 });
        expect(run.stderr).toBe('');
        const result = JSON.parse(run.stdout);
        expect(Number.isFinite(result.before)).toBe(true);
        expect(result.after).toBeLessThan(result.before);
        expect(result.changed).toBe(true);
        expect(result.shape).toEqual([8, 2]);
        expect(result.main).toEqual([1, 0]);
        expect(result.grown).toEqual([4, 4, 4, 4]);
        expect(result.missing).toMatch(/'isEven'/);
        expect(result.inputs).toEqual(['a', 'b']);
        expect(result.judgeCalls).toEqual([[[3, 4], [3, 2]]]);
        expect(result.verdicts).toEqual([0, 1, 0, 1, 0, 1]);
        // By hand: w = M b = [1.75, 3.75, 5.75, 7.75] is the Bool -o Bool matrix [[w0, w1], [w2, w3]]; at false, [w1, w3].
        expect(result.church).toEqual([3.75, 7.75]);
        expect(result.churchExtern).toEqual(['church']);
    });
});

describe('cajal compile --emit weights', () => {
    it('writes JSON and .npy per closed definition and prints the neurons with --json', () => {
        const out = path.join(work, 'weights');
        const result = cajal('compile', path.join(root, 'examples/neurons.cajal'), '--emit', 'weights', '-o', out, '--json');
        expect(result.code).toBe(0);
        const json = JSON.parse(result.stdout);
        expect(json.definitions.and).toEqual({ type: 'Bool -o Bool -o Bool', shape: [4, 2], data: [1, 0, 0, 0, 0, 1, 1, 1], rows: ['true↦true', 'false↦true', 'true↦false', 'false↦false'], cols: ['true', 'false'] });
        expect(json.definitions.add.shape).toEqual([100, 10]);
        const npy = decodeNpy(fs.readFileSync(path.join(out, 'add.npy')));
        expect(npy.shape).toEqual([100, 10]);
        expect(Array.from(npy.data)).toEqual(json.definitions.add.data);
        expect(JSON.parse(fs.readFileSync(path.join(out, 'and.json'), 'utf-8')).data).toEqual([1, 0, 0, 0, 0, 1, 1, 1]);
    });

    it('skips definitions that call externs, saying why', () => {
        const out = path.join(work, 'weights-linked');
        const result = cajal('compile', path.join(here, 'fixtures/linked.cajal'), '--emit', 'weights', '-o', out);
        expect(result.code).toBe(0);
        expect(result.stderr).toMatch(/'bothEven' is not written: depends on the extern 'isEven'/);
        expect(fs.existsSync(path.join(out, 'and.npy'))).toBe(true);
        expect(fs.existsSync(path.join(out, 'bothEven.npy'))).toBe(false);
    });

    it('refuses ill-typed input with diagnostics, exit 1 and nothing written', () => {
        const bad = path.join(work, 'bad.cajal');
        fs.writeFileSync(bad, 'def f (x : Bool) (y : Bool) : Bool = if x then y else false\n');
        const out = path.join(work, 'bad-out');
        for (const emit of ['weights', 'tfjs']) {
            const result = cajal('compile', bad, '--emit', emit, '-o', out);
            expect(result.code).toBe(1);
            expect(result.stderr).toMatch(/bad\.cajal:1:\d+: error\[linearity\/branch-mismatch\]/);
            expect(fs.existsSync(out)).toBe(false);
        }
        const json = cajal('compile', bad, '--emit', 'weights', '--json');
        expect(JSON.parse(json.stdout).diagnostics[0].code).toBe('linearity/branch-mismatch');
        expect(cajal('compile', bad).code).toBe(2);
    });
});

describe('cajal run', () => {
    it('runs main on tfjs and prints the tensor, its decoding and the backend', () => {
        const result = cajal('run', path.join(root, 'examples/neurons.cajal'), '--backend', 'cpu');
        expect(result.code).toBe(0);
        expect(result.stdout).toContain('main : Bool');
        expect(result.stdout).toContain('tensor [2]: [1, 0]');
        expect(result.stdout).toContain('true (p = 1.00)');
        expect(result.stdout).toMatch(/backend: cpu/);
        const json = JSON.parse(cajal('run', path.join(root, 'examples/neurons.cajal'), '--def', 'parity', '--json').stdout);
        expect(json).toMatchObject({ def: 'parity', type: 'Nat -o Bool', shape: [2, 10], decoded: '<function Nat -o Bool>', probability: null });
        expect(json.data).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
        expect(['wasm', 'cpu']).toContain(json.backend);
    });

    it('names the externs that have no implementation', () => {
        const program = path.join(work, 'needs.cajal');
        fs.writeFileSync(program, 'extern isEven : Real[4] -o Bool\nextern other : Bool -o Bool\ndef main : Real[4] -o Bool = fun a => other (isEven a)\n');
        const result = cajal('run', program);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/'main' calls the externs 'other', 'isEven'|'main' calls the externs 'isEven', 'other'/);
        expect(cajal('run', program, '--def', 'nothing').stderr).toMatch(/no definition 'nothing'/);
    });
});

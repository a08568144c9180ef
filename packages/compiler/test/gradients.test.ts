/** Gradients through compiled programs with free variables and externs (tfjs autodiff), through if and iter. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ast } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { compileDefinition, type Program } from '@cajal/compiler';
import { initBackend, runProgram, encodeNat, MissingNetworksError } from '@cajal/runtime';

const SOURCE = `
def not (x : Bool) : Bool = if x then false else true
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
extern isEven : Real[6] -o Bool
extern grow : Real[6] -o Real[6]
def bothEven (a : Real[6]) (b : Real[6]) : Bool = and (isEven a) (isEven b)
def choose (c : Bool) (a : Real[6]) : Bool = if c then isEven a else not (isEven a)
def dilate (n : Nat[5]) (x : Real[6]) : Real[6] = iter n { zero => x ; succ y => grow y }
def parityOf (x : Real[6]) (n : Nat[4]) : Bool = iter n { zero => isEven x ; succ y => not y }
def gated (c : Bool) (n : Nat[3]) (x : Real[6]) : Real[6] = if c then iter n { zero => x ; succ y => grow y } else iter n { zero => grow x ; succ y => y }
`;

let programs: Record<string, Program>;

beforeAll(async () => {
    await initBackend('cpu');
    const { services, document, diagnostics } = await checkText(SOURCE);
    expect(diagnostics.filter(d => d.severity === 1)).toEqual([]);
    programs = Object.fromEntries((document.parseResult.value as ast.Module).declarations.filter(ast.isDefinition).map(d => [d.name, compileDefinition(d, services).program]));
});

function finiteNonZero(t: tf.Tensor): void {
    const values = Array.from(t.dataSync());
    expect(values.every(Number.isFinite)).toBe(true);
    expect(values.some(v => Math.abs(v) > 1e-8)).toBe(true);
}

describe('gradients through compiled programs', () => {
    const batch = 5;
    const x = () => tf.randomNormal([batch, 6], 0, 1, 'float32', 7);

    it('reach the weights of linked networks and the inputs (multilinear gate of two network outputs)', () => {
        const W = tf.variable(tf.randomNormal([6, 2], 0, 1, 'float32', 1));
        const networks = { isEven: (a: tf.Tensor) => tf.softmax(tf.matMul(a as tf.Tensor2D, W)) };
        const a = x(), b = tf.randomNormal([batch, 6], 0, 1, 'float32', 3);
        const { grads, value } = tf.variableGrads(() => runProgram(programs.bothEven, [a, b], networks).slice([0, 0], [-1, 1]).sum() as tf.Scalar, [W]);
        finiteNonZero(grads[W.name]);
        expect(Number.isFinite(value.dataSync()[0])).toBe(true);
        const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => runProgram(programs.bothEven, [p, q], networks).sum())([a, b]);
        expect(Array.from(ga.dataSync()).every(Number.isFinite)).toBe(true);
        expect(Array.from(gb.dataSync()).every(Number.isFinite)).toBe(true);
    });

    it('flow through if: to the condition and to the network in both branches', () => {
        const W = tf.variable(tf.randomNormal([6, 2], 0, 1, 'float32', 2));
        const networks = { isEven: (a: tf.Tensor) => tf.softmax(tf.matMul(a as tf.Tensor2D, W)) };
        const c = tf.softmax(tf.randomNormal([batch, 2], 0, 1, 'float32', 4));
        const loss = () => runProgram(programs.choose, [c, x()], networks).slice([0, 0], [-1, 1]).sum() as tf.Scalar;
        finiteNonZero(tf.variableGrads(loss, [W]).grads[W.name]);
        const [gc] = tf.grads((cond: tf.Tensor) => runProgram(programs.choose, [cond, x()], networks).slice([0, 0], [-1, 1]).sum())([c]);
        finiteNonZero(gc);
    });

    it('flow through iter: into a recurrent step network and into the (soft) count', () => {
        const W = tf.variable(tf.randomNormal([6, 6], 0, 0.5, 'float32', 5));
        const networks = { grow: (y: tf.Tensor) => tf.matMul(y as tf.Tensor2D, W) };
        const n = encodeNat([0, 1, 2, 3, 4], 5);
        const out = runProgram(programs.dilate, [n, x()], networks);
        expect(out.shape).toEqual([batch, 6]);
        finiteNonZero(tf.variableGrads(() => runProgram(programs.dilate, [n, x()], networks).square().sum() as tf.Scalar, [W]).grads[W.name]);
        const soft = tf.softmax(tf.randomNormal([batch, 5], 0, 1, 'float32', 6));
        const [gn] = tf.grads((count: tf.Tensor) => runProgram(programs.dilate, [count, x()], networks).sum())([soft]);
        finiteNonZero(gn);
        // The step network ran on the actual state: count 2 applies it twice.
        const two = runProgram(programs.dilate, [encodeNat([2], 5), x().slice([0, 0], [1, 6])], networks);
        const expected = tf.matMul(tf.matMul(x().slice([0, 0], [1, 6]) as tf.Tensor2D, W), W);
        expect(Array.from(two.dataSync()).map(v => v.toFixed(3))).toEqual(Array.from(expected.dataSync()).map(v => v.toFixed(3)));
    });

    it('flow through iter whose base calls a network and through if around iter', () => {
        const W = tf.variable(tf.randomNormal([6, 2], 0, 1, 'float32', 8));
        const V = tf.variable(tf.randomNormal([6, 6], 0, 0.5, 'float32', 9));
        const networks = {
            isEven: (a: tf.Tensor) => tf.softmax(tf.matMul(a as tf.Tensor2D, W)),
            grow: (y: tf.Tensor) => tf.tanh(tf.matMul(y as tf.Tensor2D, V))
        };
        const grads = tf.variableGrads(() => runProgram(programs.parityOf, [x(), encodeNat([0, 1, 2, 3, 1], 4)], networks).slice([0, 0], [-1, 1]).sum() as tf.Scalar, [W]).grads;
        finiteNonZero(grads[W.name]);
        const c = tf.softmax(tf.randomNormal([batch, 2], 0, 1, 'float32', 10));
        const g2 = tf.variableGrads(() => runProgram(programs.gated, [c, encodeNat([0, 1, 2, 2, 1], 3), x()], networks).sum() as tf.Scalar, [V]).grads;
        finiteNonZero(g2[V.name]);
    });

    it('refuse to run without the externs, naming them', () => {
        expect(() => runProgram(programs.bothEven, [x(), x()], {})).toThrow(MissingNetworksError);
        expect(() => runProgram(programs.gated, [tf.zeros([1, 2]), tf.zeros([1, 3]), x()], {})).toThrow(/'grow'/);
        expect(() => runProgram(programs.dilate, [x()], { grow: y => y })).toThrow(/takes 2 input/);
    });
});

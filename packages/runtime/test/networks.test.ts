import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { MissingNetworksError, callNetwork, initBackend, missingNetworks, networkCall, requireNetworks, type LinkedNetworks } from '@cajal/runtime';

beforeAll(async () => { await initBackend('cpu'); });

describe('linked networks', () => {
    const isEven = (x: tf.Tensor) => tf.softmax(tf.ones([x.shape[0], 2]));
    const linked: LinkedNetworks = { isEven };

    it('names every missing extern, once', () => {
        expect(missingNetworks(['isEven'], linked)).toBeUndefined();
        const error = missingNetworks(['isEven', 'dilate', 'classify', 'dilate'], linked);
        expect(error).toBeInstanceOf(MissingNetworksError);
        expect(error?.missing).toEqual(['dilate', 'classify']);
        expect(error?.message).toBe("externs 'dilate', 'classify' are not linked: pass a network for each");
        expect(() => requireNetworks(['dilate'], undefined)).toThrow("extern 'dilate' is not linked: pass a network for it");
    });

    it('checks the shape a network returns, reshaping a flat result', () => {
        const x = tf.zeros([3, 28, 28]);
        expect(callNetwork('isEven', isEven, x, [2]).shape).toEqual([3, 2]);
        const flatImage = (input: tf.Tensor) => tf.zeros([input.shape[0], 784]);
        expect(callNetwork('dilate', flatImage, x, [28, 28]).shape).toEqual([3, 28, 28]);
        expect(() => callNetwork('isEven', (input: tf.Tensor) => tf.zeros([input.shape[0], 10]), x, [2]))
            .toThrow("extern 'isEven': the linked network returned shape [3, 10], expected [3, 2]");
    });

    it('calls a network of several arguments with all of them, broadcasting a batch of 1', () => {
        const calls: number[][][] = [];
        const judge = (a: tf.Tensor, b: tf.Tensor) => { calls.push([a.shape, b.shape]); return tf.mul(b, a.sum(1, true)); };
        const a = tf.tensor2d([[1, 2], [3, 4], [0, 1]]);
        const y = callNetwork('judge', judge, [a, tf.tensor2d([[1, 0]])], [2]);
        expect(calls).toEqual([[[3, 2], [3, 2]]]);
        expect(Array.from(y.dataSync())).toEqual([3, 0, 7, 0, 1, 0]);
        expect(() => callNetwork('judge', judge, [a, tf.zeros([2, 2])], [2])).toThrow("extern 'judge': the inputs have different batch sizes 3 and 2");
    });

    it('networkCall (generated code) reshapes each flat input to its argument shape; one tensor and shape still work', () => {
        const seen: number[][] = [];
        const shapes = (...inputs: tf.Tensor[]) => { seen.push(...inputs.map(x => x.shape)); return tf.zeros([inputs[0].shape[0], 2]); };
        expect(networkCall({ shapes }, 'shapes', [tf.zeros([3, 784]), tf.zeros([3, 2])], [[28, 28], [2]], [2]).shape).toEqual([3, 2]);
        expect(networkCall({ shapes }, 'shapes', tf.zeros([3, 784]), [28, 28], [2]).shape).toEqual([3, 2]);
        expect(seen).toEqual([[3, 28, 28], [3, 2], [3, 28, 28]]);
        expect(() => networkCall({ shapes }, 'shapes', [tf.zeros([3, 784])], [[28, 28], [2]], [2])).toThrow("extern 'shapes' takes 2 input(s), got 1");
    });
});

// The hover's words for what a type compiles to.
import { describe, expect, test } from 'vitest';
import { Bool, product, RealT } from '@cajal/language';
import { iterNeuronText, neuronShapeText, plural } from '../src/lsp/describe.js';
import { natOf } from '@cajal/language';

describe('hover wording', () => {
    test('plurals: entries, weights, one entry', () => {
        expect(plural(8, 'entry')).toBe('8 entries');
        expect(plural(1, 'entry')).toBe('1 entry');
        expect(plural(1000, 'weight')).toBe('1,000 weights');
        expect(plural(2, 'key')).toBe('2 keys');
    });

    test('tensor shapes count their entries', () => {
        expect(neuronShapeText(new RealT([2, 3]))).toBe('real tensor, shape [2, 3] (6 entries)');
        expect(neuronShapeText(product(Bool, Bool))).toBe('tensor product, shape [2, 2] (4 entries, Bool ⊗ Bool)');
        expect(iterNeuronText(natOf(4), Bool)).toBe('recurrent neuron, unrolled 3 steps (count Nat[4]), state Bool, state shape [2] (2 entries)');
    });
});

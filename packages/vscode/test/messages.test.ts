import { describe, expect, it } from 'vitest';
import { handleNeuronViewMessage, handleTrainingViewMessage } from '../src/messages.js';

function recorder() {
    const calls: string[] = [];
    const h = (name: string) => () => { calls.push(name); };
    return { calls, neuron: { ready: h('ready'), refresh: h('refresh'), copy: h('copy') }, training: { ready: h('ready'), cancel: h('cancel'), revealWeights: h('revealWeights') } };
}

describe('webview message handling', () => {
    it('dispatches each known neuron-view message to its handler', async () => {
        const r = recorder();
        for (const type of ['ready', 'refresh', 'copy']) expect(await handleNeuronViewMessage({ type }, r.neuron)).toBe(true);
        expect(r.calls).toEqual(['ready', 'refresh', 'copy']);
        // Pin only where the view handles it.
        expect(await handleNeuronViewMessage({ type: 'pin' }, r.neuron)).toBe(false);
        expect(await handleNeuronViewMessage({ type: 'pin' }, { ...r.neuron, pin: () => { r.calls.push('pin'); } })).toBe(true);
        expect(r.calls.at(-1)).toBe('pin');
    });

    it('dispatches each known training-view message to its handler', async () => {
        const r = recorder();
        for (const type of ['ready', 'cancel', 'revealWeights']) expect(await handleTrainingViewMessage({ type }, r.training)).toBe(true);
        expect(r.calls).toEqual(['ready', 'cancel', 'revealWeights']);
    });

    it('ignores malformed and unknown messages', async () => {
        const r = recorder();
        for (const message of [null, undefined, 42, 'cancel', {}, { type: 7 }, { type: 'cancel ' }, { type: 'constructor' }, { type: 'copy' }]) {
            expect(await handleTrainingViewMessage(message, r.training)).toBe(false);
        }
        for (const message of [{ type: 'cancel' }, { type: '__proto__' }, []]) {
            expect(await handleNeuronViewMessage(message, r.neuron)).toBe(false);
        }
        expect(r.calls).toEqual([]);
    });
});

import { describe, expect, it } from 'vitest';
import { RUNTIME_ENTRY_POINTS } from '@cajal/ir';
import * as runtime from '@cajal/runtime';

describe('the runtime entry points of the tensor contract', () => {
    it('are all exported as functions, so every call a generated module makes resolves', () => {
        const exported = runtime as unknown as Record<string, unknown>;
        const missing = RUNTIME_ENTRY_POINTS.filter(name => typeof exported[name] !== 'function');
        expect(missing).toEqual([]);
    });
});

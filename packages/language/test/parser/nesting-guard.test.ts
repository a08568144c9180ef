/**
 * The lexer's nesting guard (cajal-lexer.ts) on this thread's stack: a declaration nested
 * deeper than the budget keeps its head and loses its body; every other token is kept, and
 * input within the budget comes back as it was lexed (the same array: no copy).
 */
import { describe, expect, test } from 'vitest';
import { DefaultLexer } from 'langium';
import { createCajalCoreServices } from '@cajal/language';
import { MAX_NESTING_DEPTH, NESTING_MESSAGE_START, guardNesting } from '../../src/parser/cajal-lexer.js';

// Langium's lexer on Cajal's tokens, without the guards Cajal's lexer applies.
const lexer = new DefaultLexer(createCajalCoreServices().Cajal);
const images = (text: string) => lexer.tokenize(text).tokens.map(token => token.image);

describe('the nesting guard', () => {
    test('gives back the lexed tokens themselves when nothing nests too deeply', () => {
        const { tokens } = lexer.tokenize('def f (x : Bool) : Bool = ((x))\n\ndef g : Bool = f true\n');
        const guarded = guardNesting(tokens);
        expect(guarded.errors).toEqual([]);
        expect(guarded.tokens).toBe(tokens);
    });

    test("drops only the too-deep declaration's body, with an error where the budget ran out", () => {
        const depth = MAX_NESTING_DEPTH + 5;
        const before = 'def a : Bool = (true)\n';
        const deep = `def f (x : Bool) : Bool = ${'('.repeat(depth)}x${')'.repeat(depth)}\n`;
        const after = 'def g : Bool = f (a)\n';
        const { tokens } = lexer.tokenize(before + deep + after);
        const guarded = guardNesting(tokens);
        expect(guarded.errors).toHaveLength(1);
        expect(guarded.errors[0].message.startsWith(NESTING_MESSAGE_START)).toBe(true);
        expect(guarded.errors[0].line).toBe(2);
        // The head up to `=`, then the next declaration: nothing of the body.
        expect(guarded.tokens.map(token => token.image)).toEqual([...images(before), ...images('def f (x : Bool) : Bool ='), ...images(after)]);
        // The input array is not changed.
        expect(tokens.map(token => token.image)).toEqual(images(before + deep + after));
    });
});

import { describe, expect, it } from 'vitest';
import { DECLARATION_KEYWORDS, TOP_LEVEL_KEYWORDS, scanBlockComment } from '@cajal/language/lexical';

describe('the lexical facts', () => {
    it('scans a nested block comment to its matching close', () => {
        const text = 'x {- a {- b -} c -} y';
        expect(scanBlockComment(text, 2)).toEqual({ end: text.indexOf(' y'), closed: true });
    });

    it('runs an unclosed block comment to the end of the text', () => {
        expect(scanBlockComment('{- a {- b -} c', 0)).toEqual({ end: 14, closed: false });
        // `{-}` opens a comment: the `-` belongs to the opener, not to a close.
        expect(scanBlockComment('{-} x', 0).closed).toBe(false);
    });

    it('starts top-level items with the declaration and header keywords only', () => {
        expect([...DECLARATION_KEYWORDS]).toEqual(['def', 'extern', 'train']);
        expect([...TOP_LEVEL_KEYWORDS].sort()).toEqual(['def', 'extern', 'import', 'module', 'train']);
    });
});

import type { ILexingError, IToken } from 'chevrotain';
import { BRACKET_PAIRS, CLOSING_BRACKETS, OPENING_BRACKETS, TOP_LEVEL_KEYWORDS } from './cajal-lexical.js';

/**
 * More unclosed brackets (or `if`s without `else`) than this in one declaration, and the
 * rest of that declaration is not parsed. Chevrotain's error recovery costs roughly the
 * square of the number of open rules (measured: 300 unclosed parentheses take 1.3 s to
 * parse, 1,000 take 11 s, 10,000 unmatched `if`s over 3 minutes), and half-typed code
 * never has more than a handful open, so the tools trade parsing absurd input for
 * staying responsive. Applied by the lexer (cajal-lexer.ts) after the nesting guard: each
 * declaration whose brackets or `if … then … else` are left open more than this deep loses
 * its tokens from the first unclosed one on, with a lexing error there (code `parse`).
 */
export const MAX_UNCLOSED = 64;

/** Part of the guard's message, by which its parse-error cascade is recognised. */
export const UNBALANCED_MESSAGE_MARK = 'are never closed; this declaration was not checked';


export function guardUnbalanced(tokens: IToken[]): { tokens: IToken[]; errors: ILexingError[] } {
    const errors: ILexingError[] = [];
    const dropped = new Set<number>();
    let start = 0;
    const check = (end: number): void => {
        // Stack of open brackets and `if`s (an `if` is closed by its `else`), by token index.
        const open: number[] = [];
        for (let i = start; i < end; i++) {
            const image = tokens[i].image;
            if (OPENING_BRACKETS.has(image) || image === 'if') {
                open.push(i);
            } else if (CLOSING_BRACKETS.has(image)) {
                // Pop to the matching bracket (unmatched ifs inside brackets stay unmatched).
                let j = open.length - 1;
                while (j >= 0 && tokens[open[j]].image === 'if') j--;
                if (j >= 0 && BRACKET_PAIRS[tokens[open[j]].image] === image) open.splice(j, 1);
            } else if (image === 'else') {
                const j = open.length - 1;
                if (j >= 0 && tokens[open[j]].image === 'if') open.pop();
            }
        }
        if (open.length > MAX_UNCLOSED) {
            const first = tokens[open[0]];
            const brackets = open.filter(i => tokens[i].image !== 'if').length;
            const ifs = open.length - brackets;
            const what = [brackets > 0 ? `${brackets} bracket${brackets === 1 ? '' : 's'}` : '', ifs > 0 ? `${ifs} 'if'${ifs === 1 ? '' : 's'} without 'else'` : ''].filter(Boolean).join(' and ');
            errors.push({
                offset: first.startOffset, line: first.startLine, column: first.startColumn, length: first.image.length,
                message: `${what} from here on ${UNBALANCED_MESSAGE_MARK} beyond this point. Close them (or delete the extra ones).`
            });
            for (let i = open[0]; i < end; i++) dropped.add(i);
        }
    };
    for (let i = 0; i < tokens.length; i++) {
        if (TOP_LEVEL_KEYWORDS.has(tokens[i].image) && i > start) {
            check(i);
            start = i;
        }
    }
    check(tokens.length);
    if (errors.length === 0) return { tokens, errors };
    return { tokens: tokens.filter((_, i) => !dropped.has(i)), errors };
}

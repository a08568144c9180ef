/**
 * The lexical facts of Cajal that tools outside the parser need — the keywords that start a
 * top-level item, the brackets, the nested block comment — written once. No Langium: the
 * VS Code client imports this module (`@cajal/language/lexical`) without the parser.
 */

/** Keywords that start a top-level declaration. They occur nowhere else in the grammar. */
export const DECLARATION_KEYWORDS: ReadonlySet<string> = new Set(['def', 'extern', 'train']);

/** The declaration keywords as a type, for code that dispatches on them. */
export type DeclarationKeyword = 'def' | 'extern' | 'train';

/** Keywords of the module header (`module m`, `import m`). */
export const HEADER_KEYWORDS: ReadonlySet<string> = new Set(['module', 'import']);

/** Keywords that start a top-level item: a declaration or a header line. */
export const TOP_LEVEL_KEYWORDS: ReadonlySet<string> = new Set([...DECLARATION_KEYWORDS, ...HEADER_KEYWORDS]);

/** Each opening bracket and the bracket that closes it. */
export const BRACKET_PAIRS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };
export const OPENING_BRACKETS: ReadonlySet<string> = new Set(Object.keys(BRACKET_PAIRS));
export const CLOSING_BRACKETS: ReadonlySet<string> = new Set(Object.values(BRACKET_PAIRS));

/** A character that may continue an identifier (or keyword): a keyword followed by one is not a keyword. */
export const IDENTIFIER_PART = /[A-Za-z0-9_']/;

/**
 * Scans the nested block comment `{- … -}` that starts at `start` (which must hold `{-`).
 * `end` is the offset after its matching `-}`, or the text's end when it is never closed.
 */
export function scanBlockComment(text: string, start: number): { end: number; closed: boolean } {
    let depth = 0;
    let i = start;
    while (i < text.length) {
        if (text.startsWith('{-', i)) {
            depth++;
            i += 2;
        } else if (text.startsWith('-}', i)) {
            depth--;
            i += 2;
            if (depth === 0) return { end: i, closed: true };
        } else {
            i++;
        }
    }
    return { end: i, closed: false };
}

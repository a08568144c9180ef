/**
 * The house layout of Cajal source, computed from tokens so that every comment, string
 * and token survives and the result does not depend on how the input was laid out
 * beyond its line breaks (which are kept: the author decides where lines break, the
 * formatter decides indentation and spacing). Formatting is idempotent.
 *
 * Rules: top-level declarations start in column 0 and are separated by one blank line
 * (a run of one-line declarations of the same kind may stay together); continuation lines
 * of a `def`/`extern` are indented by 2 plus 2 per open bracket, lines inside a `train`
 * block by 2 per open bracket (plus 2 when an option continues); at most one blank line
 * in a row; single spaces around operators (`:`, `=`, `=>`, `-o`, `*`), none inside
 * brackets or before `,` and `;`; no trailing whitespace; one final newline; line breaks in
 * the style of the file's first one (CRLF or LF).
 */
import {
    CLOSING_BRACKETS, DECLARATION_KEYWORDS, HEADER_KEYWORDS, OPENING_BRACKETS, scanBlockComment, type DeclarationKeyword
} from '../parser/cajal-lexical.js';

type TokenKind = 'word' | 'number' | 'string' | 'symbol' | 'line-comment' | 'block-comment';

interface Token {
    kind: TokenKind;
    text: string;
    /** Line breaks between the previous token and this one. */
    breaksBefore: number;
    /** Column of the token in its original line (for comments at column 0). */
    column: number;
    /** Offset of the token in the text. */
    offset: number;
    /** The architecture of an extern (`mlp` in `= mlp(64)`): written against its arguments. */
    architecture?: boolean;
}

const SYMBOLS = ['-o', '=>', '⊸', '⊗', 'λ', '\\', '(', ')', '[', ']', '{', '}', ',', ';', ':', '=', '*'];
const NUMBER = /[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_']*/y;

export function tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    // A byte order mark is not part of the program (offsets still count it).
    let i = text.startsWith('\uFEFF') ? 1 : 0;
    let breaks = 0;
    let lineStart = i;
    const push = (kind: TokenKind, end: number): void => {
        tokens.push({ kind, text: text.slice(i, end), breaksBefore: breaks, column: i - lineStart, offset: i });
        breaks = 0;
        i = end;
    };
    while (i < text.length) {
        const c = text[i];
        if (c === '\n') {
            breaks++;
            i++;
            lineStart = i;
            continue;
        }
        if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\u00a0') {
            i++;
            continue;
        }
        if (text.startsWith('--', i)) {
            const lineEnd = text.indexOf('\n', i);
            // The `\r` of a CRLF line break is not part of the comment.
            const end = lineEnd < 0 ? text.length : lineEnd > i && text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
            push('line-comment', end);
            continue;
        }
        if (text.startsWith('{-', i)) {
            const { end: j } = scanBlockComment(text, i);
            const start = i;
            push('block-comment', j);
            // Line breaks inside the comment belong to it; the next line starts after its last one.
            const lastBreak = text.lastIndexOf('\n', j - 1);
            if (lastBreak >= start) lineStart = lastBreak + 1;
            continue;
        }
        if (c === '"') {
            let j = i + 1;
            while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
            push('string', Math.min(text.length, text[j] === '"' ? j + 1 : j));
            continue;
        }
        NUMBER.lastIndex = i;
        const number = NUMBER.exec(text);
        if (number) {
            push('number', i + number[0].length);
            continue;
        }
        WORD.lastIndex = i;
        const word = WORD.exec(text);
        if (word) {
            push('word', i + word[0].length);
            continue;
        }
        const symbol = SYMBOLS.find(s => text.startsWith(s, i));
        // Unknown characters (garbage) are kept as one-character symbols.
        const length = symbol ? symbol.length : (text.codePointAt(i)! > 0xffff ? 2 : 1);
        push('symbol', i + length);
    }
    return tokens;
}

/** Marks each extern's architecture name: the word after the `=` of an `extern` declaration. */
function markArchitectures(tokens: Token[]): void {
    let inExtern = false;
    for (let t = 0; t < tokens.length; t++) {
        const token = tokens[t];
        if (token.kind === 'word' && DECLARATION_KEYWORDS.has(token.text)) inExtern = token.text === 'extern';
        else if (inExtern && token.text === '=' && tokens[t + 1]?.kind === 'word') {
            tokens[t + 1].architecture = true;
            inExtern = false;
        }
    }
}

/** Whether two adjacent tokens on one line are separated by a space. */
function spaceBetween(previous: Token, next: Token): boolean {
    if (previous.architecture && next.text === '(') return false;
    if (next.kind === 'line-comment' || next.kind === 'block-comment' || previous.kind === 'block-comment') return true;
    const p = previous.text, n = next.text;
    if (p === '(' || p === '[') return false;
    if (n === ')' || n === ']' || n === ',' || n === ';') return false;
    if (p === '\\' || p === 'λ') return false;
    if (n === '[' && (p === 'Nat' || p === 'Real')) return false;
    return true;
}

interface Line {
    tokens: Token[];
    /** Blank lines before this one in the input (0 or more). */
    blanksBefore: number;
    depth: number;
    commentOnly: boolean;
    startsDeclaration: boolean;
    startsHeader: boolean;
    /** Index of the declaration the line belongs to (-1 for the module header). */
    declaration: number;
}

/**
 * A top-level piece of a file as the formatter sees it: one declaration (with the comments
 * directly above it) or the module header block (the `module` line, imports and any comments
 * before the first declaration). Units partition the text: a unit runs from its first token
 * (the first unit from the start of the text) to just before the next unit's first token, so
 * it owns the blank lines after it. `formatted` is its house layout, including the separation
 * to the next unit; the formatted units, concatenated, are exactly {@link formatText}'s result.
 */
export interface FormatUnit {
    /** `def`, `extern`, `train`, or `header` for the module header block. */
    kind: DeclarationKeyword | 'header';
    start: number;
    end: number;
    formatted: string;
}

/** The house layout of a whole text. */
export function formatText(text: string): string {
    return formatUnits(text).map(unit => unit.formatted).join('');
}

/**
 * The text's units with their house layout. The layout of a unit is computed from the whole
 * text (indentation carries bracket depth, and the blank line after a unit depends on the next
 * one), so formatting units one at a time gives the same text as formatting the whole file.
 */
export function formatUnits(text: string): FormatUnit[] {
    const tokens = tokenize(text);
    markArchitectures(tokens);
    if (tokens.length === 0) return text.length === 0 ? [] : [{ kind: 'header', start: 0, end: text.length, formatted: '' }];
    const lines = splitLines(tokens);
    const kinds = assignDeclarations(lines);
    const layout = layOutLines(lines, kinds);
    return collectUnits(text, lines, kinds, layout);
}

/** The tokens as the input's lines, each with the bracket depth at its start. */
function splitLines(tokens: readonly Token[]): Line[] {
    const lines: Line[] = [];
    let depth = 0;
    for (const token of tokens) {
        if (lines.length === 0 || token.breaksBefore > 0) {
            const first = token.text;
            lines.push({
                tokens: [],
                blanksBefore: lines.length === 0 ? 0 : Math.max(0, token.breaksBefore - 1),
                depth,
                commentOnly: false,
                startsDeclaration: depth === 0 && DECLARATION_KEYWORDS.has(first),
                startsHeader: depth === 0 && HEADER_KEYWORDS.has(first),
                declaration: -1
            });
        }
        lines[lines.length - 1].tokens.push(token);
        if (token.kind === 'symbol') {
            if (OPENING_BRACKETS.has(token.text)) depth++;
            else if (CLOSING_BRACKETS.has(token.text)) depth = Math.max(0, depth - 1);
        }
        // A declaration keyword at depth 0 resets any bracket left open by broken input.
        if (token.kind === 'word' && DECLARATION_KEYWORDS.has(token.text) && lines[lines.length - 1].tokens.length === 1) {
            lines[lines.length - 1].depth = 0;
            lines[lines.length - 1].startsDeclaration = true;
            depth = 0;
        }
    }
    for (const line of lines) {
        line.commentOnly = line.tokens.every(t => t.kind === 'line-comment' || t.kind === 'block-comment');
    }
    return lines;
}

/**
 * Sets each line's declaration (comment lines directly above a declaration belong to it) and
 * returns the declarations' keywords, by index.
 */
function assignDeclarations(lines: Line[]): string[] {
    let current = -1;
    const kinds: string[] = [];
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line.startsDeclaration) {
            current = kinds.length;
            kinds.push(line.tokens[0].text);
            line.declaration = current;
            for (let j = i - 1; j >= 0 && lines[j].commentOnly && lines[j].depth === 0 && lines[j + 1].blanksBefore === 0 && lines[j].tokens[0].column === 0; j--) {
                lines[j].declaration = current;
            }
        } else if (line.startsHeader) {
            line.declaration = -1;
            current = -1;
        } else {
            line.declaration = current;
        }
    }
    return kinds;
}

/** Each line's layout: the blank lines before it and its text. */
interface LineLayout {
    blanksBefore: number[];
    rendered: string[];
}

function layOutLines(lines: readonly Line[], kinds: readonly string[]): LineLayout {
    // Lines of code per declaration: a run of one-line declarations of one kind may stay together.
    const spans = new Map<number, number>();
    for (const line of lines) if (line.declaration >= 0 && !line.commentOnly) spans.set(line.declaration, (spans.get(line.declaration) ?? 0) + 1);
    const blanksBefore: number[] = [];
    const rendered: string[] = [];
    let previousCode: Line | undefined;
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        let blanks = Math.min(1, line.blanksBefore);
        const firstOfDeclaration = line.declaration >= 0 && (i === 0 || lines[i - 1].declaration !== line.declaration);
        if (firstOfDeclaration && i > 0) {
            const previousDeclaration = previousCode?.declaration ?? -1;
            const tight = previousDeclaration >= 0 && kinds[previousDeclaration] === kinds[line.declaration]
                && spans.get(previousDeclaration) === 1 && spans.get(line.declaration) === 1;
            if (!tight) blanks = 1;
        }
        blanksBefore.push(i === 0 ? 0 : blanks);
        const indent = indentation(line, lines, i, kinds);
        let text = ' '.repeat(indent) + line.tokens[0].text;
        for (let t = 1; t < line.tokens.length; t++) {
            text += (spaceBetween(line.tokens[t - 1], line.tokens[t]) ? ' ' : '') + line.tokens[t].text;
        }
        rendered.push(text.replace(/[ \t]+$/gm, ''));
        if (!line.commentOnly) previousCode = line;
    }
    return { blanksBefore, rendered };
}

/** Units are the runs of lines of one declaration (or of the header block). */
function collectUnits(text: string, lines: readonly Line[], kinds: readonly string[], { blanksBefore, rendered }: LineLayout): FormatUnit[] {
    const firsts: number[] = [];
    for (let i = 0; i < lines.length; i++) {
        if (i === 0 || lines[i].declaration !== lines[i - 1].declaration) firsts.push(i);
    }
    // Line breaks keep the file's style (that of its first line break), so formatting one
    // declaration of a CRLF file does not mix styles.
    const eol = /^[^\n]*\r\n/.test(text) ? '\r\n' : '\n';
    return firsts.map((first, u) => {
        const next = u + 1 < firsts.length ? firsts[u + 1] : lines.length;
        let formatted = rendered[first];
        for (let i = first + 1; i < next; i++) formatted += eol + eol.repeat(blanksBefore[i]) + rendered[i];
        formatted += eol + (next < lines.length ? eol.repeat(blanksBefore[next]) : '');
        const declaration = lines[first].declaration;
        return {
            kind: declaration < 0 ? 'header' : kinds[declaration] as FormatUnit['kind'],
            start: u === 0 ? 0 : lines[first].tokens[0].offset,
            end: next < lines.length ? lines[next].tokens[0].offset : text.length,
            formatted
        };
    });
}

/** A replacement of `text.slice(start, end)` by `newText` (offsets into the original text). */
export interface TextReplacement {
    start: number;
    end: number;
    newText: string;
}

/**
 * The house layout of the units that overlap `[start, end)` (an empty range selects the unit
 * it is in), as small replacements: only the part of each unit that changes is replaced, and
 * text outside the selected units is never touched. A unit for which `parses` says no (its
 * own text does not parse) is left alone, as a whole file that does not parse is.
 */
export function formatTextRange(text: string, start: number, end: number, parses: (unitText: string) => boolean = () => true): TextReplacement[] {
    const replacements: TextReplacement[] = [];
    for (const unit of formatUnits(text)) {
        const overlaps = start === end
            ? unit.start <= start && (start < unit.end || unit.end === text.length)
            : unit.start < end && start < unit.end;
        if (!overlaps) continue;
        const original = text.slice(unit.start, unit.end);
        if (original === unit.formatted || !parses(original)) continue;
        const change = difference(original, unit.formatted);
        replacements.push({ start: unit.start + change.start, end: unit.start + change.end, newText: change.newText });
    }
    return replacements;
}

/** The smallest single replacement turning `before` into `after` (common prefix and suffix kept). */
function difference(before: string, after: string): TextReplacement {
    let prefix = 0;
    const limit = Math.min(before.length, after.length);
    while (prefix < limit && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (suffix < limit - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
    return { start: prefix, end: before.length - suffix, newText: after.slice(prefix, after.length - suffix) };
}

function indentation(line: Line, lines: readonly Line[], index: number, kinds: readonly string[]): number {
    if (line.startsDeclaration || line.startsHeader) return 0;
    const first = line.tokens[0];
    if (line.depth === 0 && line.commentOnly) {
        // Comments between declarations stay in column 0; those inside one follow its body.
        const next = lines.slice(index + 1).find(l => !l.commentOnly);
        if (first.column === 0 || !next || next.startsDeclaration || next.startsHeader || line.declaration < 0) return 0;
    }
    if (line.declaration < 0) return line.depth === 0 ? 0 : 2 * line.depth;
    const depth = Math.max(0, line.depth - (first.kind === 'symbol' && CLOSING_BRACKETS.has(first.text) ? 1 : 0));
    if (kinds[line.declaration] === 'train') {
        const previous = lines.slice(0, index).reverse().find(l => !l.commentOnly && l.declaration === line.declaration);
        const last = previous?.tokens.filter(t => t.kind !== 'line-comment' && t.kind !== 'block-comment').pop()?.text;
        const continuing = depth > 0 && last !== undefined && last !== ';' && last !== '{' && !(first.kind === 'symbol' && CLOSING_BRACKETS.has(first.text));
        return 2 * depth + (continuing ? 2 : 0);
    }
    return 2 + 2 * depth;
}

import { Lexer as ChevrotainLexer, type ILexerErrorMessageProvider, type ILexingError, type IToken, type TokenType, type TokenTypeDictionary } from 'chevrotain';
import type { LangiumCoreServices, Lexer, LexerResult, TokenBuilder, TokenizeOptions } from 'langium';
import { guardUnbalanced } from './unbalanced-guard.js';
import { CLOSING_BRACKETS, OPENING_BRACKETS, TOP_LEVEL_KEYWORDS, scanBlockComment } from './cajal-lexical.js';

import { isMainThread, resourceLimits } from 'node:worker_threads';

/**
 * The parser, the checkers and the interpreter are recursive, so how deeply a program may
 * nest depends on the thread's stack. Each construct costs roughly the stack its parse
 * needs, measured on Node 20 (about 120 nested parentheses or 370 nested `if`s fit in
 * Node's default ~1 MB stack). A declaration that would need more than half the stack is
 * reported (code `parse`) instead of parsed. The CLI and the language server run on a
 * thread with a 256 MB stack, where 10,000 nested parentheses or `if`s check fine.
 */
export const NESTING_COST: Readonly<Record<string, number>> = {
    '(': 10, '{': 10, '[': 10, 'if': 3, 'fun': 4, '\\': 4, 'λ': 4, 'let': 4, '-o': 3, '⊸': 3
};
const COST_UNITS_PER_MB = 600;

function threadStackMb(): number {
    if (!isMainThread && resourceLimits.stackSizeMb) {
        return resourceLimits.stackSizeMb;
    }
    const flag = process.execArgv.map(arg => /^--stack[-_]size=(\d+)$/.exec(arg)).find(match => match);
    return flag ? Number(flag[1]) / 1024 : 0.98;
}

/** The nesting budget of this thread, in {@link NESTING_COST} units. */
export const MAX_NESTING_COST = Math.floor(threadStackMb() * COST_UNITS_PER_MB);
/** How many parentheses deep a term may nest on this thread. */
export const MAX_NESTING_DEPTH = Math.floor(MAX_NESTING_COST / NESTING_COST['(']);

export const NESTING_MESSAGE_START = 'This declaration nests too deeply';

/** Tokens that open a construct extending to the right until its enclosing bracket closes. */
const OPENS_RIGHT = new Set(['if', 'fun', '\\', 'λ', 'let', '-o', '⊸']);

/**
 * Langium's default lexer (`DefaultLexer`) plus a nesting guard: a declaration whose nesting
 * exceeds {@link MAX_NESTING_DEPTH} keeps its head (`def name : T =`) but loses its body
 * tokens, with a lexing error at the point where the limit was crossed. The rest of the file
 * parses and checks as usual.
 *
 * Unlike `DefaultLexer`, it builds Chevrotain's lexer on the first `tokenize`, not when the
 * services are made: a well-formed text is lexed by the fast parser (fast-parser.ts), which
 * reads only the token types ({@link definition}), so the language server's first check of a
 * well-formed file no longer waits for it (10–20 ms, mostly Chevrotain checking the token
 * definitions: docs/editors.md, "Start-up"). The token types Langium's token builder makes
 * are plain objects; Chevrotain's lexer and parser, when built, each add the fields their
 * matchers read (`tokenTypeIdx`, `categoryMatches`…) and change none of the others, and
 * nothing else reads those fields (Langium and the fast parser read a token type's name and
 * pattern): test/parser/lazy-lexer.test.ts.
 */
export class CajalLexer implements Lexer {
    private readonly tokenTypes: TokenTypeDictionary;
    private readonly lexerTokens: TokenType[];
    private readonly tokenBuilder: TokenBuilder;
    private readonly errorMessageProvider: ILexerErrorMessageProvider;
    /** As `DefaultLexer`: Chevrotain checks the token definitions unless the language is built in production mode. */
    private readonly skipValidations: boolean;
    private chevrotainLexer: ChevrotainLexer | undefined;
    private region: TextRegion | undefined;

    constructor(services: LangiumCoreServices) {
        this.tokenBuilder = services.parser.TokenBuilder;
        this.errorMessageProvider = services.parser.LexerErrorMessageProvider;
        // Cajal's token builder (cajal-token-builder.ts) gives one list of token types, in the order they are tried.
        this.lexerTokens = this.tokenBuilder.buildTokens(services.Grammar, { caseInsensitive: services.LanguageMetaData.caseInsensitive }) as TokenType[];
        this.tokenTypes = Object.fromEntries(this.lexerTokens.map(token => [token.name, token]));
        this.skipValidations = services.LanguageMetaData.mode === 'production';
    }

    get definition(): TokenTypeDictionary {
        return this.tokenTypes;
    }

    /**
     * Makes the next `tokenize` call lex only `text[region.start, region.end)`, with
     * positions relative to the whole text: the incremental parser (incremental-parse.ts)
     * re-parses one stretch of declarations through Langium's parser, whose CST then
     * refers to the document's full text.
     */
    restrictNextTokenizeTo(region: TextRegion): void {
        this.region = region;
    }

    /** Takes the region set by `restrictNextTokenizeTo`, if any: the fast parser (fast-parser.ts) lexes it itself. */
    takeRestriction(): TextRegion | undefined {
        const region = this.region;
        this.region = undefined;
        return region;
    }

    /** Lexes `text` (one mode: `options` as Langium's default lexer, which ignores them). */
    tokenize(text: string, _options?: TokenizeOptions): LexerResult {
        const region = this.region;
        this.region = undefined;
        if (region) {
            const result = this.tokenizeWhole(text.substring(region.start, region.end));
            shiftLexerResult(result, region);
            return result;
        }
        return this.tokenizeWhole(text);
    }

    private tokenizeWhole(text: string): LexerResult {
        this.chevrotainLexer ??= new ChevrotainLexer(this.lexerTokens, {
            positionTracking: 'full',
            skipValidations: this.skipValidations,
            errorMessageProvider: this.errorMessageProvider
        });
        const lexed = this.chevrotainLexer.tokenize(text);
        const result: LexerResult = {
            tokens: lexed.tokens,
            errors: lexed.errors,
            hidden: lexed.groups.hidden ?? [],
            report: this.tokenBuilder.flushLexingReport?.(text)
        };
        for (const guard of [guardNesting, guardUnbalanced]) {
            const guarded = guard(result.tokens);
            if (guarded.errors.length > 0) {
                result.tokens = guarded.tokens;
                result.errors = [...result.errors, ...guarded.errors];
            }
        }
        const unclosed = result.hidden.find(token => token.tokenType.name === 'ML_COMMENT' && !closesComment(token.image));
        if (unclosed) {
            result.errors = [...result.errors, {
                offset: unclosed.startOffset, line: unclosed.startLine, column: unclosed.startColumn, length: 2,
                message: 'This block comment is never closed: every {- needs a matching -} (block comments nest).'
            }];
        }
        // In the order of the text, like the parser's errors (and whatever part of it was lexed).
        result.errors.sort((a, b) => a.offset - b.offset);
        return result;
    }
}

/** A stretch of a text, with the 0-based line and column where it starts. */
export interface TextRegion {
    readonly start: number;
    readonly end: number;
    readonly line: number;
    readonly column: number;
}

/** Moves tokens and errors lexed from a region's text to their places in the whole text. */
function shiftLexerResult(result: LexerResult, region: TextRegion): void {
    for (const token of [...result.tokens, ...result.hidden]) {
        if (token.startLine === 1) token.startColumn! += region.column;
        if (token.endLine === 1) token.endColumn! += region.column;
        token.startOffset += region.start;
        token.endOffset! += region.start;
        token.startLine! += region.line;
        token.endLine! += region.line;
    }
    for (const error of result.errors) {
        if (error.line === 1 && error.column !== undefined) error.column += region.column;
        error.offset += region.start;
        if (error.line !== undefined) error.line += region.line;
    }
}

export function guardNesting(tokens: IToken[]): { tokens: IToken[]; errors: ILexingError[] } {
    // The tokens kept, copied only once a declaration loses its body: until then, every token
    // (a 100,000-line file has 1.5 million tokens).
    let kept: IToken[] | undefined;
    let keptLength = 0;
    const errors: ILexingError[] = [];
    // Stack of open constructs: brackets and right-extending constructs since the last bracket.
    const stack: string[] = [];
    let cost = 0;
    let bodyStart = -1; // index in `kept` just after the current declaration's `=`
    let skipping = false;
    for (const token of tokens) {
        const image = token.image;
        if (TOP_LEVEL_KEYWORDS.has(image)) {
            stack.length = 0;
            cost = 0;
            skipping = false;
            bodyStart = -1;
        }
        if (skipping) {
            continue;
        }
        if (OPENING_BRACKETS.has(image) || OPENS_RIGHT.has(image)) {
            stack.push(image);
            cost += NESTING_COST[image];
            if (cost > MAX_NESTING_COST) {
                errors.push({
                    offset: token.startOffset,
                    line: token.startLine,
                    column: token.startColumn,
                    length: token.image.length,
                    message: `${NESTING_MESSAGE_START} to check here (about ${MAX_NESTING_DEPTH} parentheses or ${Math.floor(MAX_NESTING_COST / NESTING_COST['if'])} nested ifs fit in this thread's stack); it was not checked. Split it into smaller definitions.`
                });
                // Drop the body collected so far; keep the declaration's head.
                kept ??= tokens.slice(0, keptLength);
                if (bodyStart >= 0) {
                    kept.length = bodyStart;
                    keptLength = bodyStart;
                }
                skipping = true;
                continue;
            }
        } else if (CLOSING_BRACKETS.has(image)) {
            // Pop right-extending constructs up to and including the matching bracket.
            while (stack.length > 0 && !OPENING_BRACKETS.has(stack[stack.length - 1])) {
                cost -= NESTING_COST[stack.pop()!];
            }
            const bracket = stack.pop();
            if (bracket) cost -= NESTING_COST[bracket];
        } else if (image === '=' && bodyStart < 0 && !stack.some(open => OPENING_BRACKETS.has(open))) {
            // The declaration's `=`: its type's arrows are closed, its body starts here.
            stack.length = 0;
            cost = 0;
            bodyStart = keptLength + 1;
        }
        kept?.push(token);
        keptLength++;
    }
    return { tokens: kept ?? tokens, errors };
}

/** True when a block comment's `{-` and `-}` balance (the matcher runs to the end of file otherwise). */
function closesComment(image: string): boolean {
    return scanBlockComment(image, 0).closed;
}

import type { ILexingError, IRecognitionException, IToken } from 'chevrotain';
import type { AstNode, CstNode, LangiumCoreServices, ParseResult } from 'langium';
import { CompositeCstNodeImpl, LeafCstNodeImpl, RootCstNodeImpl } from 'langium';
import * as ast from '../generated/ast.js';
import { deferShift, spliceRootChildren, type PositionShift } from '../langium-internals.js';
import { DECLARATION_KEYWORDS, IDENTIFIER_PART } from './cajal-lexical.js';
import { CajalLexer, type TextRegion } from './cajal-lexer.js';
import { CajalParser } from './fast-parser.js';

/**
 * Re-parsing only the declarations an edit touches.
 *
 * A top-level declaration starts with a keyword (`def`, `extern`, `train`) that can occur
 * nowhere else, so the parser's state at such a keyword is always the same: between two
 * declarations of the module. The text from one declaration's keyword to the next one's
 * (its "chunk", with the comments and any stray tokens after it) therefore parses the same
 * on its own as within the file — provided the chunk's tokens are the ones the whole file
 * would have (no comment or string running over its end) and the parser sees the keyword
 * that follows it (error messages name it, e.g. "found 'def'").
 *
 * On an edit, the chunks the changed text overlaps are re-parsed together, with positions
 * already relative to the whole new text. When they are well formed, the fast parser
 * (fast-parser.ts `parseDeclarations`) parses them and stops at the next declaration's keyword,
 * which it checks is still a keyword there; otherwise Langium's parser runs on their tokens plus
 * the next declaration's first tokens (whose stub declaration is then dropped), so that its
 * error recovery and messages are those of the whole file. The new declarations
 * replace the old ones in the module, the CST and the error lists; nodes after the edit keep
 * their identity and only have their positions moved. Unchanged declarations are thus the
 * same AST objects as before the edit, which lets linking and checking reuse their results
 * (see cajal-linker.ts and the checkers' caches).
 *
 * Anything that does not fit this picture — an edit in the module header or imports, a
 * comment or string left open, a keyword glued to neighbouring text, a header keyword in
 * the changed text, an old parse that gave up early — returns the reason instead, and the caller
 * parses the whole text as usual. packages/language/test/parser/incremental-parse.test.ts checks on random edits
 * that the result equals a full parse: same tree, same positions, same errors.
 */
export function reparseIncrementally(services: LangiumCoreServices, old: ParseResult<AstNode>, newText: string): ParseResult<ast.Module> | FullParseReason {
    const module = old.value;
    const root = module.$cstNode;
    if (!ast.isModule(module) || !(root instanceof RootCstNodeImpl) || module.declarations.length === 0) {
        return 'no declarations';
    }
    const lexer = services.parser.Lexer;
    if (!(lexer instanceof CajalLexer) || (old.lexerReport?.diagnostics.length ?? 0) > 0
        || old.parserErrors.some(error => error.name === 'NotAllInputParsedException')) {
        return 'old parse incomplete';
    }
    const oldText = root.fullText;
    if (oldText === newText) {
        return 'unchanged';
    }
    const chunks = chunksToReparse(module, changedStretch(oldText, newText), newText);
    if (typeof chunks === 'string') return chunks;
    const fragment = parseChunks(services, lexer, chunks, newText);
    if (typeof fragment === 'string') return fragment;
    const { lexerErrors, parserErrors } = mergeErrors(old, fragment, chunks);
    spliceCst(root, fragment, chunks, newText);
    const removed = module.declarations.slice(chunks.first, chunks.last + 1);
    spliceDeclarations(module, chunks, fragment.declarations);
    recordReplacement(module, removed, fragment.declarations);
    return { value: module, lexerErrors, parserErrors, lexerReport: old.lexerReport };
}

/**
 * Declarations the incremental parser replaced in a module since the module was last linked:
 * the linker re-resolves only the uses of their names in the declarations it kept (see
 * cajal-linker.ts). Edits accumulate until a link completes (a cancelled build leaves them
 * for the next); each record is a new object, so a link forgets only what it handled.
 * A full parse makes a new module, which has no record: everything is linked.
 */
export interface ReplacedDeclarations {
    readonly removed: readonly ast.Declaration[];
    readonly added: readonly ast.Declaration[];
}

const replacements = new WeakMap<ast.Module, ReplacedDeclarations>();

function recordReplacement(module: ast.Module, removed: readonly ast.Declaration[], added: readonly ast.Declaration[]): void {
    const earlier = replacements.get(module);
    replacements.set(module, earlier ? { removed: [...earlier.removed, ...removed], added: [...earlier.added, ...added] } : { removed, added });
}

/** The declarations replaced in `module` since `forgetReplacements` was last called for it; undefined if none were. */
export function replacedDeclarations(module: ast.Module): ReplacedDeclarations | undefined {
    return replacements.get(module);
}

/** Forgets `handled` (what `replacedDeclarations` returned), unless an edit has added to it since. */
export function forgetReplacements(module: ast.Module, handled: ReplacedDeclarations): void {
    if (replacements.get(module) === handled) replacements.delete(module);
}

/** The changed stretch of the text: [prefix, oldChangeEnd) of the old text became [prefix, oldChangeEnd + delta). */
interface TextChange {
    readonly prefix: number;
    readonly oldChangeEnd: number;
    readonly delta: number;
}

function changedStretch(oldText: string, newText: string): TextChange {
    const shorter = Math.min(oldText.length, newText.length);
    // Whole blocks first (string comparison runs at memory speed; a character loop over a
    // 20,000-line text was several milliseconds per edit), then character by character.
    let prefix = 0;
    while (prefix + COMPARED_BLOCK <= shorter && oldText.substring(prefix, prefix + COMPARED_BLOCK) === newText.substring(prefix, prefix + COMPARED_BLOCK)) prefix += COMPARED_BLOCK;
    while (prefix < shorter && oldText.charCodeAt(prefix) === newText.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (suffix + COMPARED_BLOCK <= shorter - prefix
        && oldText.substring(oldText.length - suffix - COMPARED_BLOCK, oldText.length - suffix) === newText.substring(newText.length - suffix - COMPARED_BLOCK, newText.length - suffix)) suffix += COMPARED_BLOCK;
    while (suffix < shorter - prefix && oldText.charCodeAt(oldText.length - 1 - suffix) === newText.charCodeAt(newText.length - 1 - suffix)) suffix++;
    return { prefix, oldChangeEnd: oldText.length - suffix, delta: newText.length - oldText.length };
}

const COMPARED_BLOCK = 1024;

/** The declarations `first` … `last` to re-parse, spanning [start, oldEnd) of the old text and [start, newEnd) of the new. */
interface ChunkSpan {
    readonly first: number;
    readonly last: number;
    readonly start: number;
    readonly oldEnd: number;
    readonly newEnd: number;
    readonly delta: number;
    /** The first tokens of the declaration after the chunks (old positions); empty at the end of the file. */
    readonly lookahead: readonly LeafCstNodeImpl[];
    /** Where the first chunk's keyword starts (line and column, 0-based). */
    readonly startLeaf: LeafCstNodeImpl;
}

/**
 * Chunks whose span touches the change, boundaries included: text inserted just before a
 * keyword may glue onto the end of the previous chunk or onto the keyword itself.
 */
function chunksToReparse(module: ast.Module, change: TextChange, newText: string): ChunkSpan | FullParseReason {
    const { prefix, oldChangeEnd, delta } = change;
    const declarations = module.declarations;
    const oldTextLength = newText.length - delta;
    // Declarations are in text order: binary searches, which read the positions of a few
    // declarations only (reading one applies the shifts waiting on it, langium-internals.ts).
    const startOf = (i: number): number => declarations[i].$cstNode?.offset ?? NaN;
    const count = declarations.length;
    if (!(startOf(0) >= 0)) {
        return 'declarations out of order';
    }
    if (prefix <= startOf(0)) {
        return 'header changed'; // the module header or an import changed
    }
    /** The last declaration from `from` on that starts before `limit` (`inclusive`: at or before it); NaN if a start is missing. */
    const lastStartingBefore = (from: number, limit: number, inclusive: boolean): number => {
        let lo = from, hi = count - 1;
        while (lo < hi) {
            const middle = (lo + hi + 1) >>> 1;
            const start = startOf(middle);
            if (Number.isNaN(start)) return NaN;
            if (start < limit || (inclusive && start === limit)) lo = middle;
            else hi = middle - 1;
        }
        return lo;
    };
    let first = lastStartingBefore(0, prefix, false);
    if (Number.isNaN(first)) return 'declarations out of order';
    // An edit of the first chunk's keyword itself (`def c` → `defc c`) joins it to the chunk before.
    while (first > 0 && !keywordIntact(declarations[first], newText)) first--;
    const last = lastStartingBefore(first, oldChangeEnd, true);
    if (Number.isNaN(last)) return 'declarations out of order';
    for (let i = first; i <= last && i + 1 < count; i++) {
        if (!(startOf(i + 1) >= startOf(i))) return 'declarations out of order';
    }
    const start = startOf(first);
    const oldEnd = last + 1 < count ? startOf(last + 1) : oldTextLength;
    // The first tokens of the next declaration: error recovery looks a token or two ahead
    // (it may even delete the keyword when the token after it fits), so the parser must see
    // them as the whole file shows them.
    const lookahead = last + 1 < count ? firstTokens(declarations[last + 1].$cstNode!, LOOKAHEAD_TOKENS) : [];
    const [startLeaf] = firstTokens(declarations[first].$cstNode!, 1);
    if (!startLeaf) {
        return 'no keyword';
    }
    return { first, last, start, oldEnd, newEnd: oldEnd + delta, delta, lookahead, startLeaf };
}

/** The re-parsed chunks: their declarations, tokens and errors, and how positions after them move. */
interface Fragment {
    readonly result: ParseResult<ast.Module>;
    readonly root: CompositeCstNodeImpl;
    /** The declarations of the chunks (without the stub of the next declaration). */
    readonly declarations: ast.Declaration[];
    /** Undefined when the chunks run to the end of the file. */
    readonly shift: PositionShift | undefined;
}

/**
 * Parses the chunks' new text — through the fast path when it is well formed, else through
 * Langium's parser plus the next declaration's first tokens — and checks that the result is
 * what a full parse would give there.
 */
function parseChunks(services: LangiumCoreServices, lexer: CajalLexer, chunks: ChunkSpan, newText: string): Fragment | FullParseReason {
    const { start, newEnd, delta, lookahead, startLeaf } = chunks;
    const nextKeyword = lookahead[0];
    const lexEnd = nextKeyword ? lookahead[lookahead.length - 1].end + delta : newText.length;
    const region: TextRegion = { start, end: lexEnd, line: startLeaf.range.start.line, column: startLeaf.range.start.character };
    const parser = services.parser.LangiumParser;
    // The fast path checks itself that the next keyword starts a declaration at newEnd, as it lexes it.
    const fast = parser instanceof CajalParser ? parser.parseDeclarations(newText, region, nextKeyword ? newEnd : undefined) : undefined;
    let fragment: ParseResult<ast.Module>;
    if (fast) {
        fragment = fast.result as ParseResult<ast.Module>;
    } else {
        lexer.restrictNextTokenizeTo(region);
        fragment = (parser instanceof CajalParser ? parser.langium : parser).parse<ast.Module>(newText);
    }
    const fragmentModule = fragment.value;
    const fragmentRoot = fragmentModule.$cstNode;
    if (!ast.isModule(fragmentModule) || !(fragmentRoot instanceof CompositeCstNodeImpl)
        || fragmentModule.name !== undefined || fragmentModule.imports.length > 0
        || (fragment.lexerReport?.diagnostics.length ?? 0) > 0) {
        return 'header in fragment';
    }
    // The tokens must be the whole text's: the chunk starts with a declaration keyword, a
    // comment or string does not run over its end, and the next keyword is still one.
    const tokens = tokensOf(fragmentRoot);
    if (tokens.length === 0 || tokens[0].offset !== start || !isDeclarationKeyword(tokens[0])) {
        return 'first keyword changed';
    }
    let nextStart = fast?.next;
    if (nextKeyword && !fast) {
        const after = tokens.slice(tokens.length - lookahead.length);
        if (after.length !== lookahead.length || after.some((token, i) => token.offset !== lookahead[i].offset + delta || token.text !== lookahead[i].text)) {
            return 'next keyword swallowed';
        }
        if (!fragmentModule.declarations.some(declaration => declaration.$cstNode?.offset === newEnd)) {
            return 'next keyword swallowed';
        }
        nextStart = after[0].range.start;
    }
    // Every declaration keyword must have started a declaration (none swallowed by recovery).
    const parsed = fragmentModule.declarations.filter(declaration => (declaration.$cstNode?.offset ?? Infinity) < newEnd);
    const keywords = tokens.filter(token => token.offset < newEnd && isDeclarationKeyword(token));
    if (keywords.length !== parsed.length || parsed.some((declaration, i) => declaration.$cstNode!.offset !== keywords[i].offset)
        || tokens.some(token => token.text === 'module' || token.text === 'import')) {
        return 'keyword not a declaration';
    }
    const shift = nextKeyword && nextStart ? positionShift(nextKeyword, nextStart, delta) : undefined;
    return { result: fragment, root: fragmentRoot, declarations: parsed, shift };
}

/**
 * Errors: the old ones outside the re-parsed chunks (moved), the fragment's own. A parser
 * error at a declaration's keyword belongs to the chunk before it (it says what that
 * declaration lacked); one at the end of the file to the last chunk.
 */
function mergeErrors(old: ParseResult<AstNode>, fragment: Fragment, chunks: ChunkSpan): { lexerErrors: ILexingError[]; parserErrors: ParserError[] } {
    const { start, oldEnd, newEnd } = chunks;
    const { shift } = fragment;
    const nextKeyword = chunks.lookahead[0];
    const lexerErrors: ILexingError[] = [];
    const movedLexerErrors: ILexingError[] = [];
    for (const error of old.lexerErrors) {
        if (error.offset < start) lexerErrors.push(error);
        else if (error.offset >= oldEnd && shift) movedLexerErrors.push(shiftedLexingError(error, shift));
    }
    lexerErrors.push(...fragment.result.lexerErrors.filter(error => error.offset < newEnd), ...movedLexerErrors);
    const parserErrors: ParserError[] = [];
    const movedParserErrors: ParserError[] = [];
    const atEndOfFile: ParserError[] = [];
    const shiftedTokens = new Set<IToken>();
    for (const error of old.parserErrors as ParserError[]) {
        const offset = error.token.startOffset;
        if (isEndOfFile(error.token)) {
            if (nextKeyword) atEndOfFile.push(error); // after the re-parsed chunks
        } else if (offset <= start) {
            parserErrors.push(error);
        } else if (offset > oldEnd && shift) {
            shiftToken(error.token, shift, shiftedTokens);
            if (error.previousToken && !isEndOfFile(error.previousToken)) shiftToken(error.previousToken, shift, shiftedTokens);
            movedParserErrors.push(error);
        }
    }
    for (const error of atEndOfFile) {
        if (error.previousToken && !isEndOfFile(error.previousToken) && error.previousToken.startOffset >= oldEnd) {
            shiftToken(error.previousToken, shift!, shiftedTokens);
        }
    }
    // The stub declaration after the chunks (the lookahead tokens) is cut short: its errors go.
    const ownError = (error: ParserError): boolean => !nextKeyword || (!isEndOfFile(error.token) && error.token.startOffset <= newEnd);
    parserErrors.push(...(fragment.result.parserErrors as ParserError[]).filter(ownError), ...movedParserErrors, ...atEndOfFile);
    return { lexerErrors, parserErrors };
}

/** The CST: swaps the root's children within the chunks for the fragment's, and moves the ones after. */
function spliceCst(root: RootCstNodeImpl, fragment: Fragment, chunks: ChunkSpan, newText: string): void {
    const { start, oldEnd, newEnd } = chunks;
    const { shift } = fragment;
    const children = root.content;
    // The root's children are in text order: binary search, not a scan of every offset.
    const lo = firstAtOrAfter(children, start, 0);
    const hi = firstAtOrAfter(children, oldEnd, lo);
    const replacement = fragment.root.content.filter(node => node.offset < newEnd);
    if (shift && (shift.offset !== 0 || shift.lines !== 0 || shift.columns !== 0)) {
        // Applied when a position inside each is first read (langium-internals.ts): an edit
        // costs what it changed, not the size of the text after it.
        for (let i = hi; i < children.length; i++) deferShift(children[i], shift);
    }
    spliceRootChildren(root, lo, hi, replacement, newText);
}

/** The index of the first node from `from` on whose offset is at least `offset` (nodes in text order). */
function firstAtOrAfter(nodes: readonly CstNode[], offset: number, from: number): number {
    let lo = from, hi = nodes.length;
    while (lo < hi) {
        const middle = (lo + hi) >>> 1;
        if (nodes[middle].offset < offset) lo = middle + 1;
        else hi = middle;
    }
    return lo;
}

/** The AST: the new declarations take the old ones' places in the module. */
function spliceDeclarations(module: ast.Module, chunks: ChunkSpan, parsed: readonly ast.Declaration[]): void {
    const declarations = module.declarations;
    declarations.splice(chunks.first, chunks.last - chunks.first + 1, ...parsed);
    for (let i = chunks.first; i < declarations.length; i++) {
        const declaration = declarations[i] as { $container: ast.Module; $containerProperty: string; $containerIndex: number };
        declaration.$container = module;
        declaration.$containerProperty = 'declarations';
        declaration.$containerIndex = i;
    }
}

/** Why an update was parsed in full (see {@link reparseIncrementally}). */
export type FullParseReason = string;

/** How positions at and after the old end of the re-parsed chunks move. */
function positionShift(oldKeyword: LeafCstNodeImpl, after: { line: number; character: number }, delta: number): PositionShift {
    const before = oldKeyword.range.start;
    return { offset: delta, lines: after.line - before.line, line: before.line, columns: after.character - before.character };
}

/** Langium's parser errors also carry the token before the error (used for errors at the end). */
type ParserError = IRecognitionException & { previousToken?: IToken };

/** Chevrotain's end-of-file token has no position (NaN, or -1 from Langium's parser). */
function isEndOfFile(token: IToken): boolean {
    return !(token.startOffset >= 0);
}

function isDeclarationKeyword(node: CstNode): boolean {
    return DECLARATION_KEYWORDS.has(node.text) && (node as LeafCstNodeImpl).tokenType?.name === node.text;
}

/** Whether a declaration's keyword is still there, on its own, in the new text (it lies before the change). */
function keywordIntact(declaration: ast.Declaration, newText: string): boolean {
    const [keyword] = firstTokens(declaration.$cstNode!, 1);
    return keyword !== undefined && newText.startsWith(keyword.text, keyword.offset)
        && !IDENTIFIER_PART.test(newText.charAt(keyword.offset + keyword.length));
}

/** How many tokens of the following declaration the re-parse sees. */
const LOOKAHEAD_TOKENS = 3;

/** The first `count` non-hidden leaves of a CST node. */
function firstTokens(node: CstNode, count: number): LeafCstNodeImpl[] {
    const result: LeafCstNodeImpl[] = [];
    const stack: CstNode[] = [node];
    while (stack.length > 0 && result.length < count) {
        const current = stack.pop()!;
        if (current instanceof CompositeCstNodeImpl) {
            for (let i = current.content.length - 1; i >= 0; i--) stack.push(current.content[i]);
        } else if (current instanceof LeafCstNodeImpl && !current.hidden) {
            result.push(current);
        }
    }
    return result;
}

/** The non-hidden leaves of a CST, in order. */
function tokensOf(root: CompositeCstNodeImpl): CstNode[] {
    const result: CstNode[] = [];
    const visit = (node: CstNode): void => {
        if (node instanceof CompositeCstNodeImpl) {
            for (const child of node.content) visit(child);
        } else if (!node.hidden) {
            result.push(node);
        }
    };
    // Iterative over the root's children, recursive below: declarations nest only as deep as
    // their terms, which the lexer's nesting guard bounds.
    for (const child of root.content) visit(child);
    return result;
}

function shiftToken(token: IToken, shift: PositionShift, done: Set<IToken>): void {
    if (done.has(token)) return;
    done.add(token);
    // Chevrotain's lines and columns are 1-based; the shift's line is 0-based.
    if (token.startLine === shift.line + 1) token.startColumn! += shift.columns;
    if (token.endLine === shift.line + 1) token.endColumn! += shift.columns;
    token.startOffset += shift.offset;
    token.endOffset! += shift.offset;
    token.startLine! += shift.lines;
    token.endLine! += shift.lines;
}

function shiftedLexingError(error: ILexingError, shift: PositionShift): ILexingError {
    const onLine = error.line === shift.line + 1;
    return {
        ...error,
        offset: error.offset + shift.offset,
        line: error.line === undefined ? undefined : error.line + shift.lines,
        column: error.column === undefined ? undefined : error.column + (onLine ? shift.columns : 0)
    };
}


/**
 * Every use of Langium's private fields, behind named operations. The incremental parser
 * moves CST positions and swaps the root's children in place, and the incremental linker
 * reads, resets and sets references, none of which Langium offers through its API; its CST and
 * reference classes keep that state in underscored fields. A Langium release that renames
 * one would silently corrupt positions or links, so each operation checks that the field is
 * there and throws `LangiumInternalsError` otherwise, and `langium-internals.test.ts` pins
 * the fields against the installed Langium. Written against Langium 4.4 (`langium/lib/parser/cst-node-builder.js`,
 * `langium/lib/references/linker.js`).
 */
import type { IToken } from 'chevrotain';
import {
    CompositeCstNodeImpl, CstNodeBuilder, LangiumCompletionParser, type CompositeCstNode, LeafCstNodeImpl, LangiumParser, createParser, isAstNode, type AstNode, type AstNodeDescription, type AstReflection, type LinkingError, type CompletionParserResult, type CstNode, type LangiumCoreServices, type LangiumDocument, type Lexer, type LexerResult, type RootCstNodeImpl, type TypeMetaData
} from 'langium';

type SubruleParameters = Parameters<LangiumParser['subrule']>;
type RuleResult = SubruleParameters[1];
type Args = SubruleParameters[4];
type AbstractElement = SubruleParameters[3];

/** Langium's private state changed shape: upgrade this adapter before using that Langium. */
export class LangiumInternalsError extends Error {
    override readonly name = 'LangiumInternalsError';
}

/** The fields of Langium's CST leaves that hold their absolute position (`LeafCstNodeImpl`). */
export const LEAF_POSITION_FIELDS = ['_offset', '_startLine', '_startColumn', '_endLine', '_endColumn'] as const;
type LeafPosition = Record<typeof LEAF_POSITION_FIELDS[number], number>;

/** The field in which composite CST nodes cache their range (`CompositeCstNodeImpl`). */
export const RANGE_CACHE_FIELD = '_rangeCache';
/** The field in which the root CST node keeps the document's text (`RootCstNodeImpl`). */
export const ROOT_TEXT_FIELD = '_text';
/** The fields of a single reference (`_ref`, `_nodeDescription`) and of a multi-reference (`_items`, `_linkingError`). */
export const REFERENCE_FIELDS = { single: ['_ref', '_nodeDescription'], multi: ['_items', '_linkingError'] } as const;

function expectField<T extends object>(object: T, field: string, what: string): T {
    if (!(field in object)) {
        throw new LangiumInternalsError(`Langium's ${what} has no '${field}' field any more; src/langium-internals.ts must be updated for this Langium version.`);
    }
    return object;
}

/** How positions at and after an edit move: by an offset and lines, and columns on one (old, 0-based) line. */
export interface PositionShift {
    readonly offset: number;
    readonly lines: number;
    /** The line (old numbering) whose columns move, and by how much. */
    readonly line: number;
    readonly columns: number;
}

/** Moves the positions of a CST subtree in place: leaves store absolute positions, composites cache their range. */
export function shiftCstPositions(node: CstNode, shift: PositionShift): void {
    applyShift(node, { offset: shift.offset, lines: shift.lines, columns: shift.columns !== 0 ? [{ line: shift.line, delta: shift.columns }] : [] });
}

/**
 * Shifts composed: an offset and lines, and columns on some lines (numbered as the nodes
 * are, before any of the shifts).
 */
interface ComposedShift {
    offset: number;
    lines: number;
    readonly columns: Array<{ line: number; delta: number }>;
}

function applyShift(node: CstNode, shift: ComposedShift): void {
    const { columns } = shift;
    const stack: CstNode[] = [node];
    while (stack.length > 0) {
        const current = stack.pop()!;
        if (current instanceof CompositeCstNodeImpl) {
            forgetCachedRange(current);
            for (const child of current.content) stack.push(child);
        } else {
            const leaf = expectField(current, '_offset', 'CST leaf') as unknown as LeafPosition;
            for (const { line, delta } of columns) {
                if (leaf._startLine === line) leaf._startColumn += delta;
                if (leaf._endLine === line) leaf._endColumn += delta;
            }
            leaf._offset += shift.offset;
            leaf._startLine += shift.lines;
            leaf._endLine += shift.lines;
        }
    }
}

/**
 * Lazy moves. An edit shifts everything after it, but walking every later node on each
 * keystroke made an edit cost the size of the file (at 20,000 lines, a sixth of an edit).
 * Instead the shift is recorded on each top-level CST node after the edit (a child of the
 * root: a declaration, or a comment between declarations), composed with any shift already
 * waiting there, and applied to that node's subtree when any position in it is first read.
 * Every position getter of Langium's CST nodes (`offset`, `end`, `range` of leaves and
 * composites; `length` and `text` derive from them) first settles the node's top-level
 * node, found through its containers and remembered (`TOP_FIELD`, see `topLevelOf`).
 * `langium-internals.test.ts` and the incremental property tests compare every position
 * after random edits with a fresh parse.
 */
export const PENDING_SHIFT_FIELD = '_cajalShift';
export const TOP_FIELD = '_cajalTop';
type TopLevel = { [PENDING_SHIFT_FIELD]?: ComposedShift; [TOP_FIELD]?: CstNode };

/**
 * How many nodes have a shift waiting: while none has (a fresh parse, or everything read
 * since), the getters skip looking for one. Global, as the getters are (see `parsing`).
 */
const waiting: { count: number } = ((globalThis as Record<symbol, unknown>)[Symbol.for('cajal.langium-internals.waiting')] ??= { count: 0 }) as { count: number };

/** Records a shift of a child of the root, to be applied when one of its positions is read. */
export function deferShift(node: CstNode, shift: PositionShift): void {
    const top = node as CstNode & TopLevel;
    const pending = top[PENDING_SHIFT_FIELD];
    if (!pending) {
        top[PENDING_SHIFT_FIELD] = { offset: shift.offset, lines: shift.lines, columns: shift.columns !== 0 ? [{ line: shift.line, delta: shift.columns }] : [] };
        waiting.count++;
        return;
    }
    if (shift.columns !== 0) {
        // The shift's line is numbered after the waiting shifts; the nodes' own numbering is before them.
        const line = shift.line - pending.lines;
        const entry = pending.columns.find(column => column.line === line);
        if (entry) entry.delta += shift.columns;
        else pending.columns.push({ line, delta: shift.columns });
    }
    pending.offset += shift.offset;
    pending.lines += shift.lines;
}

/**
 * The child of the root that holds `node` (itself if it is one); undefined for the root.
 * Found by walking up the containers and remembered on each composite passed (`TOP_FIELD`),
 * so each composite is walked through once: looked up only when a shift is waiting, never
 * for a file that was not edited (marking every composite after each parse walked the whole
 * CST and grew every composite by a field). A composite keeps its top-level node for its life: the incremental
 * parser replaces top-level nodes whole, with nodes of a new parse.
 */
function topLevelOf(node: CstNode): (CstNode & TopLevel) | undefined {
    const container = node.container;
    if (!container) return undefined;
    if (!container.container) return node as CstNode & TopLevel;
    let current = (node instanceof CompositeCstNodeImpl ? node : container) as CstNode & TopLevel;
    const path: Array<CstNode & TopLevel> = [];
    let top: (CstNode & TopLevel) | undefined;
    while (!top) {
        const known = current[TOP_FIELD] as (CstNode & TopLevel) | undefined;
        const parent = current.container;
        if (known) top = known;
        else if (!parent) return undefined;
        else if (!parent.container) top = current;
        else {
            path.push(current);
            current = parent as CstNode & TopLevel;
        }
    }
    for (const composite of path) composite[TOP_FIELD] = top;
    return top;
}

/** Applies the shift waiting on the top-level node of `node`, if any. */
function settle(node: CstNode): void {
    const top = topLevelOf(node);
    const pending = top?.[PENDING_SHIFT_FIELD];
    if (pending) {
        top![PENDING_SHIFT_FIELD] = undefined;
        waiting.count--;
        applyShift(top!, pending);
    }
}

/**
 * Where a leaf starts, without applying the shift waiting on its top-level node: reading a
 * position settles the node's whole subtree, which a caller needing one position per
 * declaration need not pay for (semantic tokens anchor each declaration's cached tokens at
 * its first token; after an edit near the top, settling every declaration was most of it).
 */
export function leafStart(leaf: CstNode): { line: number; character: number } {
    if (!(leaf instanceof LeafCstNodeImpl)) return leaf.range.start;
    const position = expectField(leaf, '_startLine', 'CST leaf') as unknown as LeafPosition;
    const pending = waiting.count > 0 ? topLevelOf(leaf)?.[PENDING_SHIFT_FIELD] : undefined;
    if (!pending) return { line: position._startLine, character: position._startColumn };
    let character = position._startColumn;
    for (const { line, delta } of pending.columns) {
        if (line === position._startLine) character += delta;
    }
    return { line: position._startLine + pending.lines, character };
}

/** Drops the shifts waiting in a CST that is being replaced (a full re-parse): its positions are not read again. */
export function forgetWaitingShifts(root: CstNode): void {
    if (!(root instanceof CompositeCstNodeImpl) || waiting.count === 0) return;
    for (const child of root.content) {
        const top = child as CstNode & TopLevel;
        if (top[PENDING_SHIFT_FIELD]) {
            top[PENDING_SHIFT_FIELD] = undefined;
            waiting.count--;
        }
    }
}

/** Makes the position getters of CST leaves and composites settle waiting shifts first. */
function settleBeforeReading(): void {
    for (const prototype of [LeafCstNodeImpl.prototype, CompositeCstNodeImpl.prototype]) {
        for (const property of ['offset', 'end', 'range'] as const) {
            const original = Object.getOwnPropertyDescriptor(prototype, property)?.get as ((this: CstNode) => unknown) & { settles?: boolean } | undefined;
            if (!original) {
                throw new LangiumInternalsError(`Langium's ${prototype.constructor.name} has no '${property}' getter any more; src/langium-internals.ts must be updated for this Langium version.`);
            }
            if (original.settles) continue; // two copies of this module: installed once
            const getter = Object.assign(function (this: CstNode): unknown {
                if (waiting.count > 0) settle(this);
                return original.call(this);
            }, { settles: true });
            Object.defineProperty(prototype, property, { get: getter, configurable: true });
        }
    }
}

/** Makes a composite CST node compute its range (and offset and end, see below) again from its children. */
function forgetCachedRange(node: CompositeCstNodeImpl): void {
    (expectField(node, RANGE_CACHE_FIELD, 'composite CST node') as unknown as Record<string, unknown>)[RANGE_CACHE_FIELD] = undefined;
    const span = node as unknown as CachedSpan;
    span[OFFSET_CACHE_FIELD] = undefined;
    span[END_CACHE_FIELD] = undefined;
}

/**
 * Composite CST nodes' `offset` and `end`, cached as Langium caches their `range`. Langium
 * computes them by walking to the first and last token below the node, so every position
 * query (finding the token at the cursor: hover, completion, definition) costs the depth of
 * the tree at each level it descends: quadratic in the nesting (a 2,000-deep `else if` chain:
 * seconds per request). The cache is filled only outside parsing (while a parse runs, nodes
 * still grow) and is forgotten with the range cache, by `forgetCachedRange`: the one place
 * that moves or re-parents CST nodes after a parse (the incremental parser) calls it on every
 * composite it moves and on the root. `langium-internals.test.ts` checks every cached value
 * against a fresh computation after random incremental edits.
 */
export const OFFSET_CACHE_FIELD = '_cajalOffset';
export const END_CACHE_FIELD = '_cajalEnd';
type CachedSpan = { [OFFSET_CACHE_FIELD]?: number; [END_CACHE_FIELD]?: number };

/**
 * Parses running now (CajalLangiumParser.parse): while one runs, nothing is cached. Global,
 * so that two loaded copies of this module (tests load src/ beside the built package) share
 * the getters and the count.
 */
const parsing: { running: number } = ((globalThis as Record<symbol, unknown>)[Symbol.for('cajal.langium-internals.parsing')] ??= { running: 0 }) as { running: number };

/** Runs a parse that builds CST nodes outside `CajalLangiumParser.parse` (the fast parser): nothing is cached meanwhile. */
export function duringParse<T>(parse: () => T): T {
    parsing.running++;
    try {
        return parse();
    } finally {
        parsing.running--;
    }
}

function cacheCompositeSpans(): void {
    const prototype = CompositeCstNodeImpl.prototype;
    const offset = Object.getOwnPropertyDescriptor(prototype, 'offset')?.get;
    const end = Object.getOwnPropertyDescriptor(prototype, 'end')?.get;
    if (!offset || !end) {
        throw new LangiumInternalsError("Langium's CompositeCstNodeImpl has no 'offset'/'end' getters any more; src/langium-internals.ts must be updated for this Langium version.");
    }
    if ((end as { cached?: boolean }).cached) return; // two copies of this module: installed once
    const cached = (field: typeof OFFSET_CACHE_FIELD | typeof END_CACHE_FIELD, compute: () => number) => Object.assign(function (this: CompositeCstNodeImpl & CachedSpan): number {
        if (parsing.running > 0) return compute.call(this);
        let value = this[field];
        if (value === undefined) this[field] = value = compute.call(this);
        return value;
    }, { cached: true });
    Object.defineProperty(prototype, 'offset', { get: cached(OFFSET_CACHE_FIELD, offset), configurable: true });
    Object.defineProperty(prototype, 'end', { get: cached(END_CACHE_FIELD, end), configurable: true });
}
cacheCompositeSpans();
settleBeforeReading();

/**
 * Replaces the root's children `[from, to)` by nodes of another parse (made children of the
 * root), and gives the root the new document text. `RootCstNodeImpl.content` is documented as
 * not to be modified directly: this is the one place that does.
 */
export function spliceRootChildren(root: RootCstNodeImpl, from: number, to: number, replacement: readonly CstNode[], newText: string): void {
    for (const node of replacement) {
        (node as { container?: CompositeCstNodeImpl }).container = root;
    }
    // Removed nodes are not read again: a shift waiting on one no longer counts.
    for (let i = from; i < to; i++) {
        const removed = root.content[i] as CstNode & TopLevel;
        if (removed[PENDING_SHIFT_FIELD]) {
            removed[PENDING_SHIFT_FIELD] = undefined;
            waiting.count--;
        }
    }
    root.content.splice(from, to - from, ...replacement);
    (expectField(root, ROOT_TEXT_FIELD, 'root CST node') as unknown as Record<string, unknown>)[ROOT_TEXT_FIELD] = newText;
    forgetCachedRange(root);
}

/** A cross-reference of a document (single or multi). */
type AnyReference = LangiumDocument['references'][number];
type ReferenceState = { _ref?: unknown; _nodeDescription?: unknown; _items?: unknown; _linkingError?: unknown };

/**
 * The node a single reference resolved to, without resolving it (reading `ref` would link
 * it); undefined when it is unresolved, not yet linked, or a multi-reference.
 */
export function linkedTarget(reference: AnyReference): AstNode | undefined {
    const target = (reference as unknown as ReferenceState)._ref;
    return isAstNode(target) ? target : undefined;
}

/**
 * Whether a reference is a single reference yet to be linked, as Langium's `DefaultLinker.doLink`
 * asks before resolving it (reading `ref` would link it): false when it was resolved, lazily
 * or by the linker, and for a multi-reference.
 */
export function isUnlinkedSingle(reference: AnyReference): boolean {
    const state = reference as unknown as ReferenceState;
    if ('_ref' in state) return state._ref === undefined;
    if ('_items' in state) return false;
    throw new LangiumInternalsError("Langium's references have neither a '_ref' nor an '_items' field any more; src/langium-internals.ts must be updated for this Langium version.");
}

/**
 * Records a single reference's resolution as Langium's `DefaultLinker.doLink` does: the node
 * it refers to (or the linking error) and the description it was found by.
 */
export function setResolution(reference: AnyReference, target: AstNode | LinkingError, description: AstNodeDescription | undefined): void {
    const state = expectField(reference as unknown as ReferenceState, '_ref', 'reference');
    if (description) state._nodeDescription = description;
    state._ref = target;
}

/** Forgets a reference's resolution, as Langium's `DefaultLinker.unlink` does for each reference. */
export function resetReference(reference: AnyReference): void {
    const state = reference as unknown as ReferenceState;
    if ('_ref' in state) {
        state._ref = undefined;
        delete state._nodeDescription;
    } else if ('_items' in state) {
        state._items = undefined;
        delete state._linkingError;
    } else {
        throw new LangiumInternalsError("Langium's references have neither a '_ref' nor an '_items' field any more; src/langium-internals.ts must be updated for this Langium version.");
    }
}

/**
 * Langium's parser with one change: after each sub-rule, Langium asks whether its CST node
 * consumed any tokens with `cstNode.length > 0`, and a composite node's `length` walks down to
 * its last token. In a right-nested chain (`if … else if … else …`, each `else` a node inside
 * the previous one) every level walks the whole rest of the chain: parsing was quadratic in the
 * nesting (4,000 levels 5 s, 8,000 levels 33 s). Here the end of each finished sub-rule node is
 * remembered, so the check reads its last child's end in constant time.
 *
 * `subrule` is Langium 4.4's `LangiumParser.subrule` (MIT, TypeFox) with only that check
 * changed; it uses the parser's private `wrapper`, `construct` and `performSubruleAssignment`,
 * pinned by `langium-internals.test.ts` (`PARSER_INTERNALS`).
 *
 * Comments (hidden tokens) cost the length of the file per token in Langium 4.4, which made a
 * long file's parse quadratic (in a CPU profile of `cajal check` on 100,000 lines, about a
 * tenth of the samples): before each consumed
 * token, `extractHiddenTokens` takes the comments before it with `hidden.splice(0, i)` (moving
 * the rest of the array, and allocating even when there is none), and the CST builder's
 * `addHiddenNodes` finds the node being built in its parent with `indexOf` from the front (the
 * root holds every declaration, and the node is its last child). Here the comments are taken
 * by a cursor (`doParse` then leaves the trailing ones, as Langium's splices did), and
 * `CajalCstNodeBuilder` searches from the back and skips the empty case.
 *
 * Three steps of Langium's tree building allocated per AST node, which a profile of a fresh
 * check shows (`bench/profile-check.mjs`; of `cajal check` on 100,000 lines, about a tenth
 * of the samples before collection, which they add to): after the parse, Langium links
 * every node to its container with a recursive walk that takes `Object.entries` of each node
 * (`linkContentToContainer(result, { deep: true })`); each constructed node gets its default
 * values (`[]`, `false`) through `assignMandatoryProperties`, which takes `Object.values` of
 * all its type's properties; and a node returned by an unassigned rule call (`Term:
 * Application`, `Atom: Var | …`) is merged with `assignWithoutOverride`, again with
 * `Object.entries`. Here `parse` is Langium's with the same links set by `linkContainers`
 * (keys visited in place, no arrays made), the parser's reflection is a view that lists only
 * the properties with a default value (Langium's parser reads its reflection for nothing
 * else), and `assignWithoutOverride` visits the keys in place.
 */
export const PARSER_INTERNALS = [
    'wrapper', 'nodeBuilder', 'construct', 'performSubruleAssignment', 'isRecording', 'extractHiddenTokens', 'doParse',
    'lexer', 'allRules', 'mainRule', 'unorderedGroups', 'astReflection', 'assignWithoutOverride'
] as const;

interface ParserInternals {
    wrapper: { wrapSubrule(idx: number, rule: RuleResult, args: Args): unknown; input: IToken[]; errors: ParseResult['parserErrors'] };
    nodeBuilder: { buildCompositeNode(feature: AbstractElement): CompositeCstNodeImpl; buildRootNode(input: string): unknown; addHiddenNodes(tokens: IToken[]): void };
    construct(): unknown;
    performSubruleAssignment(result: unknown, feature: AbstractElement, cstNode: CstNode): void;
    isRecording(): boolean;
    extractHiddenTokens(token: IToken): IToken[];
    doParse(rule: unknown): unknown;
    lexerResult?: LexerResult;
    lexer: Lexer;
    allRules: Map<string, unknown>;
    mainRule: unknown;
    unorderedGroups: Map<unknown, unknown>;
    astReflection: AstReflection;
    assignWithoutOverride(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown>;
}

type ParseResult = ReturnType<LangiumParser['parse']>;

/**
 * Sets `$container`, `$containerProperty` and `$containerIndex` of every AST node below
 * `root`, as Langium's `linkContentToContainer(root, { deep: true })` does (the same
 * properties, non-`$` keys only, arrays by index), iteratively and without per-node arrays.
 */
export function linkContainers(root: AstNode): void {
    const stack: AstNode[] = [root];
    while (stack.length > 0) {
        const node = stack.pop()!;
        const record = node as unknown as Record<string, unknown>;
        for (const name in record) {
            if (name.charCodeAt(0) === 36 /* $ */) continue;
            const value = record[name];
            if (Array.isArray(value)) {
                for (let index = 0; index < value.length; index++) {
                    const item: unknown = value[index];
                    if (isAstNode(item)) {
                        (item as Mutable<AstNode>).$container = node;
                        (item as Mutable<AstNode>).$containerProperty = name;
                        (item as Mutable<AstNode>).$containerIndex = index;
                        stack.push(item);
                    }
                }
            } else if (isAstNode(value)) {
                (value as Mutable<AstNode>).$container = node;
                (value as Mutable<AstNode>).$containerProperty = name;
                stack.push(value);
            }
        }
    }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The AST reflection as the parser sees it: each type's metadata with only the properties
 * that have a default value, which is all `assignMandatoryProperties` looks for (it skips the
 * others). Cached per type; every other member is the reflection's own.
 */
export function defaultsOnlyReflection(reflection: AstReflection): AstReflection {
    const cache = new Map<string, TypeMetaData>();
    return Object.create(reflection, {
        getTypeMetaData: {
            value(type: string): TypeMetaData {
                let metaData = cache.get(type);
                if (!metaData) {
                    const full = reflection.getTypeMetaData(type);
                    const properties = Object.fromEntries(Object.entries(full.properties).filter(([, property]) => property.defaultValue !== undefined));
                    metaData = { ...full, properties };
                    cache.set(type, metaData);
                }
                return metaData;
            }
        }
    }) as AstReflection;
}

/** Langium 4.4's `LangiumParser.assignWithoutOverride` (MIT, TypeFox), visiting the keys in place. */
export function assignWithoutOverride(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
    for (const name in source) {
        const existingValue = source[name];
        const newValue = target[name];
        if (newValue === undefined) {
            target[name] = existingValue;
        } else if (Array.isArray(newValue) && Array.isArray(existingValue)) {
            existingValue.push(...newValue);
            target[name] = existingValue;
        }
    }
    // As Langium: the node came from an unassigned sub-rule; the CST builder sets its node later.
    target.$cstNode = undefined;
    return target;
}

const NO_TOKENS: readonly IToken[] = Object.freeze([]);

/**
 * Langium 4.4's `CstNodeBuilder` (MIT, TypeFox) with two changes. `addHiddenNodes` in time
 * independent of the file's length: nothing to do for no tokens, and the node being built is
 * found in its parent from the back (it is the parent's last child, or near it). And
 * `appendChild` starts a composite's content with an array of one: most composites have one
 * child (a rule that calls one rule: 37,000 of the 5,000-line benchmark file's 44,000), and a
 * push into the empty array makes room for 17 — garbage as soon as `construct` copies the
 * content into an array of its size.
 */
export class CajalCstNodeBuilder extends CstNodeBuilder {
    override appendChild(parent: CompositeCstNode, child: CstNode): void {
        (child as Mutable<CstNode>).container = parent;
        if (parent.content.length === 0) (parent as Mutable<CompositeCstNode>).content = [child];
        else (parent.content as CstNode[]).push(child);
    }

    override addHiddenNodes(tokens: IToken[]): void {
        if (tokens.length === 0) return;
        const nodes = tokens.map(token => this.createLeafNode(token, true));
        let current: CompositeCstNode = this.current;
        // Within a composite node that has content, the comments follow it.
        if (current.content.length > 0) {
            this.appendChildren(current, nodes);
            return;
        }
        // At a node just opened: before it, in the first ancestor where it is not the first child.
        while (current.container) {
            const index = current.container.content.lastIndexOf(current);
            if (index > 0) {
                this.insertChildren(current.container, index, nodes);
                return;
            }
            current = current.container;
        }
        // At the root: the comments open the file.
        this.insertChildren(current, 0, nodes);
    }
}

export class CajalLangiumParser extends LangiumParser {
    /**
     * The last sub-rule node whose rule returned, and its end. A parent's last child is that
     * node whenever the parent consumed nothing after it (the chain case), so one slot is
     * enough; a finished node's content no longer changes. (A WeakMap of every finished node
     * cost more in collection than it saved: 100,000 lines 19 s.)
     */
    private lastFinished: CstNode | undefined;
    private lastFinishedEnd = 0;
    /** How many of the lexer's hidden tokens (comments) the parse has put into the CST so far. */
    private hiddenTaken = 0;

    constructor(services: LangiumCoreServices) {
        super(services);
        const self = this as unknown as ParserInternals;
        for (const member of ['extractHiddenTokens', 'doParse'] as const) {
            if (typeof self[member] !== 'function') {
                throw new LangiumInternalsError(`Langium's parser has no '${member}' any more; src/langium-internals.ts must be updated for this Langium version.`);
            }
        }
        (self as unknown as { nodeBuilder: CstNodeBuilder }).nodeBuilder = new CajalCstNodeBuilder();
        self.astReflection = defaultsOnlyReflection(expectField(self, 'astReflection', 'parser').astReflection);
        self.assignWithoutOverride = assignWithoutOverride;
        self.extractHiddenTokens = token => this.hiddenTokensBefore(token);
        const doParse = self.doParse.bind(this);
        self.doParse = rule => {
            const result = doParse(rule);
            // Langium's parse adds what is left in `hidden` after the last token: the trailing comments.
            self.lexerResult?.hidden.splice(0, this.hiddenTaken);
            return result;
        };
    }

    /** The comments between the previous consumed token and `token`, as Langium's `extractHiddenTokens` (without removing them). */
    private hiddenTokensBefore(token: IToken): IToken[] {
        const hidden = (this as unknown as ParserInternals).lexerResult!.hidden;
        const start = this.hiddenTaken;
        let end = start;
        while (end < hidden.length && hidden[end].startOffset <= token.startOffset) end++;
        if (end === start) return NO_TOKENS as IToken[];
        this.hiddenTaken = end;
        return hidden.slice(start, end);
    }

    override parse<T extends AstNode = AstNode>(input: string, options?: Parameters<LangiumParser['parse']>[1]): ReturnType<LangiumParser['parse']> & { value: T } {
        this.hiddenTaken = 0;
        parsing.running++;
        try {
            return this.parseAndLink(input, options) as ReturnType<LangiumParser['parse']> & { value: T };
        } finally {
            parsing.running--;
        }
    }

    /** Langium 4.4's `LangiumParser.parse` (MIT, TypeFox), its final linking walk replaced by `linkContainers`. */
    private parseAndLink(input: string, options: Parameters<LangiumParser['parse']>[1] = {}): ParseResult {
        const self = this as unknown as ParserInternals;
        self.nodeBuilder.buildRootNode(input);
        const lexerResult = self.lexerResult = self.lexer.tokenize(input);
        self.wrapper.input = lexerResult.tokens;
        const ruleMethod = options.rule ? self.allRules.get(options.rule) : self.mainRule;
        if (!ruleMethod) {
            throw new Error(options.rule ? `No rule found with name '${options.rule}'` : 'No main rule available.');
        }
        const result = self.doParse(ruleMethod) as AstNode;
        self.nodeBuilder.addHiddenNodes(lexerResult.hidden);
        self.unorderedGroups.clear();
        self.lexerResult = undefined;
        linkContainers(result);
        return { value: result, lexerErrors: lexerResult.errors, lexerReport: lexerResult.report, parserErrors: self.wrapper.errors };
    }

    override subrule(idx: number, rule: RuleResult, fragment: boolean, feature: AbstractElement, args: Args): void {
        const self = this as unknown as ParserInternals;
        let cstNode: CompositeCstNodeImpl | undefined;
        if (!self.isRecording() && !fragment) cstNode = self.nodeBuilder.buildCompositeNode(feature);
        let result: unknown;
        try {
            result = self.wrapper.wrapSubrule(idx, rule, args);
        } finally {
            if (!self.isRecording()) {
                if (result === undefined && !fragment) result = self.construct();
                if (result !== undefined && cstNode) {
                    const end = this.endOf(cstNode);
                    this.lastFinished = cstNode;
                    this.lastFinishedEnd = end;
                    if (end - cstNode.offset > 0) self.performSubruleAssignment(result, feature, cstNode);
                }
            }
        }
    }

    /** `node.end`, stopping at the last finished sub-rule node instead of walking into it. */
    private endOf(node: CstNode): number {
        let current: CstNode | undefined = node;
        while (current instanceof CompositeCstNodeImpl) {
            if (current === this.lastFinished) return this.lastFinishedEnd;
            // As CompositeCstNodeImpl's private lastNonHiddenNode: the last child that is not hidden, else the last.
            const { content }: { content: CstNode[] } = current;
            let last: CstNode | undefined = content.length > 0 ? content[content.length - 1] : undefined;
            for (let i = content.length - 1; i >= 0; i--) {
                if (!content[i].hidden) { last = content[i]; break; }
            }
            current = last;
        }
        return current ? current.end : 0;
    }
}

/** Langium's `createLangiumParser`, building a `CajalLangiumParser`. */
export function createCajalParser(services: LangiumCoreServices): LangiumParser {
    const parser = createParser(services.Grammar, new CajalLangiumParser(services), services.parser.Lexer.definition);
    parser.finalize();
    return parser;
}

/**
 * The completion parser service: {@link createCajalCompletionParser}'s parser, made on the
 * first completion. Making it is Chevrotain's grammar analysis (~30 ms), which would otherwise
 * run when the language server initializes — Langium makes every service then — and so
 * before the first check of the first file opened (docs/editors.md, "Start-up").
 */
export class CajalCompletionParser {
    private parser: LangiumCompletionParser | undefined;

    constructor(private readonly services: LangiumCoreServices) { }

    /** The parser, once the first completion has made it. */
    get made(): LangiumCompletionParser | undefined {
        return this.parser;
    }

    parse(input: string): CompletionParserResult {
        return (this.parser ??= createCajalCompletionParser(this.services)).parse(input);
    }
}

/** The private members of Langium 4.4's `LangiumCompletionParser` that `createCajalCompletionParser` uses. */
export const COMPLETION_PARSER_INTERNALS = ['wrapper', 'lexer', 'mainRule', 'unorderedGroups'] as const;
/** The methods of `LangiumCompletionParser` it replaces (their originals are pinned by the test). */
export const COMPLETION_PARSER_REPLACED = ['resetState', 'removeUnexpectedElements', 'keepStackSize', 'resetStackSize', 'before', 'after', 'consume', 'parse'] as const;

/** One entry of the completion parser's element stack, as a persistent list (sharing what is below). */
interface StackNode { readonly element: unknown; readonly below: StackNode | undefined; readonly size: number }

/**
 * Langium's completion parser, with two changes for deeply nested input:
 * - its element stack is a persistent list: Langium copies the whole stack at every consumed
 *   token (`lastElementStack = [...elementStack, feature]`), which is quadratic in the nesting
 *   (20,000-deep `else if` chain: 115 s per completion); here a token keeps a pointer to the
 *   stack as it was, and only the last one is turned into an array;
 * - chevrotain's error recovery is off: the text ends at the cursor, so the parse always fails
 *   there, and recovery computes a re-sync follow set over the whole rule stack at every level
 *   it unwinds, again quadratic. Recovery only moves where parsing stops before the cursor;
 *   Langium's completion walks the tokens left over from there through the grammar
 *   (`findNextFeatures`), so completion stays grammar-driven. (The document parser keeps
 *   recovery: its diagnostics and partial trees need it.)
 * The members replaced are those of Langium 4.4's class (MIT, TypeFox), pinned by
 * `langium-internals.test.ts` (`COMPLETION_PARSER_INTERNALS`).
 */
export function createCajalCompletionParser(services: LangiumCoreServices): LangiumCompletionParser {
    // A view of the services whose parser group has recovery off; everything else is shared.
    const parserGroup = Object.create(services.parser, { ParserConfig: { value: { recoveryEnabled: false } } }) as LangiumCoreServices['parser'];
    const view = Object.create(services, { parser: { value: parserGroup } }) as LangiumCoreServices;
    const parser = new LangiumCompletionParser(view);
    const internals = parser as unknown as {
        wrapper: { input: unknown[]; wrapConsume(idx: number, tokenType: unknown): void; currIdx: number };
        lexer: { tokenize(text: string, options: { mode: 'partial' }): { tokens: unknown[] } };
        mainRule: { call(thisArg: unknown, args: object): void };
        unorderedGroups: Map<unknown, unknown>;
        isRecording(): boolean;
    };
    let top: StackNode | undefined;
    let stackSize = 0;
    let lastTop: StackNode | undefined;
    let lastFeature: unknown;
    let nextTokenIndex = 0;
    const truncate = (size: number) => { while (top && top.size > size) top = top.below; };
    Object.assign(parser, {
        resetState(): void { top = undefined; lastTop = undefined; lastFeature = undefined; nextTokenIndex = 0; stackSize = 0; },
        removeUnexpectedElements(): void { truncate(stackSize); },
        keepStackSize(): number { stackSize = top?.size ?? 0; return stackSize; },
        resetStackSize(size: number): void { truncate(stackSize); stackSize = size; },
        before(element: unknown): void {
            if (!internals.isRecording()) top = { element, below: top, size: (top?.size ?? 0) + 1 };
        },
        after(element: unknown): void {
            if (internals.isRecording()) return;
            for (let node = top; node; node = node.below) {
                if (node.element === element) { top = node.below; return; }
            }
        },
        consume(idx: number, tokenType: unknown, feature: unknown): void {
            internals.wrapper.wrapConsume(idx, tokenType);
            if (!internals.isRecording()) {
                lastTop = top;
                lastFeature = feature;
                nextTokenIndex = internals.wrapper.currIdx + 1;
            }
        },
        parse(input: string) {
            (parser as unknown as { resetState(): void }).resetState();
            const tokens = internals.lexer.tokenize(input, { mode: 'partial' }).tokens;
            internals.wrapper.input = [...tokens];
            internals.mainRule.call(internals.wrapper, {});
            internals.unorderedGroups.clear();
            const elementStack: unknown[] = [];
            for (let node = lastTop; node; node = node.below) elementStack.push(node.element);
            elementStack.reverse();
            if (lastFeature !== undefined) elementStack.push(lastFeature);
            return { tokens, elementStack, tokenIndex: nextTokenIndex };
        }
    });
    createParser(services.Grammar, parser, services.parser.Lexer.definition);
    parser.finalize();
    for (const member of COMPLETION_PARSER_INTERNALS) {
        if (!(member in parser) || (parser as unknown as Record<string, unknown>)[member] === undefined) {
            throw new LangiumInternalsError(`Langium's completion parser has no '${member}' any more; src/langium-internals.ts must be updated for this Langium version.`);
        }
    }
    return parser;
}

/**
 * Every use of Langium's private fields, behind named operations. The incremental parser
 * moves CST positions and swaps the root's children in place, and the incremental linker
 * reads and resets references, none of which Langium offers through its API; its CST and
 * reference classes keep that state in underscored fields. A Langium release that renames
 * one would silently corrupt positions or links, so each operation checks that the field is
 * there and throws `LangiumInternalsError` otherwise, and `langium-internals.test.ts` pins
 * the fields against the installed Langium. Written against Langium 4.4 (`langium/lib/parser/cst-node-builder.js`,
 * `langium/lib/references/linker.js`).
 */
import {
    CompositeCstNodeImpl, LangiumParser, createParser, isAstNode, type AstNode, type CstNode, type LangiumCoreServices, type LangiumDocument, type RootCstNodeImpl
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
    const stack: CstNode[] = [node];
    while (stack.length > 0) {
        const current = stack.pop()!;
        if (current instanceof CompositeCstNodeImpl) {
            forgetCachedRange(current);
            for (const child of current.content) stack.push(child);
        } else {
            const leaf = expectField(current, '_offset', 'CST leaf') as unknown as LeafPosition;
            if (leaf._startLine === shift.line) leaf._startColumn += shift.columns;
            if (leaf._endLine === shift.line) leaf._endColumn += shift.columns;
            leaf._offset += shift.offset;
            leaf._startLine += shift.lines;
            leaf._endLine += shift.lines;
        }
    }
}

/** Makes a composite CST node compute its range again from its children. */
function forgetCachedRange(node: CompositeCstNodeImpl): void {
    (expectField(node, RANGE_CACHE_FIELD, 'composite CST node') as unknown as Record<string, unknown>)[RANGE_CACHE_FIELD] = undefined;
}

/**
 * Replaces the root's children `[from, to)` by nodes of another parse (made children of the
 * root), and gives the root the new document text. `RootCstNodeImpl.content` is documented as
 * not to be modified directly: this is the one place that does.
 */
export function spliceRootChildren(root: RootCstNodeImpl, from: number, to: number, replacement: readonly CstNode[], newText: string): void {
    for (const node of replacement) {
        (node as { container?: CompositeCstNodeImpl }).container = root;
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
 */
export const PARSER_INTERNALS = ['wrapper', 'nodeBuilder', 'construct', 'performSubruleAssignment', 'isRecording'] as const;

interface ParserInternals {
    wrapper: { wrapSubrule(idx: number, rule: RuleResult, args: Args): unknown };
    nodeBuilder: { buildCompositeNode(feature: AbstractElement): CompositeCstNodeImpl };
    construct(): unknown;
    performSubruleAssignment(result: unknown, feature: AbstractElement, cstNode: CstNode): void;
    isRecording(): boolean;
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

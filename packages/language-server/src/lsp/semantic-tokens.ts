import { GrammarAST, interruptAndCheck, isCompositeCstNode, type AstNode, type CstNode, type LangiumDocument } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { CancellationToken, SemanticTokenModifiers, SemanticTokenTypes, type Position, type Range, type SemanticTokens, type SemanticTokensParams } from 'vscode-languageserver';
import { assignedProperty, ast, isLinearBinder, leafStart } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { firstToken } from './syntax-queries.js';

/**
 * Token kinds, so that themes tell apart what Cajal cares about:
 * linear variables `parameter`, data fields `variable` (readonly), definitions `function`,
 * externs `interface`, train blocks `class`, modules `namespace`, types `type`,
 * keywords `keyword`, `true`/`false` `enumMember`, numerals `number`, strings `string`.
 * Binding occurrences carry the `declaration` modifier.
 */
export class CajalSemanticTokenProvider extends AbstractSemanticTokenProvider {
    /**
     * The tokens of each child of the CST's root (a declaration, an import, the header's
     * tokens), positions relative to its first token. The incremental parser keeps the CST of
     * a declaration whose text an edit did not touch, only moved, so after an edit only the
     * re-parsed declarations are walked again; a kept one is walked again only when one of its
     * names now links elsewhere (a definition became an extern). A full parse makes new nodes.
     */
    private readonly partTokens = new WeakMap<CstNode, PartTokens>();

    constructor(services: CajalLspServices) {
        super(services);
    }

    /**
     * The whole document's tokens, encoded here rather than through Langium's builder (which
     * collects token objects and sorts them): the walk gives them in document order.
     */
    override async semanticHighlight(document: LangiumDocument, _params: SemanticTokensParams, cancelToken = CancellationToken.None): Promise<SemanticTokens> {
        const root = document.parseResult.value.$cstNode;
        if (!root || !isCompositeCstNode(root)) return { data: [] };
        // Each part of the module with its tokens, relative to the part's first token.
        const parts: Array<{ start: Position; tokens: number[] }> = [];
        let total = 0;
        for (let index = 0; index < root.content.length; index++) {
            // Yields now and then, as Langium's walk does, so that a newer edit can cancel it.
            if ((index & 63) === 63) await interruptAndCheck(cancelToken);
            const child = root.content[index];
            const first = firstToken(child);
            if (!first) continue;
            // Without settling the part's waiting position shift: a cached part's positions are not read.
            const start = leafStart(first);
            const tokens = this.tokensOf(child, start).data;
            parts.push({ start, tokens });
            total += tokens.length;
        }
        const data = new Array<number>(total);
        let at = 0;
        let line = 0;
        let character = 0;
        for (const { start, tokens } of parts) {
            for (let i = 0; i < tokens.length; i += 5) {
                const tokenLine = start.line + tokens[i];
                const tokenCharacter = tokens[i] === 0 ? start.character + tokens[i + 1] : tokens[i + 1];
                data[at++] = tokenLine - line;
                data[at++] = tokenLine === line ? tokenCharacter - character : tokenCharacter;
                data[at++] = tokens[i + 2];
                data[at++] = tokens[i + 3];
                data[at++] = tokens[i + 4];
                line = tokenLine;
                character = tokenCharacter;
            }
        }
        return { data };
    }

    /**
     * What each grammar element's leaves are, found once per element: a keyword's token
     * (packed, see {@link packedToken}) or the property the element assigns ('' for none).
     */
    private readonly leafSources = new Map<GrammarAST.AbstractElement, number | string>();

    /** The tokens under a child of the root, positions relative to `start` (its first token's): cached while the names link to the same targets. */
    private tokensOf(cst: CstNode, start: Position): PartTokens {
        const cached = this.partTokens.get(cst);
        if (cached && sameTargets(cached)) return cached;
        const tokens: PartTokens = { data: [], vars: [], targets: [] };
        const stack: CstNode[] = [cst];
        while (stack.length > 0) {
            const leaf = stack.pop()!;
            if (isCompositeCstNode(leaf)) {
                for (let i = leaf.content.length - 1; i >= 0; i--) stack.push(leaf.content[i]);
                continue;
            }
            if (leaf.hidden) continue;
            const packed = this.packedToken(leaf, tokens);
            if (packed < 0) continue;
            // Every token is one ID, INT or keyword leaf: on one line. Its start as `start`'s,
            // with the part's waiting position shift (`leafStart`), without settling it.
            const { line, character } = leafStart(leaf);
            const lines = line - start.line;
            tokens.data.push(lines, lines === 0 ? character - start.character : character, leaf.length, packed >> MODIFIER_BITS, packed & MODIFIER_MASK);
        }
        this.partTokens.set(cst, tokens);
        return tokens;
    }

    /**
     * The token of a leaf ({@link leafToken}'s) as its type index and modifier bits in one
     * number (type << MODIFIER_BITS | modifiers), -1 for none; a name's target noted in
     * `tokens`. Keywords and properties are looked up once per grammar element, and a leaf's
     * AST node only read for a name: the first request on a 20,000-line file classifies
     * 130,000 leaves.
     */
    private packedToken(leaf: CstNode, tokens: PartTokens): number {
        const source = leaf.grammarSource;
        if (!source) return -1;
        let kind = this.leafSources.get(source);
        if (kind === undefined) {
            kind = GrammarAST.isKeyword(source) ? this.pack(keywordToken(source.value)) : assignedProperty(source) ?? '';
            this.leafSources.set(source, kind);
        }
        if (typeof kind === 'number') return kind;
        if (kind === '') return -1;
        const node = leaf.astNode;
        if (kind === 'ref' && ast.isVar(node)) {
            const target = node.ref?.ref;
            tokens.vars.push(node);
            tokens.targets.push(target);
        }
        return this.pack(leafToken(leaf));
    }

    private pack(token: LeafToken | undefined): number {
        return token ? this.typeIndex(token) << MODIFIER_BITS | this.modifierBits(token) : -1;
    }

    private typeIndex(token: LeafToken): number {
        return this.tokenTypes[token.type];
    }

    private modifierBits(token: LeafToken): number {
        let bits = 0;
        for (const modifier of token.modifier ?? []) bits |= this.tokenModifiers[modifier];
        return bits;
    }

    /**
     * Range requests: one walk over the leaves in the range, each classified by {@link leafToken}.
     * (Langium's default visits every AST node and looks up each highlighted property among the
     * node's CST children, which took 0.5 s for a 20,000-line file; every token is a single leaf
     * here, no highlighted property being a datatype rule, so the leaves suffice.)
     */
    protected override async computeHighlighting(document: LangiumDocument, acceptor: SemanticTokenAcceptor, cancelToken: CancellationToken): Promise<void> {
        const root = document.parseResult.value.$cstNode;
        if (!root) return;
        const range = this.currentRange;
        const stack: CstNode[] = [root];
        let visited = 0;
        while (stack.length > 0) {
            const current = stack.pop()!;
            if ((++visited & 1023) === 0) await interruptAndCheck(cancelToken);
            if (range && !overlaps(current.range, range)) continue;
            if (isCompositeCstNode(current)) {
                for (let i = current.content.length - 1; i >= 0; i--) stack.push(current.content[i]);
                continue;
            }
            if (current.hidden) continue;
            const token = leafToken(current);
            if (token) acceptor({ cst: current, type: token.type, modifier: token.modifier });
        }
    }

    /** The tokens of the node's own leaves (not those of the AST nodes inside it). */
    protected override highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void {
        const cst = node.$cstNode;
        if (!cst) return;
        const stack: CstNode[] = [cst];
        while (stack.length > 0) {
            const current = stack.pop()!;
            if (isCompositeCstNode(current)) {
                for (let i = current.content.length - 1; i >= 0; i--) {
                    const child = current.content[i];
                    if (child.astNode === node || !isCompositeCstNode(child)) stack.push(child);
                }
                continue;
            }
            if (current.hidden || current.astNode !== node) continue;
            const token = leafToken(current);
            if (token) acceptor({ cst: current, type: token.type, modifier: token.modifier });
        }
    }
}

/** Bits of a packed token (`packedToken`) that hold its modifiers; Langium's legend has 10. */
const MODIFIER_BITS = 16;
const MODIFIER_MASK = (1 << MODIFIER_BITS) - 1;

/** A part's tokens (5 numbers each: lines after its first token's line; column, from that token's column on its line; length; type; modifiers) and the targets its names had. */
interface PartTokens {
    data: number[];
    vars: ast.Var[];
    targets: Array<AstNode | undefined>;
}

function sameTargets(tokens: PartTokens): boolean {
    for (let i = 0; i < tokens.vars.length; i++) {
        if (tokens.vars[i].ref?.ref !== tokens.targets[i]) return false;
    }
    return true;
}

interface LeafToken {
    type: string;
    modifier?: string[];
}

/** The token of one CST leaf: a keyword, or the value of a property of its AST node. */
function leafToken(leaf: CstNode): LeafToken | undefined {
    const source = leaf.grammarSource;
    if (GrammarAST.isKeyword(source)) return keywordToken(source.value);
    const node = leaf.astNode;
    switch (source && assignedProperty(source)) {
        case 'ref': {
            if (!ast.isVar(node)) return undefined;
            const target = node.ref?.ref;
            const type = tokenTypeOf(target);
            return type ? { type, modifier: modifiersOf(target, false) } : undefined;
        }
        case 'name':
            if (ast.isBinder(node)) return { type: tokenTypeOf(node)!, modifier: modifiersOf(node, true) };
            if (ast.isDefinition(node) || ast.isExtern(node) || ast.isTraining(node)) return { type: tokenTypeOf(node)!, modifier: [SemanticTokenModifiers.declaration] };
            if (ast.isModule(node)) return { type: SemanticTokenTypes.namespace, modifier: [SemanticTokenModifiers.declaration] };
            return undefined;
        case 'module': return ast.isImport(node) ? { type: SemanticTokenTypes.namespace } : undefined;
        case 'value': return ast.isNumeral(node) ? { type: SemanticTokenTypes.number } : undefined;
        case 'bound': return ast.isNatType(node) ? { type: SemanticTokenTypes.number } : undefined;
        case 'dims': return ast.isRealType(node) ? { type: SemanticTokenTypes.number } : undefined;
        case 'architecture': return ast.isNetSpec(node) ? { type: SemanticTokenTypes.function, modifier: [SemanticTokenModifiers.defaultLibrary] } : undefined;
        case 'source': return ast.isDataOption(node) ? { type: SemanticTokenTypes.variable, modifier: [SemanticTokenModifiers.defaultLibrary] } : undefined;
        case 'key': return ast.isSettingOption(node) || ast.isNetArg(node) ? { type: SemanticTokenTypes.property } : undefined;
        default: return undefined;
    }
}

/** Keywords that are words (`def`, `Bool`, `true`, `\\`) or the type and arrow operators; punctuation gets no token. */
function keywordToken(text: string): LeafToken | undefined {
    if (text === 'true' || text === 'false') return { type: SemanticTokenTypes.enumMember };
    if (text === 'Bool' || text === 'Nat' || text === 'Real') return { type: SemanticTokenTypes.type };
    if (text === '-o' || text === '⊸' || text === '⊗' || text === '*' || text === '=>') return { type: SemanticTokenTypes.operator };
    return /^[\p{L}\\]/u.test(text) ? { type: SemanticTokenTypes.keyword } : undefined;
}

function overlaps(a: Range, b: Range): boolean {
    return !(a.end.line < b.start.line || (a.end.line === b.start.line && a.end.character < b.start.character)
        || a.start.line > b.end.line || (a.start.line === b.end.line && a.start.character > b.end.character));
}

function tokenTypeOf(target: AstNode | undefined): string | undefined {
    if (!target) return undefined;
    if (ast.isDefinition(target)) return SemanticTokenTypes.function;
    if (ast.isExtern(target)) return SemanticTokenTypes.interface;
    if (ast.isTraining(target)) return SemanticTokenTypes.class;
    if (ast.isBinder(target)) return isLinearBinder(target) ? SemanticTokenTypes.parameter : SemanticTokenTypes.variable;
    return undefined;
}

function modifiersOf(target: AstNode | undefined, declaration: boolean): string[] {
    const modifiers: string[] = declaration ? [SemanticTokenModifiers.declaration] : [];
    if (ast.isBinder(target) && !isLinearBinder(target)) modifiers.push(SemanticTokenModifiers.readonly);
    return modifiers;
}

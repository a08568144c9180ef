import { AstUtils, stream, type AstNode, type AstNodeDescription, type GrammarAST, type ReferenceInfo, type Stream } from 'langium';
import { DefaultCompletionProvider, type CompletionAcceptor, type CompletionContext, type CompletionValueItem, type NextFeature } from 'langium/lsp';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { CompletionItemKind, InsertTextFormat, type CancellationToken, type CompletionItem, type CompletionList, type CompletionParams } from 'vscode-languageserver';
import type { LangiumDocument } from 'langium';
import { ast, Bool, containsError, declaredType, findLeafAt, isError, MAX_UNCLOSED, typeFromSyntax, uncurry, visibleBinders, type CajalType } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { typeOfSafely } from './syntax-queries.js';
import { declarationPrefix, declarationSpanAt } from './completion-parse.js';

/** Snippets offered beside their keyword. */
const SNIPPETS: Record<string, { label: string; body: string; doc: string }> = {
    fun: { label: 'fun … => …', body: 'fun ${1:x} => ${0}', doc: 'A linear function: the binder must be used exactly once.' },
    if: { label: 'if … then … else …', body: 'if ${1:condition} then ${2:a} else ${0:b}', doc: 'A bilinear gate: both branches must use the same linear variables.' },
    iter: { label: 'iter … { zero => … ; succ … => … }', body: 'iter ${1:n} { zero => ${2:base} ; succ ${3:y} => ${0:step} }', doc: 'Bounded iteration: a recurrent neuron, unrolled k-1 steps for a Nat[k] count.' },
    def: { label: 'def … : … = …', body: 'def ${1:name} (${2:x} : ${3:Bool}) : ${4:Bool} =\n  ${0}', doc: 'A named, closed definition.' },
    let: { label: 'let … = … in …', body: 'let ${1:x} = ${2:value} in ${0}', doc: 'Binds a linear variable: it must be used exactly once in the body.' },
    Nat: { label: 'Nat[k]', body: 'Nat[${1:10}]', doc: 'The numbers 0 … k-1 (dim k). Nat alone is Nat[10].' },
    Real: { label: 'Real[d1, …]', body: 'Real[${1:28}, ${2:28}]', doc: 'Opaque real tensors of that shape (images, embeddings), dim d1·…·dn.' }
};

/**
 * How well a candidate of type `type` fits where `expected` is wanted, as the first character
 * of its sort text: 0 of the expected type, 1 a function that gives it once applied (or a
 * construct of any type), 2 anything else. Without an expected type everything is 1.
 */
export function fitOf(type: CajalType | undefined, expected: CajalType | undefined): '0' | '1' | '2' {
    if (!expected) return '1';
    if (!type || containsError(type)) return '2';
    if (type.equals(expected)) return '0';
    return uncurry(type).result.equals(expected) ? '1' : '2';
}

/** The fit of a term keyword: literals and `succ` have their type, `fun` a function type, the other constructs any. */
function keywordFit(keyword: string, expected: CajalType | undefined): '0' | '1' | '2' {
    if (!expected) return '1';
    switch (keyword) {
        case 'true': case 'false': return expected.kind === 'bool' ? '0' : '2';
        case 'zero': case 'succ': return expected.kind === 'nat' ? '0' : '2';
        case 'fun': case 'λ': return expected.kind === 'function' ? '0' : '2';
        case 'if': case 'let': case 'iter': return '1';
        default: return '1';
    }
}

/**
 * Langium's grammar-driven completion with each name's type as its detail, and snippets for
 * the binding forms and the sized types. The grammar filters by position: after `:` only
 * types (`Bool`, `Nat`, `Nat[k]`, `Real[…]`), elsewhere terms. Terms of the type the context
 * expects (`expectedTypeAt`) come first, then functions that give it once applied and the
 * constructs of any type, then the rest; the definition being written is not offered (a
 * definition cannot refer to itself).
 */
export class CajalCompletionProvider extends DefaultCompletionProvider {
    constructor(private readonly cajal: CajalLspServices) {
        super(cajal);
    }

    /**
     * While a term is being typed its variable node may not exist yet (the completion
     * parser gives a detached one), so the binders in scope at the cursor are added here.
     */
    protected override getReferenceCandidates(refInfo: ReferenceInfo, context: CompletionContext): Stream<AstNodeDescription> {
        const enclosing = context.node && AstUtils.getContainerOfType(context.node, ast.isDefinition);
        // The definition being written (context.node may belong to a re-parse of the text, so by name and file).
        const candidates = super.getReferenceCandidates(refInfo, context)
            .filter(c => !(enclosing && c.name === enclosing.name && c.documentUri.toString() === context.document.uri.toString()));
        const container = refInfo.container;
        const attached = container.$container && AstUtils.streamContents(container.$container).some(child => child === container);
        if (attached || !context.node) return candidates;
        const binders = [...bindersAtCursor(context.node, context.offset), ...visibleBinders(context.node)];
        const seen = new Set<string>();
        const locals = binders.filter(binder => binder?.name && !seen.has(binder.name) && (seen.add(binder.name), true))
            .map(binder => this.cajal.workspace.AstNodeDescriptionProvider.createDescription(binder, binder.name));
        const shadowed = new Set(locals.map(l => l.name));
        return stream(locals).concat(candidates.filter(c => !shadowed.has(c.name)));
    }

    protected override createReferenceCompletionItem(description: AstNodeDescription, refInfo: ReferenceInfo, context: CompletionContext): CompletionValueItem {
        const item = super.createReferenceCompletionItem(description, refInfo, context);
        const node = description.node;
        let detail: string | undefined;
        let type: CajalType | undefined;
        if (ast.isDefinition(node) || ast.isExtern(node)) {
            ({ type, detail } = globalSignature(node));
            item.kind = ast.isExtern(node) ? CompletionItemKind.Interface : CompletionItemKind.Function;
        } else if (node && ast.isBinder(node)) {
            type = typeOfSafely(this.cajal.typing.TypeChecker, node);
            detail = isError(type) ? undefined : `${type}`;
            item.kind = CompletionItemKind.Variable;
        }
        if (detail) {
            item.detail = detail;
            item.labelDetails = { description: detail };
        }
        const local = node && ast.isBinder(node) ? '0' : '1';
        item.sortText = `${fitOf(type, this.expectedAt(context))}${local}`;
        return item;
    }

    /**
     * Langium's documentation provider reads JSDoc comments (`/** … *\/`), which Cajal has
     * not (its comments are `--` and `{- … -}`), so it never documents a candidate; but it
     * looked for the comment before each one with a scan of the root's children: with 4,000
     * globals, a quadratic part of every completion. Hover shows doc comments (docCommentOf).
     */
    protected override getReferenceDocumentation(): undefined {
        return undefined;
    }

    /** The text being completed and its document, for `backtrackToAnyToken` (set by `getCompletion`). */
    private completing: { text: string; document: LangiumDocument } | undefined;

    /**
     * The tokens around the cursor. Langium lexes the whole text for them (at 20,000 lines,
     * half of a completion); a declaration's keyword starts the lexer afresh (as it does the
     * parser, see completion-parse.ts), so lexing that declaration gives the same tokens there.
     */
    protected override backtrackToAnyToken(text: string, offset: number): ReturnType<DefaultCompletionProvider['backtrackToAnyToken']> {
        const completing = this.completing;
        const span = completing?.text === text
            ? declarationSpanAt(this.cajal.shared.workspace.LangiumDocuments, completing.document.textDocument, offset)
            : undefined;
        if (!span || offset > span.end) return super.backtrackToAnyToken(text, offset);
        const found = super.backtrackToAnyToken(text.slice(span.start, span.end), offset - span.start);
        const moved = (at: number | undefined) => at === undefined ? undefined : at + span.start;
        return {
            nextTokenStart: found.nextTokenStart + span.start,
            nextTokenEnd: found.nextTokenEnd + span.start,
            previousTokenStart: moved(found.previousTokenStart),
            previousTokenEnd: moved(found.previousTokenEnd)
        };
    }

    private expectation: { context: CompletionContext; type: CajalType | undefined } | undefined;

    /** The expected type at the completion's token, computed once per context. */
    private expectedAt(context: CompletionContext): CajalType | undefined {
        if (this.expectation?.context !== context) {
            this.expectation = { context, type: expectedTypeAt(context.document, context.tokenOffset, this.cajal.typing.TypeChecker) };
        }
        return this.expectation.type;
    }

    /**
     * Langium completes by re-parsing the text before the cursor; with hundreds of
     * constructs still open there (deeply nested input) the parser's error recovery takes
     * minutes. Then only the names in scope and the term keywords are offered.
     */
    override async getCompletion(document: LangiumDocument, params: CompletionParams, cancelToken?: CancellationToken): Promise<CompletionList | undefined> {
        const offset = document.textDocument.offsetAt(params.position);
        if (openConstructsBefore(document.textDocument.getText(), offset) <= MAX_UNCLOSED) {
            this.completing = { text: document.textDocument.getText(), document };
            try {
                return await super.getCompletion(document, params, cancelToken);
            } finally {
                this.completing = undefined;
            }
        }
        const items: CompletionItem[] = ['if', 'fun', 'let', 'iter', 'succ', 'zero', 'true', 'false'].map(keyword => ({ label: keyword, kind: CompletionItemKind.Keyword }));
        for (const description of this.cajal.references.ScopeProvider.globalDescriptions(document)) {
            const node = description.node;
            const detail = ast.isDefinition(node) || ast.isExtern(node) ? globalSignature(node).detail : undefined;
            items.push({ label: description.name, kind: ast.isExtern(node) ? CompletionItemKind.Interface : CompletionItemKind.Function, detail });
        }
        return { items, isIncomplete: false };
    }

    /** The grammar position at the cursor, parsing from the start of its declaration only (completion-parse.ts). */
    protected override findFeaturesAt(document: TextDocument, offset: number): NextFeature[] {
        const prefix = declarationPrefix(this.cajal.shared.workspace.LangiumDocuments, document, offset);
        return prefix ? super.findFeaturesAt(prefix.document, prefix.offset) : super.findFeaturesAt(document, offset);
    }

    protected override completionForKeyword(context: CompletionContext, keyword: GrammarAST.Keyword, acceptor: CompletionAcceptor): void {
        const fit = keywordFit(keyword.value, this.expectedAt(context));
        super.completionForKeyword(context, keyword, (ctx, value) => acceptor(ctx, { ...value, sortText: `${fit}1` }));
        const snippet = SNIPPETS[keyword.value];
        if (snippet) {
            acceptor(context, {
                label: snippet.label,
                filterText: keyword.value,
                kind: CompletionItemKind.Snippet,
                insertText: snippet.body,
                insertTextFormat: InsertTextFormat.Snippet,
                documentation: snippet.doc,
                detail: 'snippet',
                sortText: `${fit}2`
            });
        }
    }
}

/** A global's declared type and its text, by declaration node: a node's signature never changes (an edit of it re-parses it into a new node). */
const signatures = new WeakMap<ast.Definition | ast.Extern, { type: CajalType | undefined; detail: string | undefined }>();

function globalSignature(node: ast.Definition | ast.Extern): { type: CajalType | undefined; detail: string | undefined } {
    let signature = signatures.get(node);
    if (!signature) {
        try {
            const type = declaredType(node);
            signature = { type, detail: `${type}` };
        } catch {
            signature = { type: undefined, detail: undefined };
        }
        signatures.set(node, signature);
    }
    return signature;
}

/** Binders that `node` itself binds and whose scope the cursor is in (innermost last). */
function bindersAtCursor(node: AstNode, offset: number): ast.Binder[] {
    const after = (n: AstNode | undefined): boolean => n?.$cstNode !== undefined && n.$cstNode.end <= offset;
    if (ast.isLambda(node)) return after(node.binders[node.binders.length - 1]) ? [...node.binders].reverse() : [];
    if (ast.isDefinition(node)) return after(node.returnType) ? [...node.params].reverse() : [];
    if (ast.isLetTerm(node)) return after(node.value) ? [node.binder] : [];
    if (ast.isLetPairTerm(node)) return after(node.value) ? [node.second, node.first] : [];
    if (ast.isIter(node)) return after(node.stepBinder) ? [node.stepBinder] : [];
    return [];
}

/**
 * How deeply constructs nest (at most, and still open) before `offset` in its declaration: unclosed brackets, `if`s before
 * their `else`, and binders (`fun`, `λ`, `\\`, `let`) whose body extends to the cursor.
 * A rough token scan (comments and strings skipped), linear in the text.
 */
export function openConstructsBefore(text: string, offset: number): number {
    const prefix = text.slice(0, offset);
    const start = Math.max(0, ...['\ndef ', '\nextern ', '\ntrain '].map(k => prefix.lastIndexOf(k)));
    const body = prefix.slice(start).replace(/--[^\n]*/g, ' ').replace(/"(\\.|[^"\\\n])*"/g, ' ');
    let open = 0, deepest = 0;
    for (const match of body.matchAll(/[A-Za-z_][A-Za-z0-9_']*|[()[\]{}λ\\]/g)) {
        const token = match[0];
        if (token === '(' || token === '[' || token === '{' || token === 'if' || token === 'fun' || token === 'λ' || token === '\\' || token === 'let') deepest = Math.max(deepest, ++open);
        else if ((token === ')' || token === ']' || token === '}' || token === 'else') && open > 0) open--;
    }
    // Re-parsing a prefix that once nested very deeply is as slow as one still open.
    return Math.max(open, deepest);
}

/**
 * The type the context expects of a term starting at `offset`, read off the construct just
 * before it in the checked document: a definition's body (`=`), an `if`'s condition and
 * branches, a `fun`'s body, a `let`'s body, an iteration's parts, `succ`'s argument, a pair's
 * second part, an ascribed term, or the argument of a function term that ends there
 * (`and true ▮`). Undefined where nothing is known.
 */
export function expectedTypeAt(document: LangiumDocument, offset: number, typeChecker: { typeOf(node: AstNode): CajalType }): CajalType | undefined {
    const root = document.parseResult.value.$cstNode;
    if (!root) return undefined;
    const text = document.textDocument.getText();
    let before = offset - 1;
    while (before >= 0 && /\s/.test(text[before])) before--;
    if (before < 0) return undefined;
    const leaf = findLeafAt(root, before);
    if (!leaf || leaf.hidden || !leaf.astNode) return undefined;
    const node = leaf.astNode;
    const typeOf = (n: AstNode | undefined): CajalType | undefined => {
        if (!n) return undefined;
        const type = typeOfSafely(typeChecker, n);
        return containsError(type) ? undefined : type;
    };
    const known = (type: CajalType | undefined) => (type && !containsError(type) ? type : undefined);
    const keyword = leaf.text;
    if (ast.isDefinition(node) && keyword === '=') return known(dropArrows(declaredType(node), node.params.length));
    if (ast.isIfTerm(node)) return keyword === 'if' ? Bool : keyword === 'then' || keyword === 'else' ? typeOf(node) : undefined;
    if (ast.isLambda(node) && keyword === '=>') return known(dropArrows(typeOfSafely(typeChecker, node), node.binders.length));
    if ((ast.isLetTerm(node) || ast.isLetPairTerm(node)) && keyword === 'in') return typeOf(node);
    if (ast.isLetTerm(node) && keyword === '=' && node.binder.type) return known(typeFromSyntax(node.binder.type));
    if (ast.isIter(node) && keyword === '=>') return typeOf(node);
    if (ast.isSucc(node) && keyword === 'succ') return typeOf(node);
    if (ast.isPair(node) && keyword === ',') {
        const pair = typeOf(node);
        return pair?.kind === 'product' ? pair.right : undefined;
    }
    if (ast.isAscription(node) && keyword === '(') return known(typeFromSyntax(node.type));
    if (ast.isTerm(node) && leaf.end === node.$cstNode?.end) {
        // A term ends just before the cursor: what follows is its argument if it is a function.
        let term: AstNode = node;
        while (ast.isApplication(term.$container) && term.$container.$cstNode?.end === term.$cstNode?.end) term = term.$container;
        const type = typeOf(term);
        return type?.kind === 'function' ? type.domain : undefined;
    }
    return undefined;
}

function dropArrows(type: CajalType, count: number): CajalType | undefined {
    let rest = type;
    for (let i = 0; i < count; i++) {
        if (rest.kind !== 'function') return undefined;
        rest = rest.codomain;
    }
    return rest;
}

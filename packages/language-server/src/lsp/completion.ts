import { AstUtils, stream, type AstNode, type AstNodeDescription, type GrammarAST, type ReferenceInfo, type Stream } from 'langium';
import { DefaultCompletionProvider, type CompletionAcceptor, type CompletionContext, type CompletionValueItem, type NextFeature } from 'langium/lsp';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { CompletionItemKind, InsertTextFormat, type CancellationToken, type CompletionItem, type CompletionList, type CompletionParams } from 'vscode-languageserver';
import type { LangiumDocument } from 'langium';
import { ast, declaredType, isError, MAX_UNCLOSED, visibleBinders } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { typeOfSafely } from './syntax-queries.js';
import { declarationPrefix } from './completion-parse.js';

/** Snippets offered beside their keyword. */
const SNIPPETS: Record<string, { label: string; body: string; doc: string }> = {
    fun: { label: 'fun … => …', body: 'fun ${1:x} => ${0}', doc: 'A linear function: the binder must be used exactly once.' },
    if: { label: 'if … then … else …', body: 'if ${1:condition} then ${2:a} else ${0:b}', doc: 'A bilinear gate: both branches must use the same linear variables.' },
    iter: { label: 'iter … { zero => … ; succ … => … }', body: 'iter ${1:n} { zero => ${2:base} ; succ ${3:y} => ${0:step} }', doc: 'Bounded iteration: a recurrent neuron, unrolled k-1 steps for a Nat[k] count.' },
    def: { label: 'def … : … = …', body: 'def ${1:name} (${2:x} : ${3:Bool}) : ${4:Bool} =\n  ${0}', doc: 'A named, closed definition.' },
    let: { label: 'let … = … in …', body: 'let ${1:x} = ${2:value} in ${0}', doc: 'Binds a linear variable: it must be used exactly once in the body.' }
};

/**
 * Langium's grammar-driven completion (names in scope, keywords) with each name's type as
 * its detail, and snippets for the binding forms.
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
        const candidates = super.getReferenceCandidates(refInfo, context);
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
        if (ast.isDefinition(node) || ast.isExtern(node)) {
            try { detail = `${declaredType(node)}`; } catch { detail = undefined; }
            item.kind = ast.isExtern(node) ? CompletionItemKind.Interface : CompletionItemKind.Function;
        } else if (node && ast.isBinder(node)) {
            const type = typeOfSafely(this.cajal.typing.TypeChecker, node);
            detail = isError(type) ? undefined : `${type}`;
            item.kind = CompletionItemKind.Variable;
            item.sortText = '0'; // locals first
        }
        if (detail) {
            item.detail = detail;
            item.labelDetails = { description: detail };
        }
        if (!item.sortText || item.sortText === '0') item.sortText = ast.isBinder(node) ? '0' : '1';
        return item;
    }

    /**
     * Langium completes by re-parsing the text before the cursor; with hundreds of
     * constructs still open there (deeply nested input) the parser's error recovery takes
     * minutes. Then only the names in scope and the term keywords are offered.
     */
    override async getCompletion(document: LangiumDocument, params: CompletionParams, cancelToken?: CancellationToken): Promise<CompletionList | undefined> {
        const offset = document.textDocument.offsetAt(params.position);
        if (openConstructsBefore(document.textDocument.getText(), offset) <= MAX_UNCLOSED) {
            return super.getCompletion(document, params, cancelToken);
        }
        const items: CompletionItem[] = ['if', 'fun', 'let', 'iter', 'succ', 'zero', 'true', 'false'].map(keyword => ({ label: keyword, kind: CompletionItemKind.Keyword }));
        for (const description of this.cajal.references.ScopeProvider.globalDescriptions(document)) {
            const node = description.node;
            let detail: string | undefined;
            try { detail = ast.isDefinition(node) || ast.isExtern(node) ? `${declaredType(node)}` : undefined; } catch { detail = undefined; }
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
        super.completionForKeyword(context, keyword, acceptor);
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
                sortText: '2'
            });
        }
    }
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

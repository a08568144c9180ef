import { DocumentState, type AstNode, type CstNode, type LangiumDocument, type MaybePromise } from 'langium';
import { DefaultDocumentSymbolProvider } from 'langium/lsp';
import type { CancellationToken, DocumentSymbol, DocumentSymbolParams, Position, Range } from 'vscode-languageserver';
import { ast, declaredType, isError, leafStart } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { firstToken, rangeOf, typeOfSafely } from './syntax-queries.js';

/** The outline: the module's declarations with their types; a definition's parameters beneath it. */
export class CajalDocumentSymbolProvider extends DefaultDocumentSymbolProvider {
    /**
     * Each declaration's symbols and the position of its first token they were computed at.
     * They depend on its text alone (names, kinds, declared types), and the incremental parser
     * keeps a declaration an edit did not touch as the same node, only moved: after an edit
     * only the re-parsed declarations are read again, and a moved one's symbols are moved by
     * its anchor's move; its other positions are not read at all (reading one applies the
     * declaration's waiting shift, see `leafStart`).
     */
    private readonly declarationSymbols = new WeakMap<AstNode, { anchor: Position; symbols: DocumentSymbol[] }>();

    constructor(private readonly services: CajalLspServices) {
        super(services);
    }

    override getSymbols(document: LangiumDocument, params: DocumentSymbolParams, cancelToken?: CancellationToken): MaybePromise<DocumentSymbol[]> {
        const module = document.parseResult.value;
        // Before linking the details are missing, and must not be cached.
        if (!ast.isModule(module) || document.state < DocumentState.Linked) return super.getSymbols(document, params, cancelToken);
        return module.declarations.flatMap(declaration => {
            const first = declaration.$cstNode && firstToken(declaration.$cstNode);
            if (!first) return this.getSymbol(document, declaration);
            const anchor = leafStart(first);
            const cached = this.declarationSymbols.get(declaration);
            if (!cached) {
                const symbols = this.getSymbol(document, declaration);
                this.declarationSymbols.set(declaration, { anchor, symbols });
                return symbols;
            }
            if (cached.anchor.line !== anchor.line || cached.anchor.character !== anchor.character) {
                cached.symbols = cached.symbols.map(symbol => moved(symbol, cached.anchor, anchor));
                cached.anchor = anchor;
            }
            return cached.symbols;
        });
    }

    /** Langium's symbol, with the ranges read from the bounding leaves (`rangeOf`). */
    protected override createSymbol(document: LangiumDocument, node: AstNode, cstNode: CstNode, nameNode: CstNode, computedName?: string): DocumentSymbol {
        return {
            kind: this.nodeKindProvider.getSymbolKind(node),
            name: computedName || nameNode.text,
            range: rangeOf(cstNode),
            selectionRange: rangeOf(nameNode),
            children: this.getChildSymbols(document, node)
        };
    }

    protected override getSymbol(document: LangiumDocument, node: AstNode): DocumentSymbol[] {
        if (ast.isModule(node)) {
            return node.declarations.flatMap(declaration => this.getSymbol(document, declaration));
        }
        const symbols = super.getSymbol(document, node);
        // Types need linked references; typing an unlinked tree would also cache wrong results.
        if (document.state < DocumentState.Linked) return symbols;
        for (const symbol of symbols) {
            if (ast.isDefinition(node) || ast.isExtern(node)) {
                try {
                    symbol.detail = `${declaredType(node)}`;
                } catch {
                    // a half-parsed type: no detail
                }
            } else if (ast.isBinder(node)) {
                const type = typeOfSafely(this.services.typing.TypeChecker, node);
                if (!isError(type)) symbol.detail = `${type}`;
            } else if (ast.isTraining(node)) {
                symbol.detail = 'train';
            }
        }
        return symbols;
    }

    protected override getChildSymbols(document: LangiumDocument, node: AstNode): DocumentSymbol[] | undefined {
        if (ast.isDefinition(node)) {
            const children = node.params.flatMap(param => this.getSymbol(document, param));
            return children.length > 0 ? children : undefined;
        }
        return undefined;
    }
}

/**
 * A symbol moved with its declaration, whose first token was at `from` and is now at `to`:
 * lines by the lines it moved; columns on that token's line by the columns it moved.
 */
function moved(symbol: DocumentSymbol, from: Position, to: Position): DocumentSymbol {
    const position = (p: Position): Position => ({
        line: p.line - from.line + to.line,
        character: p.line === from.line ? p.character - from.character + to.character : p.character
    });
    const range = (r: Range): Range => ({ start: position(r.start), end: position(r.end) });
    return {
        ...symbol,
        range: range(symbol.range),
        selectionRange: range(symbol.selectionRange),
        children: symbol.children?.map(child => moved(child, from, to))
    };
}

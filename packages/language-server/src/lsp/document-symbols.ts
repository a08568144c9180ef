import { DocumentState, type AstNode, type LangiumDocument, type MaybePromise } from 'langium';
import { DefaultDocumentSymbolProvider } from 'langium/lsp';
import type { CancellationToken, DocumentSymbol, DocumentSymbolParams, Position, Range } from 'vscode-languageserver';
import { ast, declaredType, isError, leafStart } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { firstToken, typeOfSafely } from './syntax-queries.js';

/** The outline: the module's declarations with their types; a definition's parameters beneath it. */
export class CajalDocumentSymbolProvider extends DefaultDocumentSymbolProvider {
    /**
     * Each declaration's symbols, positions relative to its first token. They depend on its
     * text alone (names, kinds, declared types), and the incremental parser keeps a
     * declaration an edit did not touch as the same node, only moved: after an edit only the
     * re-parsed declarations are read again, and the others' positions are not read at all
     * (reading one applies the declaration's waiting shift, see `leafStart`).
     */
    private readonly declarationSymbols = new WeakMap<AstNode, DocumentSymbol[]>();

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
            let relative = this.declarationSymbols.get(declaration);
            if (!relative) {
                relative = this.getSymbol(document, declaration).map(symbol => moved(symbol, anchor, -1));
                this.declarationSymbols.set(declaration, relative);
            }
            return relative.map(symbol => moved(symbol, anchor, 1));
        });
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
 * A symbol with its positions made relative to `anchor` (direction -1: lines after the
 * anchor's, columns on the anchor's line after its column) or absolute again (+1).
 */
function moved(symbol: DocumentSymbol, anchor: Position, direction: 1 | -1): DocumentSymbol {
    const position = (p: Position): Position => {
        const line = direction === 1 ? anchor.line + p.line : p.line - anchor.line;
        const onAnchorLine = direction === 1 ? p.line === 0 : p.line === anchor.line;
        return { line, character: onAnchorLine ? p.character + direction * anchor.character : p.character };
    };
    const range = (r: Range): Range => ({ start: position(r.start), end: position(r.end) });
    return {
        ...symbol,
        range: range(symbol.range),
        selectionRange: range(symbol.selectionRange),
        children: symbol.children?.map(child => moved(child, anchor, direction))
    };
}

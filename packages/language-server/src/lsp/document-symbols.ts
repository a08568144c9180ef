import { DocumentState, type AstNode, type LangiumDocument } from 'langium';
import { DefaultDocumentSymbolProvider } from 'langium/lsp';
import type { DocumentSymbol } from 'vscode-languageserver';
import { ast, declaredType, isError } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { typeOfSafely } from './syntax-queries.js';

/** The outline: the module's declarations with their types; a definition's parameters beneath it. */
export class CajalDocumentSymbolProvider extends DefaultDocumentSymbolProvider {
    constructor(private readonly services: CajalLspServices) {
        super(services);
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

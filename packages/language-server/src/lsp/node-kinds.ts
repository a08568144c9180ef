import type { AstNode, AstNodeDescription } from 'langium';
import { DefaultNodeKindProvider } from 'langium/lsp';
import { CompletionItemKind, SymbolKind } from 'vscode-languageserver';

/** Symbol kinds by AST type, for outlines, workspace symbols and completion. */
export class CajalNodeKindProvider extends DefaultNodeKindProvider {
    override getSymbolKind(node: AstNode | AstNodeDescription): SymbolKind {
        switch (typeName(node)) {
            case 'Definition': return SymbolKind.Function;
            case 'Extern': return SymbolKind.Interface;
            case 'Training': return SymbolKind.Class;
            case 'Module': return SymbolKind.Module;
            case 'Binder': return SymbolKind.Variable;
            default: return super.getSymbolKind(node);
        }
    }

    override getCompletionItemKind(node: AstNode | AstNodeDescription): CompletionItemKind {
        switch (typeName(node)) {
            case 'Definition': return CompletionItemKind.Function;
            case 'Extern': return CompletionItemKind.Interface;
            case 'Module': return CompletionItemKind.Module;
            case 'Binder': return CompletionItemKind.Variable;
            default: return super.getCompletionItemKind(node);
        }
    }
}

function typeName(node: AstNode | AstNodeDescription): string {
    return '$type' in node ? node.$type : node.type;
}

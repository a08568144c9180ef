import { GrammarUtils, type AstNode } from 'langium';
import { AbstractInlayHintProvider, type InlayHintAcceptor } from 'langium/lsp';
import { InlayHintKind } from 'vscode-languageserver';
import { ast, containsError } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { typeOfSafely } from './syntax-queries.js';

/** `: Type` after every binder whose type was inferred rather than written. */
export class CajalInlayHintProvider extends AbstractInlayHintProvider {
    constructor(private readonly services: CajalLspServices) {
        super();
    }

    computeInlayHint(node: AstNode, acceptor: InlayHintAcceptor): void {
        if (!ast.isBinder(node) || node.type || !node.name) return;
        const type = typeOfSafely(this.services.typing.TypeChecker, node);
        if (containsError(type)) return;
        const name = GrammarUtils.findNodeForProperty(node.$cstNode, 'name');
        if (!name) return;
        acceptor({
            position: name.range.end,
            label: `: ${type}`,
            kind: InlayHintKind.Type,
            paddingLeft: false,
            tooltip: `'${node.name}' has the inferred type ${type}`
        });
    }
}

import type { AstNode } from 'langium';
import { DefaultFoldingRangeProvider } from 'langium/lsp';
import { ast } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';

/** Folds multi-line declarations, train blocks, `iter` bodies, `if`s, `let`s and comments. */
export class CajalFoldingRangeProvider extends DefaultFoldingRangeProvider {
    constructor(services: CajalLspServices) {
        super(services);
    }

    protected override shouldProcess(node: AstNode): boolean {
        return ast.isDeclaration(node) || ast.isIter(node) || ast.isIfTerm(node) || ast.isLetTerm(node) || ast.isLetPairTerm(node) || ast.isLambda(node);
    }
}

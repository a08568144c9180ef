import { DefaultNameProvider, type AstNode, type CstNode } from 'langium';
import { propertyNode } from '../syntax.js';

/**
 * Langium's name provider, finding a declaration's or binder's name without collecting all
 * of its CST nodes first (see `propertyNode`): the outline, references, rename and the
 * validator's name ranges ask it for every name in the file.
 */
export class CajalNameProvider extends DefaultNameProvider {
    override getNameNode(node: AstNode): CstNode | undefined {
        return propertyNode(node, 'name');
    }
}

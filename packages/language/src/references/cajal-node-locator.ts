import { AstUtils, DefaultAstNodeLocator, type AstNode } from 'langium';
import { astNodesOf } from '../syntax.js';

interface NodeNumbering {
    readonly nodes: AstNode[];
    readonly index: Map<AstNode, number>;
}

/**
 * Paths of AST nodes as the top-level node that holds them, in Langium's form
 * (`/declarations@12`), plus the node's position in a pre-order walk of that top-level
 * node (`/declarations@12#7`). Langium's default path (`/declarations@0/body/argument/…`)
 * grows with the node's depth: the reference index stores a path for every reference,
 * which for a term nested 10,000 deep made gigabytes of strings. Numbering within one
 * declaration (not the whole document) keeps paths valid when an edit re-parses only
 * another declaration (see incremental-parser.ts): a declaration's subtree never changes
 * once parsed, so its numbering is computed once, on first use.
 */
export class CajalAstNodeLocator extends DefaultAstNodeLocator {
    private readonly numberings = new WeakMap<AstNode, NodeNumbering>();

    override getAstNodePath(node: AstNode): string {
        const top = topLevelAncestor(node);
        if (top === undefined) {
            return '';
        }
        const topPath = super.getAstNodePath(top);
        return node === top ? topPath : `${topPath}#${this.numbering(top).index.get(node) ?? -1}`;
    }

    override getAstNode<T extends AstNode = AstNode>(node: AstNode, path: string): T | undefined {
        const hash = path.indexOf('#');
        if (hash < 0) {
            return super.getAstNode<T>(node, path);
        }
        const top = super.getAstNode(AstUtils.findRootNode(node), path.slice(0, hash));
        return top ? this.numbering(top).nodes[Number(path.slice(hash + 1))] as T | undefined : undefined;
    }

    private numbering(top: AstNode): NodeNumbering {
        let numbering = this.numberings.get(top);
        if (!numbering) {
            const nodes = astNodesOf(top);
            numbering = { nodes, index: new Map(nodes.map((node, i) => [node, i])) };
            this.numberings.set(top, numbering);
        }
        return numbering;
    }
}

/** The child of the root that contains `node` (itself if it is one); undefined for the root. */
function topLevelAncestor(node: AstNode): AstNode | undefined {
    let current = node;
    while (current.$container?.$container) {
        current = current.$container;
    }
    return current.$container ? current : undefined;
}

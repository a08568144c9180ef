import { AstUtils, DefaultAstNodeLocator, type AstNode } from 'langium';

interface NodeNumbering {
    readonly nodes: AstNode[];
    readonly index: Map<AstNode, number>;
}

/**
 * Paths of AST nodes as their position in a pre-order walk of the document (`#123`)
 * instead of Langium's default `/declarations@0/body/argument/…`, whose length grows with
 * the node's depth: the reference index stores a path for every reference, which for a
 * term nested 10,000 deep made gigabytes of strings. A document's numbering is computed
 * once per parse (AST nodes are immutable; a re-parse makes new ones).
 */
export class CajalAstNodeLocator extends DefaultAstNodeLocator {
    private readonly numberings = new WeakMap<AstNode, NodeNumbering>();

    override getAstNodePath(node: AstNode): string {
        const root = AstUtils.findRootNode(node);
        return `#${this.numbering(root).index.get(node) ?? -1}`;
    }

    override getAstNode<T extends AstNode = AstNode>(node: AstNode, path: string): T | undefined {
        if (!path.startsWith('#')) {
            return super.getAstNode<T>(node, path);
        }
        const position = Number(path.slice(1));
        return this.numbering(AstUtils.findRootNode(node)).nodes[position] as T | undefined;
    }

    private numbering(root: AstNode): NodeNumbering {
        let numbering = this.numberings.get(root);
        if (!numbering) {
            const nodes = AstUtils.streamAst(root).toArray();
            numbering = { nodes, index: new Map(nodes.map((node, i) => [node, i])) };
            this.numberings.set(root, numbering);
        }
        return numbering;
    }
}

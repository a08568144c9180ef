import { isCompositeCstNode, type CstNode, type RootCstNode } from 'langium';

interface LeafIndex {
    readonly text: string;
    /** Every leaf (hidden ones too), in text order. */
    readonly leaves: CstNode[];
}

const indexes = new WeakMap<CstNode, LeafIndex>();

/**
 * Langium's `CstUtils.findLeafNodeAtOffset` searches down the CST asking each composite
 * node for its offset and end, which Langium computes by walking down to its first and
 * last leaf: for a term nested 10,000 deep each lookup took seconds. This finds the leaf
 * by binary search in a list of all leaves, made once per text of the document (the
 * incremental parser changes the root's text on every edit).
 */
export function findLeafAt(root: CstNode, offset: number): CstNode | undefined {
    const leaves = leafIndex(root).leaves;
    let low = 0;
    let high = leaves.length - 1;
    while (low <= high) {
        const middle = (low + high) >> 1;
        const leaf = leaves[middle];
        if (leaf.offset > offset) high = middle - 1;
        else if (leaf.end <= offset) low = middle + 1;
        else return leaf;
    }
    return undefined;
}

/**
 * As Langium's `CstUtils.findDeclarationNodeAtOffset`: the leaf at the offset, or the one
 * just before it when the character there is not part of a name (the cursor after a word).
 */
export function findNameLeafAt(root: CstNode, offset: number, nameRegexp: RegExp): CstNode | undefined {
    if (offset > 0 && !nameRegexp.test((root as RootCstNode).fullText?.charAt(offset) ?? '')) {
        offset--;
    }
    return findLeafAt(root, offset);
}

function leafIndex(root: CstNode): LeafIndex {
    const text = (root as RootCstNode).fullText ?? '';
    let index = indexes.get(root);
    if (index === undefined || index.text !== text) {
        const leaves: CstNode[] = [];
        const stack: CstNode[] = [root];
        while (stack.length > 0) {
            const node = stack.pop()!;
            if (isCompositeCstNode(node)) {
                for (let i = node.content.length - 1; i >= 0; i--) stack.push(node.content[i]);
            } else {
                leaves.push(node);
            }
        }
        index = { text, leaves };
        indexes.set(root, index);
    }
    return index;
}

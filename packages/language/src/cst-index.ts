import { isCompositeCstNode, type CstNode, type RootCstNode } from 'langium';

/** Every leaf (hidden ones too) of a CST node, in text order. */
type Leaves = readonly CstNode[];

/**
 * Leaves by node: of a child of the root (a declaration, or a comment between them), whose
 * subtree never changes once parsed (an edit re-parses it into new nodes), or of the root
 * itself for texts the incremental parser did not make.
 */
const leafLists = new WeakMap<CstNode, { text: string | undefined; leaves: Leaves }>();

/**
 * Langium's `CstUtils.findLeafNodeAtOffset` searches down the CST asking each composite
 * node for its offset and end, which Langium computes by walking down to its first and
 * last leaf: for a term nested 10,000 deep each lookup took seconds. This finds the leaf
 * by binary search: over the root's children by their first leaf, then over the leaves of
 * the child found, each list made once per child (an edit replaces only the children it
 * re-parsed, so a lookup after it costs the size of one declaration, not of the file; and
 * it reads the positions of a few children only, see langium-internals.ts).
 */
export function findLeafAt(root: CstNode, offset: number): CstNode | undefined {
    if (!isCompositeCstNode(root)) return leafAt([root], offset);
    const children = root.content;
    let low = 0;
    let high = children.length - 1;
    let found = -1;
    while (low <= high) {
        const middle = (low + high) >> 1;
        const first = leavesOf(children[middle], undefined)[0];
        if (!first) return leafAt(leavesOf(root, (root as RootCstNode).fullText ?? ''), offset); // an empty child: no order to search by
        if (first.offset <= offset) { found = middle; low = middle + 1; } else high = middle - 1;
    }
    return found < 0 ? undefined : leafAt(leavesOf(children[found], undefined), offset);
}

function leafAt(leaves: Leaves, offset: number): CstNode | undefined {
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

/** The leaves of a node, made once (for the root: once per `text`, as its children change). */
function leavesOf(node: CstNode, text: string | undefined): Leaves {
    let entry = leafLists.get(node);
    if (entry === undefined || entry.text !== text) {
        const leaves: CstNode[] = [];
        const stack: CstNode[] = [node];
        while (stack.length > 0) {
            const current = stack.pop()!;
            if (isCompositeCstNode(current)) {
                for (let i = current.content.length - 1; i >= 0; i--) stack.push(current.content[i]);
            } else {
                leaves.push(current);
            }
        }
        entry = { text, leaves };
        leafLists.set(node, entry);
    }
    return entry.leaves;
}

import { AstUtils, CstUtils, GrammarAST, isAstNode, isCompositeCstNode, isReference, type AstNode, type CstNode, type ReferenceInfo } from 'langium';
import type { Range } from 'vscode-languageserver';
import * as ast from './generated/ast.js';

/**
 * Calls `visit` on every AST node of `root`'s subtree, `root` first, in the order of Langium's
 * `AstUtils.streamAst` (pre-order, properties in key order, arrays in order): the same
 * nodes without its lazy stream machinery, whose per-node iterator objects and closures
 * made these walks a large part of linking and size analysis (linking 100,000 lines: about
 * 1.5 s of CPU time before, 1.0 s after, on a loaded machine).
 * Iterative, so deep terms cost no stack.
 */
export function forEachAstNode(root: AstNode, visit: (node: AstNode) => void): void {
    const stack: AstNode[] = [root];
    const children: AstNode[] = [];
    while (stack.length > 0) {
        const node = stack.pop()!;
        visit(node);
        // Keys visited in place (an AST node is a plain object: `for…in` gives its own keys, in Object.keys order).
        for (const key in node) {
            if (key.charCodeAt(0) === 36 /* $ */) continue;
            const value = (node as unknown as Record<string, unknown>)[key];
            if (isAstNode(value)) children.push(value);
            else if (Array.isArray(value)) {
                for (let i = 0; i < value.length; i++) if (isAstNode(value[i])) children.push(value[i] as AstNode);
            }
        }
        // Pushed last child first, so the first child is visited next.
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
        children.length = 0;
    }
}

/** Every AST node of `root`'s subtree, in the order of {@link forEachAstNode}. */
export function astNodesOf(root: AstNode): AstNode[] {
    const nodes: AstNode[] = [];
    forEachAstNode(root, node => nodes.push(node));
    return nodes;
}

/** The cross-references a node holds, as Langium's `AstUtils.streamReferences` gives them, as an array. */
export function referencesOf(node: AstNode): ReferenceInfo[] {
    const references: ReferenceInfo[] = [];
    pushReferences(node, references);
    return references;
}

/**
 * The cross-references of every node of `root`'s subtree: `astNodesOf(root).flatMap(referencesOf)`
 * in one array, without an array per node (linking walks every declaration so).
 */
export function referencesIn(root: AstNode): ReferenceInfo[] {
    const references: ReferenceInfo[] = [];
    forEachAstNode(root, node => pushReferences(node, references));
    return references;
}

function pushReferences(node: AstNode, references: ReferenceInfo[]): void {
    for (const key in node) {
        if (key.charCodeAt(0) === 36 /* $ */) continue;
        const value = (node as unknown as Record<string, unknown>)[key];
        if (isReference(value)) references.push({ reference: value, container: node, property: key });
        else if (Array.isArray(value)) {
            for (let index = 0; index < value.length; index++) {
                const element: unknown = value[index];
                if (isReference(element)) references.push({ reference: element, container: node, property: key, index });
            }
        }
    }
}

/**
 * `f a1 … an` parses as nested applications `((f a1) …) an`. The spine gives the head `f`
 * and the arguments in order, found iteratively so that very long spines cost no stack.
 */
export function applicationSpine(term: ast.Application): { head: ast.Term; args: ast.Term[] } {
    const args: ast.Term[] = [];
    let current: ast.Term = term;
    while (ast.isApplication(current)) {
        args.push(current.argument);
        current = current.function;
    }
    args.reverse();
    return { head: current, args };
}

/** The binder a variable refers to, if it is a local (linear) variable. */
export function referencedBinder(term: ast.Var): ast.Binder | undefined {
    const target = term.ref?.ref;
    return ast.isBinder(target) ? target : undefined;
}

const assignedProperties = new WeakMap<GrammarAST.AbstractElement, string | undefined>();

/**
 * The property a grammar element assigns to: the feature of the assignment it is in (the
 * `name` of `name=ID`), or undefined. Cached per element: Langium's lookups walk up the
 * grammar from each CST node, with a reflection check per step.
 */
export function assignedProperty(element: GrammarAST.AbstractElement): string | undefined {
    if (assignedProperties.has(element)) return assignedProperties.get(element);
    const property = AstUtils.getContainerOfType(element, GrammarAST.isAssignment)?.feature;
    assignedProperties.set(element, property);
    return property;
}

/**
 * The first CST node that gives `node` its `property`: what Langium's
 * `GrammarUtils.findNodeForProperty(node.$cstNode, property)` finds, looked for in text order
 * among the node's own CST nodes and stopping at the first (Langium collects every match of
 * the whole node first; the outline asking each of 12,000 names took 0.1 s at 20,000 lines).
 */
export function propertyNode(node: AstNode, property: string): CstNode | undefined {
    const cst = node.$cstNode;
    if (!cst || !isCompositeCstNode(cst)) return undefined;
    const owner = cst.astNode;
    const stack: CstNode[] = [];
    for (let i = cst.content.length - 1; i >= 0; i--) stack.push(cst.content[i]);
    while (stack.length > 0) {
        const current = stack.pop()!;
        if (current.grammarSource && assignedProperty(current.grammarSource) === property) return current;
        if (isCompositeCstNode(current) && current.astNode === owner) {
            for (let i = current.content.length - 1; i >= 0; i--) stack.push(current.content[i]);
        }
    }
    return undefined;
}

/** Data fields of a `train` block are inputs, usable any number of times; all other binders are linear. */
export function isLinearBinder(binder: ast.Binder): boolean {
    return !ast.isFieldGroup(binder.$container);
}

/**
 * The source range of a term without the parentheses that group it. Langium gives a
 * parenthesised term the range of its parentheses, and the first part of a pair or an
 * ascription the range from the opening `(`; diagnostics and hovers should point at the
 * term itself. A `(` is dropped when its `)` closes the range or lies outside it.
 */
export function termRange(node: AstNode): Range | undefined {
    const cst = node.$cstNode;
    if (!cst) return undefined;
    if (ast.isPair(node) || ast.isAscription(node)) return cst.range;
    const leaves = CstUtils.flattenCst(cst).filter(leaf => !leaf.hidden).toArray();
    // A leaf's `text` walks up to the CST root each time; read the characters directly.
    const text = cst.root.fullText;
    const symbols = leaves.map(leaf => leaf.length === 1 ? text[leaf.offset] : '');
    // The matching `)` of every `(` within the range, found in one pass.
    const matching = new Array<number>(leaves.length).fill(-1);
    const open: number[] = [];
    symbols.forEach((symbol, i) => {
        if (symbol === '(') open.push(i);
        else if (symbol === ')' && open.length > 0) matching[open.pop()!] = i;
    });
    let first = 0, last = leaves.length - 1;
    while (first < last && symbols[first] === '(') {
        const match = matching[first];
        if (match === -1 || match > last) first++;
        else if (match === last) { first++; last--; }
        else break;
    }
    if (first > last) return cst.range;
    return { start: leaves[first].range.start, end: leaves[last].range.end };
}

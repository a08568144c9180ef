import { CstUtils, type AstNode } from 'langium';
import type { Range } from 'vscode-languageserver';
import * as ast from './generated/ast.js';

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

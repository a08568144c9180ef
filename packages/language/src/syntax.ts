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

/** The name a reference is written with, even when it did not resolve. */
export function referenceName(term: ast.Var): string {
    return term.ref?.$refText ?? '';
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

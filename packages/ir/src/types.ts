/**
 * Cajal types as plain data, and the vector space each denotes (spec §7): its dimension,
 * tensor shape and basis labels. The compiler writes these descriptions into programs and
 * generated modules; the runtimes read them back. Structural, so the type checker's
 * `CajalType` satisfies `TypeShape` without this package depending on the language.
 */

/** A Cajal type as the compiled program and the runtimes see it. */
export type TypeDesc =
    | { readonly kind: 'bool' }
    | { readonly kind: 'nat'; readonly bound: number }
    | { readonly kind: 'real'; readonly dims: readonly number[] }
    | { readonly kind: 'function'; readonly domain: TypeDesc; readonly codomain: TypeDesc }
    | { readonly kind: 'product'; readonly left: TypeDesc; readonly right: TypeDesc };

/**
 * A type as the type checker holds it: a `TypeDesc` any part of which may be `error`, a type
 * that could not be determined (and was reported once already). The arithmetic below accepts
 * it so the checker needs no copy of it: an unknown part has dimension 0, shape [], no basis
 * labels, prints as `?`, and is neither discrete nor enumerable.
 */
export type TypeShape =
    | { readonly kind: 'bool' }
    | { readonly kind: 'nat'; readonly bound: number }
    | { readonly kind: 'real'; readonly dims: readonly number[] }
    | { readonly kind: 'function'; readonly domain: TypeShape; readonly codomain: TypeShape }
    | { readonly kind: 'product'; readonly left: TypeShape; readonly right: TypeShape }
    | { readonly kind: 'error' };

/** `Nat` without a bound means `Nat[10]`, the papers' bound. */
export const DEFAULT_NAT_BOUND = 10;

/** Dimension of the type's vector space: Bool 2, Nat[k] k, Real the product of its dims, A -o B and A * B dim A · dim B. */
export function dimOf(type: TypeShape): number {
    switch (type.kind) {
        case 'bool': return 2;
        case 'nat': return type.bound;
        case 'real': return type.dims.reduce((a, b) => a * b, 1);
        case 'function': return dimOf(type.domain) * dimOf(type.codomain);
        case 'product': return dimOf(type.left) * dimOf(type.right);
        case 'error': return 0;
    }
}

/** Shape of one value (without the batch axis): functions are [dim B, dim A] matrices, pairs [dim A, dim B]. */
export function shapeOf(type: TypeShape): number[] {
    switch (type.kind) {
        case 'bool': return [2];
        case 'nat': return [type.bound];
        case 'real': return [...type.dims];
        case 'function': return [dimOf(type.codomain), dimOf(type.domain)];
        case 'product': return [dimOf(type.left), dimOf(type.right)];
        case 'error': return [];
    }
}

/**
 * True when each basis vector of the type is a value — Bool, Nat and pairs of them — so a
 * vector of it decodes by argmax and trains with cross-entropy against one-hot targets.
 * Not functions: a function value is a matrix of such columns, not one basis vector of
 * dim A · dim B (docs/training.md: a discrete model is "Bool, Nat, pairs of them").
 */
export function isDiscrete(type: TypeShape): boolean {
    switch (type.kind) {
        case 'bool': case 'nat': return true;
        case 'product': return isDiscrete(type.left) && isDiscrete(type.right);
        case 'real': case 'function': case 'error': return false;
    }
}

/**
 * True when the type has no Real (and no unknown part) inside: its values, functions
 * included, are finitely many tables the interpreter can enumerate and print.
 */
export function isEnumerable(type: TypeShape): boolean {
    switch (type.kind) {
        case 'bool': case 'nat': return true;
        case 'function': return isEnumerable(type.domain) && isEnumerable(type.codomain);
        case 'product': return isEnumerable(type.left) && isEnumerable(type.right);
        case 'real': case 'error': return false;
    }
}

/**
 * Labels of the basis vectors in flat (row-major) order: Bool `true`, `false`; Nat `0` … `k-1`;
 * pairs `(a, b)`; function entries `a↦b` (entry b·dim A + a of the [dim B, dim A] matrix).
 * Real components are labelled by their index into the Real's shape, e.g. `[3, 4]` — brackets,
 * so a Real component is never mistaken for a Nat value inside a pair or a function.
 */
export function basisLabels(type: TypeShape): string[] {
    switch (type.kind) {
        case 'bool': return ['true', 'false'];
        case 'nat': return Array.from({ length: type.bound }, (_, i) => String(i));
        case 'real': return realIndexLabels(type.dims);
        case 'product': {
            const left = basisLabels(type.left);
            const right = basisLabels(type.right);
            return left.flatMap(a => right.map(b => `(${a}, ${b})`));
        }
        case 'function': {
            const domain = basisLabels(type.domain);
            const codomain = basisLabels(type.codomain);
            return codomain.flatMap(b => domain.map(a => `${a}↦${b}`));
        }
        case 'error': return [];
    }
}

function realIndexLabels(dims: readonly number[]): string[] {
    let labels: number[][] = [[]];
    for (const d of dims) {
        labels = labels.flatMap(prefix => Array.from({ length: d }, (_, i) => [...prefix, i]));
    }
    return labels.map(index => `[${index.join(', ')}]`);
}

/** Cajal syntax for the type, e.g. `Nat -o Bool`, `(Bool -o Bool) -o Bool`, `Bool * Nat[3]`; `?` for an unknown part. */
export function typeToString(type: TypeShape): string {
    switch (type.kind) {
        case 'bool': return 'Bool';
        case 'nat': return type.bound === DEFAULT_NAT_BOUND ? 'Nat' : `Nat[${type.bound}]`;
        case 'real': return `Real[${type.dims.join(', ')}]`;
        case 'function': {
            // -o is right-associative, so only a function domain needs parentheses.
            const domain = type.domain.kind === 'function' ? `(${typeToString(type.domain)})` : typeToString(type.domain);
            return `${domain} -o ${typeToString(type.codomain)}`;
        }
        case 'product': {
            // * binds tighter than -o and associates to the left.
            const left = type.left.kind === 'function' ? `(${typeToString(type.left)})` : typeToString(type.left);
            const right = type.right.kind === 'function' || type.right.kind === 'product'
                ? `(${typeToString(type.right)})` : typeToString(type.right);
            return `${left} * ${right}`;
        }
        case 'error': return '?';
    }
}

/** Checks a TypeDesc built by hand (e.g. from JSON metadata); throws an error naming the bad part. */
export function validateType(type: TypeDesc, where = 'type'): void {
    switch (type.kind) {
        case 'bool': return;
        case 'nat':
            if (!Number.isInteger(type.bound) || type.bound < 1) {
                throw new Error(`${where}: Nat bound must be an integer ≥ 1, got ${type.bound}`);
            }
            return;
        case 'real':
            if (type.dims.length === 0 || !type.dims.every(d => Number.isInteger(d) && d >= 1)) {
                throw new Error(`${where}: Real dims must be integers ≥ 1, got [${type.dims.join(', ')}]`);
            }
            return;
        case 'function':
            validateType(type.domain, `${where} (domain)`);
            validateType(type.codomain, `${where} (codomain)`);
            return;
        case 'product':
            validateType(type.left, `${where} (left)`);
            validateType(type.right, `${where} (right)`);
            return;
        default:
            throw new Error(`${where}: unknown type kind '${(type as { kind: unknown }).kind}'`);
    }
}

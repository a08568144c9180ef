/**
 * Cajal types as plain run-time descriptions (structural, so `CajalType` from
 * @cajal/language satisfies it without this package depending on it), and the vector
 * space each type denotes: its dimension, tensor shape and basis labels (spec section 7).
 */

export type TypeDesc =
    | { readonly kind: 'bool' }
    | { readonly kind: 'nat'; readonly bound: number }
    | { readonly kind: 'real'; readonly dims: readonly number[] }
    | { readonly kind: 'function'; readonly domain: TypeDesc; readonly codomain: TypeDesc }
    | { readonly kind: 'product'; readonly left: TypeDesc; readonly right: TypeDesc };

/** `Nat` without a bound means `Nat[10]`, the papers' bound. */
export const DEFAULT_NAT_BOUND = 10;

/** Dimension of the type's vector space: Bool 2, Nat[k] k, Real the product of its dims, A -o B and A * B dim A · dim B. */
export function dimOf(type: TypeDesc): number {
    switch (type.kind) {
        case 'bool': return 2;
        case 'nat': return type.bound;
        case 'real': return type.dims.reduce((a, b) => a * b, 1);
        case 'function': return dimOf(type.domain) * dimOf(type.codomain);
        case 'product': return dimOf(type.left) * dimOf(type.right);
    }
}

/** Shape of one value (without the batch axis): functions are [dim B, dim A] matrices, pairs [dim A, dim B]. */
export function shapeOf(type: TypeDesc): number[] {
    switch (type.kind) {
        case 'bool': return [2];
        case 'nat': return [type.bound];
        case 'real': return [...type.dims];
        case 'function': return [dimOf(type.codomain), dimOf(type.domain)];
        case 'product': return [dimOf(type.left), dimOf(type.right)];
    }
}

/** True when the type's basis vectors are values (Bool, Nat and pairs of them), so argmax decoding makes sense. */
export function isDiscrete(type: TypeDesc): boolean {
    switch (type.kind) {
        case 'bool': case 'nat': return true;
        case 'product': return isDiscrete(type.left) && isDiscrete(type.right);
        default: return false;
    }
}

/**
 * Labels of the basis vectors in flat (row-major) order: Bool 'true','false'; Nat '0'..'k-1';
 * pairs '(a, b)'; function entries 'a↦b' (entry b*dimA + a of the [dim B, dim A] matrix).
 * Real components are labelled by their index, e.g. '[3, 4]'.
 */
export function basisLabels(type: TypeDesc): string[] {
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
    }
}

function realIndexLabels(dims: readonly number[]): string[] {
    let labels: number[][] = [[]];
    for (const d of dims) {
        labels = labels.flatMap(prefix => Array.from({ length: d }, (_, i) => [...prefix, i]));
    }
    return labels.map(index => `[${index.join(', ')}]`);
}

/** Cajal syntax for the type, e.g. `Nat -o Bool`, `(Bool -o Bool) -o Bool`, `Bool * Nat[3]`. */
export function typeToString(type: TypeDesc): string {
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

/**
 * Cajal types as immutable values. Every type is a finite-dimensional vector space
 * (spec section 7); `dim` and `shape` give its size and tensor layout.
 */

export type CajalType = BoolT | NatT | RealT | FunctionT | ProductT | ErrorT;

interface TypeBase {
    readonly kind: string;
    equals(other: CajalType): boolean;
    toString(): string;
}

/** Nat's default bound: `Nat` is `Nat[10]`, the papers' bound. */
export const DEFAULT_NAT_BOUND = 10;

export class BoolT implements TypeBase {
    readonly kind = 'bool';
    equals(other: CajalType): boolean { return other.kind === 'bool'; }
    toString(): string { return 'Bool'; }
}

export class NatT implements TypeBase {
    readonly kind = 'nat';
    constructor(readonly bound: number) { }
    equals(other: CajalType): boolean { return other.kind === 'nat' && other.bound === this.bound; }
    toString(): string { return this.bound === DEFAULT_NAT_BOUND ? 'Nat' : `Nat[${this.bound}]`; }
}

export class RealT implements TypeBase {
    readonly kind = 'real';
    constructor(readonly dims: readonly number[]) { }
    equals(other: CajalType): boolean {
        return other.kind === 'real' && other.dims.length === this.dims.length && other.dims.every((d, i) => d === this.dims[i]);
    }
    toString(): string { return `Real[${this.dims.join(', ')}]`; }
}

export class FunctionT implements TypeBase {
    readonly kind = 'function';
    constructor(readonly domain: CajalType, readonly codomain: CajalType) { }
    equals(other: CajalType): boolean {
        return other.kind === 'function' && this.domain.equals(other.domain) && this.codomain.equals(other.codomain);
    }
    toString(): string {
        const domain = this.domain.kind === 'function' ? `(${this.domain})` : this.domain.toString();
        return `${domain} -o ${this.codomain}`;
    }
}

export class ProductT implements TypeBase {
    readonly kind = 'product';
    constructor(readonly left: CajalType, readonly right: CajalType) { }
    equals(other: CajalType): boolean {
        return other.kind === 'product' && this.left.equals(other.left) && this.right.equals(other.right);
    }
    toString(): string {
        // `*` binds tighter than `-o` and associates to the left.
        const left = this.left.kind === 'function' ? `(${this.left})` : this.left.toString();
        const right = this.right.kind === 'function' || this.right.kind === 'product' ? `(${this.right})` : this.right.toString();
        return `${left} * ${right}`;
    }
}

/** The type of a term whose type could not be determined; it has been reported once already. */
export class ErrorT implements TypeBase {
    readonly kind = 'error';
    equals(other: CajalType): boolean { return other.kind === 'error'; }
    toString(): string { return '?'; }
}

export const Bool = new BoolT();
export const Nat = new NatT(DEFAULT_NAT_BOUND);
export const ErrorType = new ErrorT();
export const natOf = (bound: number): NatT => bound === DEFAULT_NAT_BOUND ? Nat : new NatT(bound);
export const fn = (domain: CajalType, codomain: CajalType): FunctionT => new FunctionT(domain, codomain);
export const fnN = (params: readonly CajalType[], result: CajalType): CajalType => params.reduceRight<CajalType>((acc, p) => fn(p, acc), result);
export const product = (left: CajalType, right: CajalType): ProductT => new ProductT(left, right);

export function isError(type: CajalType): type is ErrorT { return type.kind === 'error'; }

/** True when the type or any part of it is the error type. */
export function containsError(type: CajalType): boolean {
    switch (type.kind) {
        case 'error': return true;
        case 'function': return containsError(type.domain) || containsError(type.codomain);
        case 'product': return containsError(type.left) || containsError(type.right);
        default: return false;
    }
}

/** Dimension of the type's vector space (spec section 7). Real dims multiply. */
export function dim(type: CajalType): number {
    switch (type.kind) {
        case 'bool': return 2;
        case 'nat': return type.bound;
        case 'real': return type.dims.reduce((a, b) => a * b, 1);
        case 'function': return dim(type.domain) * dim(type.codomain);
        case 'product': return dim(type.left) * dim(type.right);
        case 'error': return 0;
    }
}

/** Tensor shape of a value of the type: functions are [dim B, dim A] matrices, pairs [dim A, dim B]. */
export function shape(type: CajalType): number[] {
    switch (type.kind) {
        case 'bool': return [2];
        case 'nat': return [type.bound];
        case 'real': return [...type.dims];
        case 'function': return [dim(type.codomain), dim(type.domain)];
        case 'product': return [dim(type.left), dim(type.right)];
        case 'error': return [];
    }
}

/** True when the type has a finite basis the interpreter can enumerate (no Real inside). */
export function isDiscrete(type: CajalType): boolean {
    switch (type.kind) {
        case 'bool': case 'nat': return true;
        case 'real': case 'error': return false;
        case 'function': return isDiscrete(type.domain) && isDiscrete(type.codomain);
        case 'product': return isDiscrete(type.left) && isDiscrete(type.right);
    }
}

/**
 * Human-readable labels of the basis vectors of a first-order type: `true`/`false`,
 * `0…k-1`, `(a, b)` for pairs, and `f[i]` / `i` indices where no natural name exists.
 */
export function basisLabels(type: CajalType): string[] {
    switch (type.kind) {
        case 'bool': return ['true', 'false'];
        case 'nat': return Array.from({ length: type.bound }, (_, i) => String(i));
        case 'product': {
            const left = basisLabels(type.left), right = basisLabels(type.right);
            return left.flatMap(l => right.map(r => `(${l}, ${r})`));
        }
        case 'function': {
            // Row-major [dim B, dim A]: entry (b, a) means "a ↦ b".
            const domain = basisLabels(type.domain), codomain = basisLabels(type.codomain);
            return codomain.flatMap(b => domain.map(a => `${a}↦${b}`));
        }
        case 'real': return Array.from({ length: dim(type) }, (_, i) => String(i));
        case 'error': return [];
    }
}

/** Splits `A1 -o … -o An -o B` into its parameter types and result. */
export function uncurry(type: CajalType): { params: CajalType[]; result: CajalType } {
    const params: CajalType[] = [];
    let current = type;
    while (current.kind === 'function') {
        params.push(current.domain);
        current = current.codomain;
    }
    return { params, result: current };
}

/**
 * Cajal types as immutable values. Every type is a finite-dimensional vector space
 * (spec section 7); `dim` and `shape` give its size and tensor layout.
 */
import { DEFAULT_NAT_BOUND, typeToString } from '@cajal/ir';

export type CajalType = BoolT | NatT | RealT | FunctionT | ProductT | ErrorT;

interface TypeBase {
    readonly kind: string;
    equals(other: CajalType): boolean;
    toString(): string;
}

export { DEFAULT_NAT_BOUND };

export class BoolT implements TypeBase {
    readonly kind = 'bool';
    equals(other: CajalType): boolean { return other.kind === 'bool'; }
    toString(): string { return typeToString(this); }
}

export class NatT implements TypeBase {
    readonly kind = 'nat';
    constructor(readonly bound: number) { }
    equals(other: CajalType): boolean { return other.kind === 'nat' && other.bound === this.bound; }
    toString(): string { return typeToString(this); }
}

export class RealT implements TypeBase {
    readonly kind = 'real';
    constructor(readonly dims: readonly number[]) { }
    equals(other: CajalType): boolean {
        return other.kind === 'real' && other.dims.length === this.dims.length && other.dims.every((d, i) => d === this.dims[i]);
    }
    toString(): string { return typeToString(this); }
}

export class FunctionT implements TypeBase {
    readonly kind = 'function';
    constructor(readonly domain: CajalType, readonly codomain: CajalType) { }
    equals(other: CajalType): boolean {
        return other.kind === 'function' && this.domain.equals(other.domain) && this.codomain.equals(other.codomain);
    }
    toString(): string { return typeToString(this); }
}

export class ProductT implements TypeBase {
    readonly kind = 'product';
    constructor(readonly left: CajalType, readonly right: CajalType) { }
    equals(other: CajalType): boolean {
        return other.kind === 'product' && this.left.equals(other.left) && this.right.equals(other.right);
    }
    toString(): string { return typeToString(this); }
}

/** The type of a term whose type could not be determined; it has been reported once already. */
export class ErrorT implements TypeBase {
    readonly kind = 'error';
    equals(other: CajalType): boolean { return other.kind === 'error'; }
    toString(): string { return typeToString(this); }
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

/**
 * The vector space of each type — dimension, tensor shape, basis labels, discreteness
 * (spec §7) — is the tensor contract's, written once in @cajal/ir; `CajalType` is its
 * `TypeShape`, the error type being an unknown part (dimension 0, no labels).
 */
export { basisLabels, dimOf as dim, isDiscrete, isEnumerable, shapeOf as shape } from '@cajal/ir';

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

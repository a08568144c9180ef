/**
 * Size analysis (docs/diagnostics.md, `size/too-large`). Every Cajal value is a tensor whose
 * size its type fixes (spec §7: `dim`): a function is a [dim B, dim A] matrix, a pair a
 * [dim A, dim B] tensor. So before anything is allocated, the types say how large every
 * tensor of a declaration is: its written types, its binders and terms, and a definition's
 * own matrix. A declaration with a tensor above the limit is an error, so no command
 * compiles, runs or trains it, and nothing tries to allocate what cannot fit.
 */
import type { AstNode } from 'langium';
import * as ast from '../generated/ast.js';
import { Codes, type CheckProblem } from '../problems.js';
import { declaredType, typeFromSyntax, type CajalTypeChecker, type DeclarationTyping } from './type-checker.js';
import { astNodesOf } from '../syntax.js';
import { ErrorType, containsError, dim, fn, product, shape, type CajalType } from './types.js';

/**
 * The default largest tensor, in entries: 2^26 = 67,108,864, 256 MB as float32. Values are
 * held per batch element, and folding works in float64, so a tensor at the limit already
 * costs gigabytes in a batch; `--max-tensor` and the `cajal.maxTensor` setting raise it.
 */
export const DEFAULT_MAX_TENSOR_ENTRIES = 2 ** 26;

/** Compiled programs hold float32 tensors (TensorFlow.js). */
const BYTES_PER_ENTRY = 4;

/** `67,108,864`, or `1.0 × 10^18` where the count is beyond exact integers. */
export function formatEntries(entries: number): string {
    if (!Number.isFinite(entries)) return 'more than 10^308';
    if (Number.isSafeInteger(entries)) return entries.toLocaleString('en-US');
    const [mantissa, exponent] = entries.toExponential(1).split('e');
    return `${mantissa} × 10^${Number(exponent)}`;
}

/** `256 MB`, `4 EB` (powers of 1000). */
export function formatBytes(bytes: number): string {
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
    let value = bytes, unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
        value /= 1000;
        unit++;
    }
    if (value >= 1000) return `${formatEntries(bytes)} bytes`;
    const rounded = value >= 100 || unit === 0 ? Math.round(value).toString() : value.toPrecision(2).replace(/\.0$/, '');
    return `${rounded} ${units[unit]}`;
}

/** `a [1000, 1000] matrix: 1,000,000 entries, 4 MB as float32`. */
export function describeTensor(type: CajalType): string {
    const dims = shape(type);
    const kind = type.kind === 'function' ? 'matrix' : dims.length > 1 ? 'tensor' : 'vector';
    const entries = dim(type);
    return `a [${dims.map(d => Number.isSafeInteger(d) ? String(d) : formatEntries(d)).join(', ')}] ${kind}: ${formatEntries(entries)} ${entries === 1 ? 'entry' : 'entries'}, ${formatBytes(entries * BYTES_PER_ENTRY)} as float32`;
}

/** The largest whole number a `Nat[k]` bound or a `Real[…]` dimension may be written as. */
export function isValidSize(value: number): boolean {
    return Number.isSafeInteger(value);
}

/**
 * Checks the tensor sizes of declarations against a limit the user can raise
 * (`maxEntries`; the CLI's `--max-tensor`, the language server's `cajal.maxTensor`).
 */
export class CajalTensorSizes {
    /** The largest tensor, in entries, a declaration may need. */
    maxEntries = DEFAULT_MAX_TENSOR_ENTRIES;

    constructor(private readonly typeChecker: () => CajalTypeChecker) { }

    /**
     * One error per written type above the limit (the innermost part that is), else one at
     * the first binder or term above it, else one at a definition whose own matrix is.
     */
    checkDeclaration(declaration: ast.Declaration, typing: DeclarationTyping = this.typeChecker().checkDeclaration(declaration)): CheckProblem[] {
        // Cached on the declaration's typing, as linearity is: the sizes depend on the
        // declaration's text and types only, so an edit re-sizes only what it re-checks.
        const cached = this.cache.get(typing);
        if (cached && cached.limit === this.maxEntries) return [...cached.problems];
        const problems = this.sizeDeclaration(declaration, typing);
        this.cache.set(typing, { limit: this.maxEntries, problems });
        return [...problems];
    }

    private readonly cache = new WeakMap<object, { limit: number; problems: readonly CheckProblem[] }>();

    private sizeDeclaration(declaration: ast.Declaration, typing: DeclarationTyping): CheckProblem[] {
        const problems = this.withinLimit(typing) ? [] : this.sizeParts(declaration, typing.types);
        if (problems.length > 0) return problems;
        if (ast.isDefinition(declaration)) {
            const type = declaredType(declaration);
            if (dim(type) > this.maxEntries) {
                return [this.problem(declaration, `'${declaration.name}' compiles to ${describeTensor(type)}`, 'name')];
            }
        }
        return [];
    }

    /**
     * Whether no part of the declaration can be above the limit, known without walking it
     * (almost every declaration): every term and binder the type checker typed is within it,
     * and so is every type expression written in it. A whole written type bounds its parts
     * (each has dimension at least 1 unless the error type is in it, and a function's or a
     * pair's dimension is the product of its parts'), so a written type with an error in it,
     * or a typing that may have missed some (DeclarationTyping.writtenTypes), means a walk.
     */
    private withinLimit(typing: DeclarationTyping): boolean {
        const written = typing.writtenTypes;
        if (written === undefined) return false;
        for (let i = 0; i < written.length; i++) {
            if (containsError(written[i]) || dimOf(written[i]) > this.maxEntries) return false;
        }
        // forEach, not for…of: no entry array per term (this runs before anything is optimised).
        let within = true;
        typing.types.forEach((type, node) => {
            // A use of a global has its type but is not a tensor of this declaration (see sizeParts).
            if (within && dimOf(type) > this.maxEntries && !(ast.isVar(node) && !ast.isBinder(node.ref?.ref))) within = false;
        });
        return within;
    }

    /**
     * One error per written type above the limit (the innermost part that is), else one at
     * the first binder or term above it: a walk over every node of the declaration.
     */
    private sizeParts(declaration: ast.Declaration, types: DeclarationTyping['types']): CheckProblem[] {
        const nodes = astNodesOf(declaration);
        const problems: CheckProblem[] = [];
        // Made at the first part above the limit (most declarations have none).
        let aboveInside: Set<AstNode> | undefined;
        let firstValue: { node: AstNode; type: CajalType } | undefined;
        const spine = ast.isExtern(declaration) ? networkSpine(declaration.type) : NO_NODES;
        // Types are built bottom-up and memoised: a 10,000-deep type costs linear, not quadratic, time.
        const syntaxTypes = new Map<AstNode, CajalType>();
        const typeAt = (node: ast.Type | undefined): CajalType => (node && syntaxTypes.get(node)) ?? ErrorType;
        // Reverse pre-order: descendants before their ancestors, so the innermost part is reported.
        for (let i = nodes.length - 1; i >= 0; i--) {
            const node = nodes[i];
            if (ast.isType(node)) {
                syntaxTypes.set(node, ast.isFunctionType(node) ? fn(typeAt(node.domain), typeAt(node.codomain))
                    : ast.isProductType(node) ? product(typeAt(node.left), typeAt(node.right)) : typeFromSyntax(node));
            }
            // A use of a global is reported at the global, whose type it has.
            const type = node === declaration || (ast.isVar(node) && !ast.isBinder(node.ref?.ref)) ? undefined
                : ast.isType(node) ? (spine.has(node) ? undefined : syntaxTypes.get(node)) : types.get(node);
            const above = type !== undefined && dimOf(type) > this.maxEntries;
            if (above && !aboveInside?.has(node)) {
                if (ast.isType(node)) problems.push(this.problem(node, `${abbreviated(type)} is ${describeTensor(type)}`));
                else firstValue = { node, type }; // the last one met is the first in the source
            }
            if ((above || aboveInside?.has(node)) && node.$container) (aboveInside ??= new Set()).add(node.$container);
        }
        if (problems.length > 0) return problems.reverse();
        if (firstValue) {
            const what = ast.isBinder(firstValue.node) ? `'${firstValue.node.name}' is` : 'this term is';
            return [this.problem(firstValue.node, `${what} ${describeTensor(firstValue.type)}`, ast.isBinder(firstValue.node) ? 'name' : undefined)];
        }
        return [];
    }

    private problem(node: AstNode, what: string, property?: string): CheckProblem {
        return {
            code: Codes.tensorTooLarge, severity: 'error', node, property,
            message: `${what}; the limit is ${formatEntries(this.maxEntries)} entries (raise it with --max-tensor or the cajal.maxTensor setting).`
        };
    }
}

/**
 * Dimensions of function and product types, memoised by type (types are immutable values,
 * and the uses of a global share its declared type's object): a 10,000-deep type, or 10,000
 * nested terms whose types share their parts, costs linear, not quadratic, time.
 */
const memoisedDims = new WeakMap<CajalType, number>();

function dimOf(type: CajalType): number {
    if (type.kind !== 'function' && type.kind !== 'product') return dim(type);
    let d = memoisedDims.get(type);
    if (d === undefined) {
        d = type.kind === 'function' ? dimOf(type.domain) * dimOf(type.codomain) : dimOf(type.left) * dimOf(type.right);
        memoisedDims.set(type, d);
    }
    return d;
}

/** A type as written, cut short: a 10,000-deep type is not repeated in a message. */
function abbreviated(type: CajalType): string {
    const text = type.toString();
    return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** The spine of a declaration that is not an extern: none (one set for all, never added to). */
const NO_NODES: ReadonlySet<AstNode> = new Set();

/**
 * An extern's type `A1 -o … -o An -o B` and its codomains: a network maps its inputs to its
 * output without ever holding its matrix, so only the parts A1 … An, B are tensors.
 */
function networkSpine(type: ast.Type | undefined): Set<AstNode> {
    const spine = new Set<AstNode>();
    for (let current = type; ast.isFunctionType(current); current = current.codomain) spine.add(current);
    return spine;
}

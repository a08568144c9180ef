/**
 * The program IR: what `@cajal/compiler` produces for a term with run-time inputs or externs,
 * what `@cajal/runtime`'s `runProgram` executes and what the code generators translate
 * (docs/compiler.md). Plain data. Every node evaluates to a flat batched tensor [batch, dim],
 * where batch may be 1 for constants (broadcast against the rest).
 */
import type { TypeDesc } from './types.js';

/** A run-time variable: a program input or a binder bound inside the IR. */
export interface VarRef { readonly id: number; readonly name: string }

export type IrNode =
    /** Σ T[o, i1, …, in] · x1[i1] ⋯ xn[in]: a folded multilinear map applied to its inputs (a constant when n = 0). Data is float32, row-major. */
    | { readonly op: 'tensor'; readonly shape: readonly number[]; readonly data: Float32Array; readonly inputs: readonly IrNode[] }
    | { readonly op: 'var'; readonly var: VarRef }
    /**
     * One call of the linked network of an extern on ALL its arguments: one for `A -o B`,
     * n for `A1 -o … -o An -o B` (one network of the n arguments, flattened and concatenated).
     */
    | { readonly op: 'network'; readonly name: string; readonly arguments: readonly IrNode[]; readonly inputShapes: readonly (readonly number[])[]; readonly outputShape: readonly number[] }
    /** A batched function value [batch, dim B · dim A] applied to [batch, dim A]. */
    | { readonly op: 'apply'; readonly function: IrNode; readonly argument: IrNode }
    | { readonly op: 'gate'; readonly condition: IrNode; readonly then: IrNode; readonly else: IrNode }
    | { readonly op: 'iterate'; readonly count: IrNode; readonly base: IrNode; readonly binder: VarRef; readonly step: IrNode }
    | { readonly op: 'pair'; readonly left: IrNode; readonly right: IrNode }
    | { readonly op: 'letPair'; readonly pair: IrNode; readonly first: VarRef; readonly second: VarRef; readonly dims: readonly [number, number]; readonly body: IrNode }
    | { readonly op: 'let'; readonly binder: VarRef; readonly value: IrNode; readonly body: IrNode }
    | { readonly op: 'succ'; readonly argument: IrNode }
    /** A function value built by evaluating the body on each basis vector of the domain (spec §7, ⟦fun x => t⟧). */
    | { readonly op: 'lambda'; readonly binder: VarRef; readonly domainDim: number; readonly body: IrNode };

/** The operations of the IR, e.g. for a generator's exhaustiveness checks. */
export type IrOp = IrNode['op'];

export interface ProgramInput { readonly id: number; readonly name: string; readonly type: TypeDesc; readonly shape: readonly number[] }

/** An extern a program calls: its network maps one batch per argument (inputShapes) to a batch of outputShape. */
export interface ProgramExtern { readonly name: string; readonly type: TypeDesc; readonly inputShapes: readonly (readonly number[])[]; readonly outputShape: readonly number[] }

/** A compiled definition or term, ready for `runProgram` (runtime) or code generation. */
export interface Program {
    readonly name: string;
    /** Cajal syntax of the whole definition's type, e.g. `Bool -o Bool -o Bool`. */
    readonly typeText: string;
    readonly type: TypeDesc;
    /** Inputs in call order (the definition's parameters, uncurried). */
    readonly inputs: readonly ProgramInput[];
    readonly output: TypeDesc;
    readonly outputShape: readonly number[];
    /** Externs the program calls, each needing a linked network. */
    readonly externs: readonly ProgramExtern[];
    readonly body: IrNode;
}

/** The nodes a node's value is computed from, in evaluation order. */
export function irChildren(node: IrNode): readonly IrNode[] {
    switch (node.op) {
        case 'tensor': return node.inputs;
        case 'var': return [];
        case 'network': return node.arguments;
        case 'apply': return [node.function, node.argument];
        case 'gate': return [node.condition, node.then, node.else];
        case 'iterate': return [node.count, node.base, node.step];
        case 'pair': return [node.left, node.right];
        case 'letPair': return [node.pair, node.body];
        case 'let': return [node.value, node.body];
        case 'succ': return [node.argument];
        case 'lambda': return [node.body];
    }
}

const iterates = new WeakMap<IrNode, boolean>();

/**
 * Whether an `iterate` occurs in the node. Only an iter step can make a term polynomial in a
 * variable (replicating it, or dropping a state that holds it), so a let-pair whose body has
 * none is linear in both components and may be split into basis ⊗ slice terms along its
 * smaller side; one whose body has one is evaluated on every pair of basis vectors.
 */
export function containsIterate(node: IrNode): boolean {
    let known = iterates.get(node);
    if (known === undefined) {
        known = node.op === 'iterate' || irChildren(node).some(containsIterate);
        iterates.set(node, known);
    }
    return known;
}

import type { AstNode } from 'langium';
import * as ast from '../generated/ast.js';
import type { CajalServices } from '../cajal-module.js';
import { applicationSpine } from '../syntax.js';
import type { CajalType } from '../typing/types.js';

/** Values of the reference semantics (spec §6). */
export type Value =
    | { readonly kind: 'bool'; readonly value: boolean }
    | { readonly kind: 'nat'; readonly value: number; readonly bound: number }
    | { readonly kind: 'pair'; readonly left: Value; readonly right: Value }
    | { readonly kind: 'function'; readonly type: CajalType; readonly apply: (argument: Value) => Value }
    | { readonly kind: 'real'; readonly dims: readonly number[]; readonly data: readonly number[] };

export const boolValue = (value: boolean): Value => ({ kind: 'bool', value });
export const natValue = (value: number, bound: number): Value => ({ kind: 'nat', value, bound });
export const pairValue = (left: Value, right: Value): Value => ({ kind: 'pair', left, right });

/** A run-time error of a Cajal program (e.g. `succ` overflowing), with the term that raised it. */
export class CajalRuntimeError extends Error {
    constructor(message: string, readonly node: AstNode) {
        super(message);
        this.name = 'CajalRuntimeError';
    }
}

/** Prints a value in Cajal syntax: `true`, `3`, `(false, true)`, `<function Bool -o Bool>`. */
export function formatValue(value: Value): string {
    switch (value.kind) {
        case 'bool': return value.value ? 'true' : 'false';
        case 'nat': return String(value.value);
        case 'pair': return `(${formatValue(value.left)}, ${formatValue(value.right)})`;
        case 'function': return `<function ${value.type}>`;
        case 'real': return `<Real[${value.dims.join(', ')}]>`;
    }
}

/** Implementations of externs for evaluation, by name; without one, using an extern is an error. */
export type ExternImplementations = Record<string, (argument: Value) => Value>;

type Env = ReadonlyMap<ast.Binder, Value>;

/**
 * Call-by-value evaluation of well-typed programs. Callers must refuse programs with
 * errors first (the CLI does); on an ill-typed program the result is unspecified.
 */
export class CajalInterpreter {
    constructor(private readonly services: CajalServices) { }

    /** Evaluates a definition's value (a function value for definitions with parameters). */
    evaluateDefinition(definition: ast.Definition, externs: ExternImplementations = {}): Value {
        return new Evaluation(this.services, externs).global(definition);
    }

    /** Evaluates a term in an environment of values for its free linear variables. */
    evaluateTerm(term: ast.Term, env: ReadonlyMap<ast.Binder, Value> = new Map(), externs: ExternImplementations = {}): Value {
        return new Evaluation(this.services, externs).eval(term, env);
    }
}

class Evaluation {
    /** Each closed definition is evaluated at most once per evaluation. */
    private readonly globals = new Map<ast.Definition, Value>();

    constructor(private readonly services: CajalServices, private readonly externs: ExternImplementations) { }

    private typeOf(node: AstNode): CajalType {
        return this.services.typing.TypeChecker.typeOf(node);
    }

    global(definition: ast.Definition): Value {
        const cached = this.globals.get(definition);
        if (cached) return cached;
        let value: Value;
        if (definition.params.length === 0) {
            value = this.eval(definition.body, new Map());
        } else {
            value = this.curried(definition.params, definition.body, new Map(), this.typeOf(definition));
        }
        this.globals.set(definition, value);
        return value;
    }

    /** A curried function value binding `binders` in turn, then evaluating `body`. */
    private curried(binders: readonly ast.Binder[], body: ast.Term, env: Env, type: CajalType): Value {
        const [first, ...rest] = binders;
        return {
            kind: 'function',
            type,
            apply: argument => {
                const inner = new Map(env).set(first, argument);
                return rest.length === 0
                    ? this.eval(body, inner)
                    : this.curried(rest, body, inner, type.kind === 'function' ? type.codomain : type);
            }
        };
    }

    eval(term: ast.Term, env: Env): Value {
        switch (term.$type) {
            case 'BoolLiteral': return boolValue(term.value);
            case 'Zero': return natValue(0, this.natBound(term));
            case 'Numeral': return natValue(term.value, this.natBound(term));
            case 'Succ': {
                const n = this.eval(term.argument, env);
                if (n.kind !== 'nat') throw new CajalRuntimeError('succ applied to a value that is not a Nat.', term);
                if (n.value + 1 >= n.bound) {
                    throw new CajalRuntimeError(`succ ${n.value} overflows Nat${n.bound === 10 ? '' : `[${n.bound}]`}: its largest number is ${n.bound - 1}.`, term);
                }
                return natValue(n.value + 1, n.bound);
            }
            case 'Var': {
                const target = term.ref?.ref;
                if (ast.isBinder(target)) {
                    const value = env.get(target);
                    if (!value) throw new CajalRuntimeError(`'${target.name}' has no value here.`, term);
                    return value;
                }
                if (ast.isDefinition(target)) return this.global(target);
                if (ast.isExtern(target)) {
                    const implementation = this.externs[target.name];
                    if (!implementation) {
                        throw new CajalRuntimeError(`'${target.name}' is an extern (a learned network) and has no interpreter meaning; link an implementation or run the compiled program.`, term);
                    }
                    return { kind: 'function', type: this.typeOf(target), apply: implementation };
                }
                throw new CajalRuntimeError(`Unknown name '${term.ref?.$refText}'.`, term);
            }
            case 'IfTerm': {
                const condition = this.eval(term.condition, env);
                return this.eval(condition.kind === 'bool' && condition.value ? term.thenBranch : term.elseBranch, env);
            }
            case 'Lambda': return this.curried(term.binders, term.body, env, this.typeOf(term));
            case 'Application': {
                const { head, args } = applicationSpine(term);
                let current = this.eval(head, env);
                for (const argument of args) {
                    const value = this.eval(argument, env);
                    if (current.kind !== 'function') throw new CajalRuntimeError('Applied a value that is not a function.', argument);
                    current = current.apply(value);
                }
                return current;
            }
            case 'Iter': {
                const count = this.eval(term.count, env);
                if (count.kind !== 'nat') throw new CajalRuntimeError('iter needs a Nat count.', term.count);
                let state = this.eval(term.base, env);
                for (let i = 0; i < count.value; i++) {
                    state = this.eval(term.step, new Map(env).set(term.stepBinder, state));
                }
                return state;
            }
            case 'LetTerm': return this.eval(term.body, new Map(env).set(term.binder, this.eval(term.value, env)));
            case 'LetPairTerm': {
                const pair = this.eval(term.value, env);
                if (pair.kind !== 'pair') throw new CajalRuntimeError('A pair pattern needs a pair.', term.value);
                return this.eval(term.body, new Map(env).set(term.first, pair.left).set(term.second, pair.right));
            }
            case 'Pair': return pairValue(this.eval(term.first, env), this.eval(term.second, env));
            case 'Ascription': return this.eval(term.term, env);
        }
    }

    private natBound(term: ast.Term): number {
        const type = this.typeOf(term);
        return type.kind === 'nat' ? type.bound : 10;
    }
}

/** Every value of a discrete type, in basis order (true before false, 0 … k-1, pairs row-major). */
export function basisValues(type: CajalType): Value[] {
    switch (type.kind) {
        case 'bool': return [boolValue(true), boolValue(false)];
        case 'nat': return Array.from({ length: type.bound }, (_, i) => natValue(i, type.bound));
        case 'product': {
            const left = basisValues(type.left), right = basisValues(type.right);
            return left.flatMap(l => right.map(r => pairValue(l, r)));
        }
        default: return [];
    }
}

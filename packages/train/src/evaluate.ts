/**
 * Runs a Cajal term (a train block's model or target) on batched tensors with tfjs, so
 * gradients flow from the loss through the compiled program into the linked networks.
 *
 * Each construct means what spec §7 says: `if` is the bilinear gate c₀·a + c₁·b, `iter`
 * the recurrent neuron Σᵢ nᵢ·stepⁱ(base), `succ` the shift, pairs outer products. Instead
 * of first building each closed function's matrix, functions are evaluated as closures on
 * their (batched, possibly soft) arguments: a multilinear map applied to a vector gives
 * the same result either way, and the model's cost then tracks its actual inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { applicationSpine, ast, dim, shape, type CajalType } from '@cajal/language';
import { gate, iterate, succ as shiftNat } from '@cajal/runtime';
import type { ExternNetwork } from './networks.js';

/** A value during evaluation; tensors carry a leading batch axis (1 for constants, which broadcast). */
export type TensorValue =
    | { readonly kind: 'tensor'; readonly tensor: tf.Tensor }
    | { readonly kind: 'function'; readonly apply: (argument: TensorValue) => TensorValue }
    | { readonly kind: 'pair'; readonly left: TensorValue; readonly right: TensorValue };

export class ModelEvaluationError extends Error {
    constructor(message: string, readonly node?: ast.Term) {
        super(message);
        this.name = 'ModelEvaluationError';
    }
}

export interface EvaluationContext {
    /** The type checker's typeOf (numerals take their bound from it). */
    readonly typeOf: (node: ast.Term | ast.Binder | ast.Definition) => CajalType;
    /** The network linked to each extern, by name. */
    readonly networks: ReadonlyMap<string, ExternNetwork>;
}

const tensorValue = (tensor: tf.Tensor): TensorValue => ({ kind: 'tensor', tensor });

function oneHot(index: number, size: number): tf.Tensor {
    const data = new Float32Array(size);
    if (index < size) data[index] = 1;
    return tf.tensor2d(data, [1, size]);
}

/** A value as a single tensor [batch, ...shape]; pairs become outer products. */
export function materialise(value: TensorValue, where?: ast.Term): tf.Tensor {
    switch (value.kind) {
        case 'tensor': return value.tensor;
        case 'pair': {
            const left = materialise(value.left, where);
            const right = materialise(value.right, where);
            const a = left.reshape([left.shape[0], -1]);
            const b = right.reshape([right.shape[0], -1]);
            const product = tf.mul(a.reshape([a.shape[0], a.shape[1] as number, 1]), b.reshape([b.shape[0], 1, b.shape[1] as number]));
            return product;
        }
        default:
            throw new ModelEvaluationError('A function value cannot be stored in a tensor here (as the state of iter over functions inside a pair, or as a model result); apply it first.', where);
    }
}

/** c · value, with c a [batch] or [batch, 1] coefficient. */
function scale(coefficient: tf.Tensor, value: TensorValue, where: ast.Term): TensorValue {
    if (value.kind === 'function') return { kind: 'function', apply: argument => scale(coefficient, value.apply(argument), where) };
    const tensor = materialise(value, where);
    const c = coefficient.reshape([coefficient.shape[0], ...new Array<number>(Math.max(tensor.rank - 1, 0)).fill(1)]);
    return tensorValue(tf.mul(c, tensor));
}

function add(a: TensorValue, b: TensorValue, where: ast.Term): TensorValue {
    if (a.kind === 'function' && b.kind === 'function') return { kind: 'function', apply: argument => add(a.apply(argument), b.apply(argument), where) };
    if (a.kind === 'function' || b.kind === 'function') throw new ModelEvaluationError('Cannot add a function to a non-function (ill-typed program).', where);
    return tensorValue(tf.add(materialise(a, where), materialise(b, where)));
}

/** Column i of a [batch, k] selector as [batch]. */
function column(selector: tf.Tensor, i: number): tf.Tensor {
    return selector.slice([0, i], [-1, 1]).reshape([selector.shape[0]]);
}

function selector(value: TensorValue, k: number, what: string, where: ast.Term): tf.Tensor {
    const tensor = materialise(value, where);
    const flat = tensor.reshape([tensor.shape[0], -1]);
    if (flat.shape[1] !== k) throw new ModelEvaluationError(`${what}: expected a vector of ${k} entries per example, got shape [${tensor.shape.join(', ')}].`, where);
    return flat;
}

/** Evaluates terms of one model; closed definitions are evaluated once per evaluator. */
export class TermEvaluator {
    private readonly globals = new Map<ast.Definition, TensorValue>();

    constructor(private readonly context: EvaluationContext) { }

    evaluate(term: ast.Term, env: ReadonlyMap<ast.Binder, TensorValue>): TensorValue {
        switch (term.$type) {
            case 'BoolLiteral': return tensorValue(oneHot(term.value ? 0 : 1, 2));
            case 'Zero': return tensorValue(oneHot(0, this.natBound(term)));
            case 'Numeral': return tensorValue(oneHot(term.value, this.natBound(term)));
            case 'Succ': {
                const n = selector(this.evaluate(term.argument, env), this.natBound(term), 'succ', term);
                return tensorValue(shiftNat(n));
            }
            case 'Var': return this.variable(term, env);
            case 'IfTerm': {
                const c = selector(this.evaluate(term.condition, env), 2, 'if', term);
                const a = this.evaluate(term.thenBranch, env);
                const b = this.evaluate(term.elseBranch, env);
                if (a.kind === 'tensor' && b.kind === 'tensor') return tensorValue(gate(c, a.tensor, b.tensor));
                return add(scale(column(c, 0), a, term), scale(column(c, 1), b, term), term);
            }
            case 'Lambda': return this.closure(term.binders, term.body, env);
            case 'Application': {
                const { head, args } = applicationSpine(term);
                let current = this.evaluate(head, env);
                for (const argument of args) {
                    const value = this.evaluate(argument, env);
                    if (current.kind !== 'function') throw new ModelEvaluationError('Applied a value that is not a function (ill-typed program).', argument);
                    current = current.apply(value);
                }
                return current;
            }
            case 'Iter': {
                const countType = this.context.typeOf(term.count);
                const k = countType.kind === 'nat' ? countType.bound : 10;
                const n = selector(this.evaluate(term.count, env), k, 'iter', term);
                const base = this.evaluate(term.base, env);
                const step = (state: TensorValue): TensorValue => this.evaluate(term.step, new Map(env).set(term.stepBinder, state));
                if (base.kind === 'tensor') {
                    return tensorValue(iterate(n, base.tensor, state => materialise(step(tensorValue(state)), term)));
                }
                let state: TensorValue = base;
                let sum = scale(column(n, 0), state, term);
                for (let i = 1; i < k; i++) {
                    state = step(state);
                    sum = add(sum, scale(column(n, i), state, term), term);
                }
                return sum;
            }
            case 'LetTerm': return this.evaluate(term.body, new Map(env).set(term.binder, this.evaluate(term.value, env)));
            case 'LetPairTerm': return this.letPair(term, env);
            case 'Pair': return { kind: 'pair', left: this.evaluate(term.first, env), right: this.evaluate(term.second, env) };
            case 'Ascription': return this.evaluate(term.term, env);
        }
    }

    /** A definition's value: a curried function of its parameters, or a constant. */
    evaluateDefinition(definition: ast.Definition): TensorValue {
        let value = this.globals.get(definition);
        if (!value) {
            value = definition.params.length === 0 ? this.evaluate(definition.body, new Map()) : this.closure(definition.params, definition.body, new Map());
            this.globals.set(definition, value);
        }
        return value;
    }

    /** The value of a model or target, as a tensor [batch, ...shape(type)]. */
    evaluateToTensor(term: ast.Term, env: ReadonlyMap<ast.Binder, TensorValue>, batch: number): tf.Tensor {
        const type = this.context.typeOf(term);
        const tensor = materialise(this.evaluate(term, env), term);
        const target = [tensor.shape[0], ...shape(type)];
        const shaped = tensor.size === tensor.shape[0] * dim(type) ? tensor.reshape(target) : tensor;
        return shaped.shape[0] === batch ? shaped : tf.broadcastTo(shaped, [batch, ...shaped.shape.slice(1)]);
    }

    private natBound(term: ast.Term): number {
        const type = this.context.typeOf(term);
        return type.kind === 'nat' ? type.bound : 10;
    }

    private variable(term: ast.Var, env: ReadonlyMap<ast.Binder, TensorValue>): TensorValue {
        const target = term.ref?.ref;
        if (ast.isBinder(target)) {
            const value = env.get(target);
            if (!value) throw new ModelEvaluationError(`'${target.name}' has no value here.`, term);
            return value;
        }
        if (ast.isDefinition(target)) return this.evaluateDefinition(target);
        if (ast.isExtern(target)) {
            const network = this.context.networks.get(target.name);
            if (!network) throw new ModelEvaluationError(`extern '${target.name}' is not linked to a network.`, term);
            const arity = network.resolved.signature.inputs.length;
            const collect = (collected: TensorValue[]): TensorValue => ({
                kind: 'function',
                apply: argument => {
                    const all = [...collected, argument];
                    return all.length === arity ? tensorValue(network.call(all.map(v => materialise(v, term)))) : collect(all);
                }
            });
            return collect([]);
        }
        throw new ModelEvaluationError(`Unknown name '${term.ref?.$refText}'.`, term);
    }

    private closure(binders: readonly ast.Binder[], body: ast.Term, env: ReadonlyMap<ast.Binder, TensorValue>): TensorValue {
        const [first, ...rest] = binders;
        return {
            kind: 'function',
            apply: argument => {
                const inner = new Map(env).set(first, argument);
                return rest.length === 0 ? this.evaluate(body, inner) : this.closure(rest, body, inner);
            }
        };
    }

    /** `let (x, y) = p in t`: direct when p was built as a pair, else Σᵢⱼ pᵢⱼ · t[x := eᵢ, y := eⱼ] over the basis. */
    private letPair(term: ast.LetPairTerm, env: ReadonlyMap<ast.Binder, TensorValue>): TensorValue {
        const value = this.evaluate(term.value, env);
        if (value.kind === 'pair') return this.evaluate(term.body, new Map(env).set(term.first, value.left).set(term.second, value.right));
        const type = this.context.typeOf(term.value);
        if (type.kind !== 'product') throw new ModelEvaluationError('A pair pattern needs a pair.', term.value);
        const [m, n] = [dim(type.left), dim(type.right)];
        const discrete = (t: CajalType) => t.kind === 'bool' || t.kind === 'nat';
        if (!discrete(type.left) || !discrete(type.right) || m * n > 400) {
            throw new ModelEvaluationError(`Taking apart a computed pair of type ${type} needs a sum over its ${m * n} basis pairs; only pairs of Bool/Nat (up to 400 combinations) are supported. Build the pair with (a, b) where it is used.`, term.value);
        }
        const p = materialise(value, term.value).reshape([-1, m * n]);
        let sum: TensorValue | undefined;
        for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
                const body = this.evaluate(term.body, new Map(env).set(term.first, tensorValue(oneHot(i, m))).set(term.second, tensorValue(oneHot(j, n))));
                const part = scale(column(p, i * n + j), body, term);
                sum = sum ? add(sum, part, term) : part;
            }
        }
        return sum!;
    }
}

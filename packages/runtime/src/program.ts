/**
 * Executes compiled Cajal programs (the IR of @cajal/ir, which @cajal/compiler produces; see
 * docs/compiler.md) on TensorFlow.js. Every node evaluates to a flat batched tensor
 * [batch, dim] (batch 1 for constants, broadcast against the rest); every operation is a
 * differentiable tfjs op, so tf.grads / optimisers see through compiled programs.
 * Generated modules call the same helpers (`constantTensor`, `materialize`, …).
 */
import * as tf from '@tensorflow/tfjs';
import { applyMatrix, contract, flatten, gate, iterate, outer, reshapeBatched, splitPair, succ, tabulate } from './neurons.js';
import { callNetwork, requireNetworks, type LinkedNetworks } from './networks.js';
import { containsIterate, type IrNode, type Program, type VarRef } from '@cajal/ir';

/** Program inputs: in call order, or by input name. Each is [batch, ...shape] or [batch, dim]. */
export type ProgramInputs = readonly tf.Tensor[] | Readonly<Record<string, tf.Tensor>>;

/**
 * A constant's tensor, created once per backend and kept (not disposed by tf.tidy):
 * constants are created on first use, after the caller chose a backend.
 */
export function constantTensor(cache: { tensor?: tf.Tensor; backend?: string }, shape: readonly number[], data: ArrayLike<number>): tf.Tensor {
    const backend = tf.getBackend();
    if (!cache.tensor || cache.tensor.isDisposed || cache.backend !== backend) {
        cache.tensor = tf.keep(tf.tensor(data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>), [...shape]));
        cache.backend = backend;
    }
    return cache.tensor;
}

/** Decodes a base64 string of little-endian float32 values (how generated modules embed large constants). */
export function float32FromBase64(text: string): Float32Array {
    const bytes = typeof Buffer !== 'undefined' ? Buffer.from(text, 'base64') : Uint8Array.from(atob(text), c => c.charCodeAt(0));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
}

/** Applies a folded multilinear tensor [dim out, d1, …, dn] to inputs (or returns it as a batch-1 constant). */
export function applyTensor(t: tf.Tensor, inputs: readonly tf.Tensor[]): tf.Tensor {
    if (inputs.length === 0) return t.reshape([1, t.size]);
    return contract(t, inputs);
}

/**
 * ⟦fun x => body⟧ as a flat batched function value [batch, dim B · dim A]: column j is the
 * body evaluated with x = the basis vector e_j (spec §7), via the runtime's `tabulate`.
 */
export function materialize(domainDim: number, body: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => flatten(tabulate(domainDim, body)));
}

/** `let x = value in body` in generated code: the body with x bound. */
export function bindValue(value: tf.Tensor, body: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    return body(value);
}

/** Broadcasts a batch-1 result to the batch of the inputs. */
export function toBatch(t: tf.Tensor, batch: number): tf.Tensor {
    return t.shape[0] === batch || t.shape[0] !== 1 ? t : tf.broadcastTo(t, [batch, ...t.shape.slice(1)]);
}

/**
 * Calls a linked network on flat batches, one per argument of the extern (each reshaped to
 * its argument's shape), and returns a flat batch. A single tensor and shape are accepted
 * for one-argument externs.
 */
export function networkCall(
    networks: LinkedNetworks | undefined, name: string,
    inputs: tf.Tensor | readonly tf.Tensor[], inputShapes: readonly number[] | readonly (readonly number[])[], outputShape: readonly number[]
): tf.Tensor {
    const network = networks?.[name];
    if (typeof network !== 'function') requireNetworks([name], networks);
    const xs = inputs instanceof tf.Tensor ? [inputs] : inputs;
    const shapes = (inputShapes.length > 0 && typeof inputShapes[0] === 'number' ? [inputShapes] : inputShapes) as readonly (readonly number[])[];
    if (xs.length !== shapes.length) throw new Error(`extern '${name}' takes ${shapes.length} input(s), got ${xs.length}`);
    return flatten(callNetwork(name, network!, xs.map((x, i) => x.reshape([x.shape[0], ...shapes[i]])), outputShape));
}

type Env = ReadonlyMap<number, tf.Tensor>;

/** Batch size of the inputs (1 when there are none). */
function batchOf(inputs: readonly tf.Tensor[]): number {
    let batch = 1;
    for (const x of inputs) {
        const b = x.shape[0] ?? 1;
        if (b !== 1) {
            if (batch !== 1 && batch !== b) throw new Error(`program inputs have different batch sizes ${batch} and ${b}`);
            batch = b;
        }
    }
    return batch;
}

function orderedInputs(program: Program, inputs: ProgramInputs): tf.Tensor[] {
    const list = Array.isArray(inputs)
        ? inputs as readonly tf.Tensor[]
        : program.inputs.map(input => {
            const value = (inputs as Readonly<Record<string, tf.Tensor>>)[input.name];
            if (!value) throw new Error(`${program.name}: missing input '${input.name}'`);
            return value;
        });
    if (list.length !== program.inputs.length) {
        throw new Error(`${program.name} takes ${program.inputs.length} input(s) (${program.inputs.map(i => i.name).join(', ') || 'none'}), got ${list.length}`);
    }
    list.forEach((x, i) => {
        const expected = program.inputs[i];
        const size = expected.shape.reduce((a, b) => a * b, 1);
        if (!(x instanceof tf.Tensor) || x.rank < 1 || x.size !== x.shape[0] * size) {
            throw new Error(`${program.name}: input '${expected.name}' must have shape [batch, ${expected.shape.join(', ')}], got ${x instanceof tf.Tensor ? `[${x.shape.join(', ')}]` : typeof x}`);
        }
    });
    return [...list];
}

/**
 * Runs a compiled program: returns [batch, ...outputShape], differentiable with respect to
 * the inputs and to every variable the linked networks use. Throws MissingNetworksError
 * naming every extern without a network.
 */
export function runProgram(program: Program, inputs: ProgramInputs = [], networks: LinkedNetworks = {}): tf.Tensor {
    requireNetworks(program.externs.map(e => e.name), networks);
    const list = orderedInputs(program, inputs);
    const batch = batchOf(list);
    return tf.tidy(() => {
        const env = new Map<number, tf.Tensor>();
        program.inputs.forEach((input, i) => env.set(input.id, flatten(list[i])));
        const out = toBatch(evaluate(program.body, env, networks), batch);
        const shaped = reshapeBatched(out, program.outputShape);
        // A program that returns one of its inputs unchanged still gives the caller a tensor of its own.
        return list.includes(shaped) ? shaped.clone() : shaped;
    });
}

const constants = new WeakMap<object, { tensor?: tf.Tensor; backend?: string }>();

function evaluate(node: IrNode, env: Env, networks: LinkedNetworks): tf.Tensor {
    switch (node.op) {
        case 'tensor': {
            let cache = constants.get(node);
            if (!cache) constants.set(node, cache = {});
            const t = constantTensor(cache, node.shape, node.data);
            return applyTensor(t, node.inputs.map(input => evaluate(input, env, networks)));
        }
        case 'var': {
            const value = env.get(node.var.id);
            if (!value) throw new Error(`internal: '${node.var.name}' has no value`);
            return value;
        }
        case 'network':
            return networkCall(networks, node.name, node.arguments.map(argument => evaluate(argument, env, networks)), node.inputShapes, node.outputShape);
        case 'apply':
            return applyMatrix(evaluate(node.function, env, networks), evaluate(node.argument, env, networks), 'batched');
        case 'gate':
            return gate(evaluate(node.condition, env, networks), evaluate(node.then, env, networks), evaluate(node.else, env, networks));
        case 'iterate': {
            const count = evaluate(node.count, env, networks);
            const base = evaluate(node.base, env, networks);
            return iterate(count, base, state => evaluate(node.step, extend(env, node.binder, state), networks));
        }
        case 'pair':
            return outer(evaluate(node.left, env, networks), evaluate(node.right, env, networks));
        case 'letPair': {
            const pair = evaluate(node.pair, env, networks);
            return splitPair(pair, node.dims[0], node.dims[1], (x, y) => evaluate(node.body, extend(extend(env, node.first, x), node.second, y), networks),
                containsIterate(node.body) ? 'both' : 'smaller');
        }
        case 'let':
            return evaluate(node.body, extend(env, node.binder, evaluate(node.value, env, networks)), networks);
        case 'succ':
            return succ(evaluate(node.argument, env, networks));
        case 'lambda':
            return materialize(node.domainDim, x => evaluate(node.body, extend(env, node.binder, x), networks));
    }
}

/** Frees the constant tensors runProgram cached for a program (they are otherwise kept for reuse). */
export function releaseProgram(program: Program): void {
    const stack: IrNode[] = [program.body];
    while (stack.length > 0) {
        const node = stack.pop()!;
        if (node.op === 'tensor') {
            const cache = constants.get(node);
            if (cache?.tensor && !cache.tensor.isDisposed) cache.tensor.dispose();
            constants.delete(node);
        }
        for (const value of Object.values(node)) {
            if (Array.isArray(value)) stack.push(...value.filter(isNode));
            else if (isNode(value)) stack.push(value);
        }
    }
}

function isNode(value: unknown): value is IrNode {
    return typeof value === 'object' && value !== null && typeof (value as { op?: unknown }).op === 'string';
}

function extend(env: Env, binder: VarRef, value: tf.Tensor): Env {
    return new Map(env).set(binder.id, value);
}

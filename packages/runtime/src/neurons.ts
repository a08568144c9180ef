/**
 * The neurons compiled Cajal code is made of, on batched tensors (leading batch axis).
 * Every helper is built from differentiable tfjs ops, so tf.grads / optimizers see through it.
 */
import * as tf from '@tensorflow/tfjs';
import { smallContraction, takesSmallContraction } from './small-contraction.js';

/** Size of one batch element: the product of all axes after the first. */
function elementSize(t: tf.Tensor): number {
    return t.shape.slice(1).reduce((a, b) => a * b, 1);
}

/**
 * t with the given shape: t itself when it has it already. tfjs runs a Reshape kernel even
 * for its own shape, and under the gradient tape each one is recorded with a saved copy of
 * its input; compiled programs reshape to the shape a value has most of the time (a flat
 * [batch, dim] flattened again, a network's [batch, dim] output as [batch, dim]).
 */
export function reshapeTo<R extends tf.Rank = tf.Rank>(t: tf.Tensor, shape: readonly number[]): tf.Tensor<R> {
    const same = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
    return (same ? t : t.reshape([...shape])) as tf.Tensor<R>;
}

/** [batch, ...] → [batch, dim] (t itself when it is [batch, dim] already). */
export function flatten(t: tf.Tensor): tf.Tensor2D {
    if (t.rank < 1) throw new Error(`expected a batched tensor, got a scalar`);
    return reshapeTo<tf.Rank.R2>(t, [t.shape[0], elementSize(t)]) as tf.Tensor2D;
}

/** [batch, dim] (or any [batch, ...]) → [batch, ...shape] (t itself when it has that shape). */
export function reshapeBatched(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
    return reshapeTo(t, [t.shape[0], ...shape]);
}

/**
 * Broadcasts a batch of 1 to the other operand's batch before a batched matMul: tfjs has
 * no gradient for matMul's own batch broadcasting, and compiled code must stay differentiable.
 */
function sameBatch(a: tf.Tensor, b: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const [batchA, batchB] = [a.shape[0], b.shape[0]];
    if (batchA === batchB) return [a, b];
    if (batchA === 1) return [tf.broadcastTo(a, [batchB, ...a.shape.slice(1)]), b];
    if (batchB === 1) return [a, tf.broadcastTo(b, [batchA, ...b.shape.slice(1)])];
    throw new Error(`batch sizes ${batchA} and ${batchB} differ (only a batch of 1 broadcasts)`);
}

/** Column i of a [batch, k] tensor as [batch, 1, …, 1] so it scales a tensor of the given rank. */
function coefficient(c: tf.Tensor, i: number, rank: number): tf.Tensor {
    const column = c.slice([0, i], [-1, 1]);
    return column.reshape([c.shape[0], ...new Array<number>(Math.max(rank - 1, 1)).fill(1)]);
}

function checkSelector(name: string, c: tf.Tensor, k?: number): void {
    if (c.rank !== 2 || (k !== undefined && c.shape[1] !== k)) {
        throw new Error(`${name}: expected a [batch, ${k ?? 'k'}] selector, got shape [${c.shape.join(', ')}]`);
    }
}

/**
 * `if c then a else b` — the bilinear gate c[:,0]·a + c[:,1]·b, with c a batched Bool
 * [batch, 2] and a, b batched values of one shape (a batch of 1 broadcasts).
 */
export function gate(c: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    checkSelector('gate', c, 2);
    return tf.tidy(() => {
        const rank = Math.max(a.rank, b.rank);
        return tf.add(tf.mul(coefficient(c, 0, rank), a), tf.mul(coefficient(c, 1, rank), b));
    });
}

/**
 * `iter n { zero => base ; succ y => step y }` — the recurrent neuron Σ_{i<k} n[:,i]·stepⁱ(base),
 * with n a batched Nat[k] [batch, k]. The step is applied k-1 times (never more).
 */
export function iterate(n: tf.Tensor, base: tf.Tensor, step: (state: tf.Tensor) => tf.Tensor): tf.Tensor {
    checkSelector('iterate', n);
    const k = n.shape[1] as number;
    return tf.tidy(() => {
        let state = base;
        let sum = tf.mul(coefficient(n, 0, state.rank), state);
        for (let i = 1; i < k; i++) {
            state = step(state);
            sum = tf.add(sum, tf.mul(coefficient(n, i, state.rank), state));
        }
        return sum;
    });
}

/**
 * Applies a linear map to x ([batch, dim A] or [batch, ...shape A]), giving [batch, dim B]:
 * - a constant matrix m of shape [dim B, dim A] (a closed definition, no batch axis), or
 * - a batched function value m of shape [batch, dim B, dim A] or [batch, dim B · dim A].
 * A rank-2 m whose second axis equals dim A is read as a constant matrix unless
 * `mode` says 'batched' (the two readings only coincide when dim B = 1).
 */
export function applyMatrix(m: tf.Tensor, x: tf.Tensor, mode?: 'constant' | 'batched'): tf.Tensor2D {
    return tf.tidy(() => {
        const xs = flatten(x);
        const [batch, dimA] = xs.shape;
        const batched = mode === 'batched' || m.rank === 3 || (mode === undefined && m.rank === 2 && m.shape[1] !== dimA);
        if (!batched) {
            if (m.rank !== 2 || m.shape[1] !== dimA) {
                throw new Error(`applyMatrix: a constant matrix must have shape [dim B, ${dimA}] for an input of dim ${dimA}, got [${m.shape.join(', ')}]`);
            }
            return tf.matMul(xs, m as tf.Tensor2D, false, true);
        }
        const size = elementSize(m);
        if (size % dimA !== 0 || (m.shape[0] !== batch && m.shape[0] !== 1 && batch !== 1)) {
            throw new Error(`applyMatrix: a batched function value of shape [${m.shape.join(', ')}] cannot apply to an input of shape [${x.shape.join(', ')}]`);
        }
        const dimB = size / dimA;
        const [matrices, columns] = sameBatch(m.reshape([m.shape[0], dimB, dimA]), xs.reshape([batch, dimA, 1])) as [tf.Tensor3D, tf.Tensor3D];
        const out = tf.matMul(matrices, columns);
        return out.reshape([out.shape[0], dimB]);
    });
}

/** The tensor product of two batched values: [batch, dim A · dim B], flat index i·dim B + j. */
export function outer(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
        const as = flatten(a);
        const bs = flatten(b);
        const product = tf.mul(as.reshape([as.shape[0], as.shape[1], 1]), bs.reshape([bs.shape[0], 1, bs.shape[1]]));
        return product.reshape([product.shape[0], as.shape[1] * bs.shape[1]]);
    });
}

/**
 * Applies a constant multilinear map T of shape [dim out, d1, …, dn] to batched inputs
 * x1 … xn ([batch, di]): out[b, o] = Σ T[o, i1, …, in] · x1[b, i1] ⋯ xn[b, in].
 * The largest input axis is contracted first with one unbatched matmul, then the rest by
 * batched matrix-vector products, so the biggest intermediate is batch · |T| / max di.
 * A small T takes one fused kernel instead (small-contraction.ts; under the gradient tape one
 * op whose backward pass is the same kernel), which sums in the same order; `contractByMatMul`
 * is the general path alone.
 */
export function contract(t: tf.Tensor, inputs: readonly tf.Tensor[]): tf.Tensor2D {
    return contractWith(t, inputs, true);
}

/** `contract` always by the general, differentiable matMul path (the fast path's reference). */
export function contractByMatMul(t: tf.Tensor, inputs: readonly tf.Tensor[]): tf.Tensor2D {
    return contractWith(t, inputs, false);
}

function contractWith(t: tf.Tensor, inputs: readonly tf.Tensor[], allowSmall: boolean): tf.Tensor2D {
    const n = inputs.length;
    if (t.rank !== n + 1) {
        throw new Error(`contract: a tensor of shape [${t.shape.join(', ')}] takes ${t.rank - 1} inputs, got ${n}`);
    }
    return tf.tidy(() => {
        const xs = inputs.map(flatten);
        xs.forEach((x, i) => {
            if (x.shape[1] !== t.shape[i + 1]) {
                throw new Error(`contract: input ${i + 1} has dim ${x.shape[1]} but the tensor expects ${t.shape[i + 1]} (tensor shape [${t.shape.join(', ')}])`);
            }
        });
        if (n === 0) return t.reshape([1, t.shape[0]]);
        if (allowSmall && takesSmallContraction(t, xs)) return smallContraction(t, xs);
        // Contraction order: largest input dim first (shrinks the intermediate the most).
        const order = xs.map((_, i) => i).sort((i, j) => t.shape[j + 1] - t.shape[i + 1]);
        // Permute T to [out, x_order[n-1], …, x_order[0]] so each contraction is over the last axis.
        const permutation = [0, ...[...order].reverse().map(i => i + 1)];
        const permuted = permutation.every((p, i) => p === i) ? t : tf.transpose(t, permutation);
        const first = order[0];
        const d0 = t.shape[first + 1];
        let rest = t.size / d0;
        // [batch, d0] × [d0, rest] → [batch, rest]
        let state: tf.Tensor = tf.matMul(xs[first], permuted.reshape([rest, d0]) as tf.Tensor2D, false, true);
        for (const i of order.slice(1)) {
            const d = t.shape[i + 1];
            rest /= d;
            const [matrices, vectors] = sameBatch(state.reshape([state.shape[0], rest, d]), xs[i].reshape([xs[i].shape[0], d, 1])) as [tf.Tensor3D, tf.Tensor3D];
            state = tf.matMul(matrices, vectors).reshape([matrices.shape[0], rest]);
        }
        return state as tf.Tensor2D;
    });
}

/**
 * `let (x, y) = p in body` for a batched pair p ([batch, dim A, dim B] or [batch, dim A · dim B]).
 * A pair is entangled in general, so p is split along its smaller side into basis ⊗ slice
 * terms: p = Σᵢ eᵢ ⊗ p[:, i, :] (or by columns), and the body is evaluated once per term and
 * summed — exact when the body is linear in the sliced component. `enumerate: 'both'` (for a
 * body an iter step makes polynomial) evaluates it on every pair of basis vectors instead.
 */
export function splitPair(p: tf.Tensor, dimA: number, dimB: number, body: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor, enumerate: 'smaller' | 'both' = 'smaller'): tf.Tensor {
    if (elementSize(p) !== dimA * dimB) {
        throw new Error(`splitPair: a pair of dims ${dimA} and ${dimB} needs ${dimA * dimB} entries per element, got shape [${p.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
        const batch = p.shape[0];
        const grid = p.reshape([batch, dimA, dimB]);
        let sum: tf.Tensor | undefined;
        if (enumerate === 'both') {
            // The spec's Σᵢⱼ pᵢⱼ · body(eᵢ, eⱼ), for a body that is not linear in either
            // component (an iter step replicating it): a slice of the pair is not a basis
            // vector, and a polynomial body is not its linear extension there.
            const flat = grid.reshape([batch, dimA * dimB]);
            for (let i = 0; i < dimA; i++) {
                for (let j = 0; j < dimB; j++) {
                    const out = body(basisBatch(batch, i, dimA), basisBatch(batch, j, dimB));
                    const term = tf.mul(coefficient(flat, i * dimB + j, out.rank), out);
                    sum = sum ? tf.add(sum, term) : term;
                }
            }
        } else if (dimA <= dimB) {
            for (let i = 0; i < dimA; i++) {
                const x = basisBatch(batch, i, dimA);
                const y = grid.slice([0, i, 0], [-1, 1, -1]).reshape([batch, dimB]);
                const term = body(x, y);
                sum = sum ? tf.add(sum, term) : term;
            }
        } else {
            for (let j = 0; j < dimB; j++) {
                const x = grid.slice([0, 0, j], [-1, -1, 1]).reshape([batch, dimA]);
                const y = basisBatch(batch, j, dimB);
                const term = body(x, y);
                sum = sum ? tf.add(sum, term) : term;
            }
        }
        return sum!;
    });
}

/**
 * `fun x => body` as a batched function value [batch, dim B, dim A]: column j is the body
 * applied to the basis vector e_j (spec section 7). The basis vectors have a batch of 1, so
 * the result's batch is that of the batched values the body captures (1 when it captures none).
 */
export function tabulate(dimA: number, body: (x: tf.Tensor) => tf.Tensor): tf.Tensor3D {
    if (!Number.isInteger(dimA) || dimA < 1) throw new Error(`tabulate: dim A must be an integer ≥ 1, got ${dimA}`);
    return tf.tidy(() => {
        const columns = Array.from({ length: dimA }, (_, j) => flatten(body(basisBatch(1, j, dimA))));
        const batch = Math.max(...columns.map(c => c.shape[0]));
        const dimB = columns[0].shape[1];
        const same = columns.map((c, j) => {
            if (c.shape[1] !== dimB) throw new Error(`tabulate: the body gave ${c.shape[1]} values for basis vector ${j} but ${dimB} for basis vector 0`);
            return c.shape[0] === batch ? c : tf.broadcastTo(c, [batch, dimB]);
        });
        return tf.stack(same, 2) as tf.Tensor3D;
    });
}

/** The basis vector e_i of a dim-d space, repeated batch times: [batch, d]. */
export function basisBatch(batch: number, i: number, d: number): tf.Tensor2D {
    return tf.tidy(() => tf.oneHot(tf.fill([batch], i, 'int32') as tf.Tensor1D, d).toFloat() as tf.Tensor2D);
}

/** `succ` on a batched Nat[k]: [0, n0, …, n_{k-2}]; the top entry falls off (overflow gives the zero vector). */
export function succ(n: tf.Tensor): tf.Tensor2D {
    checkSelector('succ', n);
    return tf.tidy(() => {
        const [batch, k] = n.shape;
        const kept = n.slice([0, 0], [-1, k - 1]);
        return tf.concat([tf.zeros([batch, 1]), kept], 1) as tf.Tensor2D;
    });
}

/**
 * Dense tensors with named axes, in plain TypeScript (no tfjs): the compile-time
 * denotation of a term with free linear variables. Axis `OUT` is the term's own flat
 * vector (dim of its type); every other axis is a free linear variable, named by a number.
 * A variable appearing in both operands of a product keeps ONE shared axis (the same
 * basis vector substituted in both places — spec §7's "column j = ⟦t⟧[x := basis j]").
 */

/** The axis of a term's own value. Variables use positive ids, temporaries negative ones. */
export const OUT = 0;

let nextTemporary = -1;
/** A fresh axis name for an intermediate contraction. */
export function temporaryAxis(): number {
    return nextTemporary--;
}

export class NamedTensor {
    constructor(readonly axes: readonly number[], readonly dims: readonly number[], readonly data: Float64Array) {
        if (axes.length !== dims.length) throw new Error('NamedTensor: axes and dims differ in length');
        if (new Set(axes).size !== axes.length) throw new Error(`NamedTensor: repeated axis in [${axes.join(', ')}]`);
        const size = dims.reduce((a, b) => a * b, 1);
        if (size !== data.length) throw new Error(`NamedTensor: ${data.length} entries for dims [${dims.join(', ')}]`);
    }

    get size(): number { return this.data.length; }

    dimOf(axis: number): number | undefined {
        const i = this.axes.indexOf(axis);
        return i < 0 ? undefined : this.dims[i];
    }

    has(axis: number): boolean { return this.axes.includes(axis); }

    /** A vector along OUT with no variables. */
    static vector(values: ArrayLike<number>): NamedTensor {
        return new NamedTensor([OUT], [values.length], Float64Array.from(values));
    }

    /** The basis vector e_index of a dim-d space along OUT. */
    static basis(index: number, d: number): NamedTensor {
        const data = new Float64Array(d);
        if (index >= 0 && index < d) data[index] = 1;
        return new NamedTensor([OUT], [d], data);
    }

    /** The identity map from variable `axis` to OUT: the denotation of a variable. */
    static identity(axis: number, d: number): NamedTensor {
        const data = new Float64Array(d * d);
        for (let i = 0; i < d; i++) data[i * d + i] = 1;
        return new NamedTensor([OUT, axis], [d, d], data);
    }

    static scalar(value: number): NamedTensor {
        return new NamedTensor([], [], Float64Array.of(value));
    }

    rename(from: number, to: number): NamedTensor {
        if (!this.has(from)) return this;
        if (this.has(to)) throw new Error(`NamedTensor: cannot rename axis ${from} to ${to}, which exists`);
        return new NamedTensor(this.axes.map(a => (a === from ? to : a)), this.dims, this.data);
    }

    /** Reorders the axes to `order` (a permutation of this tensor's axes). */
    permute(order: readonly number[]): NamedTensor {
        if (order.length !== this.axes.length || order.some(a => !this.has(a))) {
            throw new Error(`NamedTensor: [${order.join(', ')}] is not a permutation of [${this.axes.join(', ')}]`);
        }
        if (order.every((a, i) => a === this.axes[i])) return this;
        const dims = order.map(a => this.dims[this.axes.indexOf(a)]);
        const sourceStrides = stridesOf(this.dims);
        const strides = order.map(a => sourceStrides[this.axes.indexOf(a)]);
        return new NamedTensor(order, dims, gather(this.data, dims, strides));
    }

    /**
     * Splits axis `axis` (of dim d1·d2, row-major) into two axes `first` (d1) and `second`
     * (d2) in its place: how a function's OUT becomes [codomain, domain] and a pair's OUT
     * becomes [left, right].
     */
    split(axis: number, first: number, d1: number, second: number, d2: number): NamedTensor {
        const i = this.axes.indexOf(axis);
        if (i < 0 || this.dims[i] !== d1 * d2) throw new Error(`NamedTensor: cannot split axis ${axis} into ${d1}·${d2}`);
        const axes = [...this.axes.slice(0, i), first, second, ...this.axes.slice(i + 1)];
        const dims = [...this.dims.slice(0, i), d1, d2, ...this.dims.slice(i + 1)];
        return new NamedTensor(axes, dims, this.data);
    }

    /** Merges adjacent-after-permutation axes `first`, `second` into one axis `into`, row-major, placed first. */
    mergeFirst(first: number, second: number, into: number): NamedTensor {
        const rest = this.axes.filter(a => a !== first && a !== second);
        const permuted = this.permute([first, second, ...rest]);
        return new NamedTensor([into, ...rest], [permuted.dims[0] * permuted.dims[1], ...permuted.dims.slice(2)], permuted.data);
    }

    /** The tensor with the axis fixed to one index (the axis disappears). */
    slice(axis: number, index: number): NamedTensor {
        const moved = this.permute([axis, ...this.axes.filter(a => a !== axis)]);
        const rest = moved.size / moved.dims[0];
        return new NamedTensor(moved.axes.slice(1), moved.dims.slice(1), moved.data.slice(index * rest, (index + 1) * rest));
    }

    /** Adds missing axes by repetition (a term that does not mention a variable is constant along it). */
    broadcast(axes: readonly number[], dims: readonly number[]): NamedTensor {
        const missing = axes.filter(a => !this.has(a));
        if (missing.length === 0) return this.permute(axes);
        const sourceStrides = stridesOf(this.dims);
        const strides = axes.map(a => {
            const i = this.axes.indexOf(a);
            return i < 0 ? 0 : sourceStrides[i];
        });
        return new NamedTensor(axes, dims, gather(this.data, dims, strides));
    }

    /** Elementwise sum; axes missing on one side are broadcast. */
    add(other: NamedTensor): NamedTensor {
        const { axes, dims } = unionAxes(this, other);
        const a = this.broadcast(axes, dims).data;
        const b = other.broadcast(axes, dims).data;
        const out = new Float64Array(a.length);
        for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
        return new NamedTensor(axes, dims, out);
    }

    scale(factor: number): NamedTensor {
        return new NamedTensor(this.axes, this.dims, this.data.map(x => x * factor));
    }

    /** Shifts the entries along `axis` up by one: [0, t0, …, t_{k-2}] (succ). */
    shift(axis: number): NamedTensor {
        const moved = this.permute([axis, ...this.axes.filter(a => a !== axis)]);
        const rest = moved.size / moved.dims[0];
        const out = new Float64Array(moved.size);
        out.set(moved.data.subarray(0, moved.size - rest), rest);
        return new NamedTensor(moved.axes, moved.dims, out);
    }
}

/**
 * The generalised product of two tensors: axes in `contracted` are summed over, every
 * other axis of either operand is kept (shared axes elementwise). `resultOrder`, when
 * given, fixes the order of the kept axes.
 */
export function product(a: NamedTensor, b: NamedTensor, contracted: readonly number[] = [], resultOrder?: readonly number[]): NamedTensor {
    const all = unionAxes(a, b);
    const kept = all.axes.filter(x => !contracted.includes(x));
    const order = resultOrder ?? kept;
    if (order.length !== kept.length || order.some(x => !kept.includes(x))) {
        throw new Error(`product: result order [${order.join(', ')}] does not match kept axes [${kept.join(', ')}]`);
    }
    for (const x of contracted) {
        if (!a.has(x) && !b.has(x)) throw new Error(`product: contracted axis ${x} is in neither operand`);
    }
    // Loop space: kept axes (in result order), then contracted ones innermost.
    const loopAxes = [...order, ...contracted.filter(x => all.axes.includes(x))];
    const loopDims = loopAxes.map(x => all.dims[all.axes.indexOf(x)]);
    const stridesA = axisStrides(a, loopAxes);
    const stridesB = axisStrides(b, loopAxes);
    const resultDims = loopDims.slice(0, order.length);
    const resultSize = resultDims.reduce((p, d) => p * d, 1);
    const inner = loopDims.slice(order.length).reduce((p, d) => p * d, 1);
    const out = new Float64Array(resultSize);
    const aData = a.data, bData = b.data;
    const rank = loopAxes.length;
    if (rank === 0) {
        out[0] = aData[0] * bData[0];
        return new NamedTensor(order, resultDims, out);
    }
    // Odometer over all loop axes; the innermost axis runs in a tight loop.
    const last = rank - 1;
    const lastDim = loopDims[last], lastA = stridesA[last], lastB = stridesB[last];
    const counter = new Array<number>(rank).fill(0);
    let offsetA = 0, offsetB = 0;
    const outer = (resultSize * inner) / lastDim;
    let flat = 0; // index of the current innermost run within the loop space
    for (let run = 0; run < outer; run++) {
        let ia = offsetA, ib = offsetB;
        if (last >= order.length) {
            // The innermost axis is contracted: accumulate into the current result cell.
            let sum = 0;
            for (let j = 0; j < lastDim; j++) {
                sum += aData[ia] * bData[ib];
                ia += lastA;
                ib += lastB;
            }
            out[Math.floor((flat * lastDim) / inner)] += sum;
        } else {
            // No contraction innermost means no contraction at all: write each product.
            const base = flat * lastDim;
            for (let j = 0; j < lastDim; j++) {
                out[base + j] = aData[ia] * bData[ib];
                ia += lastA;
                ib += lastB;
            }
        }
        flat++;
        // Advance the odometer over axes 0 … last-1.
        for (let k = last - 1; k >= 0; k--) {
            counter[k]++;
            offsetA += stridesA[k];
            offsetB += stridesB[k];
            if (counter[k] < loopDims[k]) break;
            offsetA -= stridesA[k] * loopDims[k];
            offsetB -= stridesB[k] * loopDims[k];
            counter[k] = 0;
        }
    }
    return new NamedTensor(order, resultDims, out);
}

/** Entries of `product(a, b, contracted)`, known before it allocates them. */
export function productSize(a: NamedTensor, b: NamedTensor, contracted: readonly number[] = []): number {
    const { axes, dims } = unionAxes(a, b);
    return dims.reduce((size, d, i) => contracted.includes(axes[i]) ? size : size * d, 1);
}

/** Entries of `a.add(b)`, known before it allocates them. */
export function sumSize(a: NamedTensor, b: NamedTensor): number {
    return productSize(a, b);
}

function unionAxes(a: NamedTensor, b: NamedTensor): { axes: number[]; dims: number[] } {
    const axes = [...a.axes];
    const dims = [...a.dims];
    b.axes.forEach((x, i) => {
        const j = axes.indexOf(x);
        if (j < 0) {
            axes.push(x);
            dims.push(b.dims[i]);
        } else if (dims[j] !== b.dims[i]) {
            throw new Error(`NamedTensor: axis ${x} has dim ${dims[j]} in one operand and ${b.dims[i]} in the other`);
        }
    });
    return { axes, dims };
}

export function stridesOf(dims: readonly number[]): number[] {
    const strides = new Array<number>(dims.length);
    let stride = 1;
    for (let i = dims.length - 1; i >= 0; i--) {
        strides[i] = stride;
        stride *= dims[i];
    }
    return strides;
}

/** The stride of each loop axis in tensor t (0 where t lacks the axis). */
function axisStrides(t: NamedTensor, loopAxes: readonly number[]): number[] {
    const strides = stridesOf(t.dims);
    return loopAxes.map(x => {
        const i = t.axes.indexOf(x);
        return i < 0 ? 0 : strides[i];
    });
}

/** Reads `source` with the given per-axis strides into a new row-major array of `dims`. */
function gather(source: Float64Array, dims: readonly number[], strides: readonly number[]): Float64Array {
    const size = dims.reduce((a, b) => a * b, 1);
    const out = new Float64Array(size);
    const rank = dims.length;
    if (rank === 0) {
        out[0] = source[0];
        return out;
    }
    const last = rank - 1;
    const lastDim = dims[last], lastStride = strides[last];
    const counter = new Array<number>(rank).fill(0);
    let offset = 0;
    for (let base = 0; base < size; base += lastDim) {
        let o = offset;
        for (let j = 0; j < lastDim; j++) {
            out[base + j] = source[o];
            o += lastStride;
        }
        for (let k = last - 1; k >= 0; k--) {
            counter[k]++;
            offset += strides[k];
            if (counter[k] < dims[k]) break;
            offset -= strides[k] * dims[k];
            counter[k] = 0;
        }
    }
    return out;
}

/**
 * Batches of an example set as tensors, and compiled programs (the model, the target) run
 * on them: what the training loop feeds its steps and how targets are computed once per set.
 */
import * as tf from '@tensorflow/tfjs';
import { shape, type ast } from '@cajal/language';
import { irChildren, type IrNode } from '@cajal/ir';
import type { Program } from '@cajal/compiler';
import { reshapeTo, runProgram } from '@cajal/runtime';
import { tfjsWasmBackend } from './adam.js';
import type { ExampleSet } from './data.js';
import type { linkNetworks } from './weights.js';

/** Which examples of a set a batch holds: a range [start, end) or a list of example indices. */
export type Rows = { readonly start: number; readonly end: number } | Int32Array;

/**
 * The rows of a set's fields as batch tensors [rows, ...shape], copied from the set's arrays:
 * no tensor of the whole set exists, and building a training batch records nothing on the
 * gradient tape (a tf.gather there made tfjs keep a copy of the whole set's tensor every step).
 */
export function fieldTensors(set: ExampleSet, fields: readonly ast.Binder[], rows: Rows): Map<ast.Binder, tf.Tensor> {
    const result = new Map<ast.Binder, tf.Tensor>();
    for (const field of fields) {
        const column = set.fields.get(field.name)!;
        const fieldShape = shape(column.type);
        result.set(field, rowsTensor(column.data, fieldShape.reduce((a, b) => a * b, 1), fieldShape, rows));
    }
    return result;
}

/**
 * Rows of a row-major array of `width` numbers per row, as a tensor [rows, ...rowShape]. On
 * tfjs-WASM the rows are copied straight into the new tensor's memory: building a batch array
 * in JS and then tf.tensor's copy of it into WASM memory cost about 3% of an AND-even step.
 */
export function rowsTensor(data: Float32Array, width: number, rowShape: readonly number[], rows: Rows): tf.Tensor {
    const wasm = tfjsWasmBackend();
    const count = rows instanceof Int32Array ? rows.length : rows.end - rows.start;
    if (wasm && count * width > 0) {
        const output = wasm.makeOutput([count, ...rowShape], 'float32');
        const memory = new Float32Array(wasm.wasm.asm.memory.buffer, wasm.dataIdMap.get(output.dataId)!.memoryOffset, count * width);
        if (!(rows instanceof Int32Array)) memory.set(data.subarray(rows.start * width, rows.end * width));
        else for (let r = 0; r < count; r++) memory.set(data.subarray(rows[r] * width, (rows[r] + 1) * width), r * width);
        return tf.engine().makeTensorFromTensorInfo(output);
    }
    if (!(rows instanceof Int32Array)) return tf.tensor(data.subarray(rows.start * width, rows.end * width), [rows.end - rows.start, ...rowShape]);
    const batch = new Float32Array(rows.length * width);
    for (let r = 0; r < rows.length; r++) batch.set(data.subarray(rows[r] * width, (rows[r] + 1) * width), r * width);
    return tf.tensor(batch, [rows.length, ...rowShape]);
}

/** A program's result as [batch, dim] (a result that does not depend on the batch is broadcast). */
export function runOnBatch(program: Program, inputs: tf.Tensor[], networks: ReturnType<typeof linkNetworks>, batch: number): tf.Tensor {
    const out = runProgram(program, inputs, networks);
    const width = out.size / out.shape[0];
    const rows = reshapeTo(out, [out.shape[0], width]);
    return out.shape[0] === batch ? rows : tf.broadcastTo(rows, [batch, width]);
}

/** The ids of the program inputs its body reads (a target often reads the labels only). */
function inputsRead(program: Program): Set<number> {
    const inputs = new Set(program.inputs.map(input => input.id));
    const read = new Set<number>();
    const visit = (node: IrNode): void => {
        if (node.op === 'var' && inputs.has(node.var.id)) read.add(node.var.id);
        irChildren(node).forEach(visit);
    };
    visit(program.body);
    return read;
}

/** The hot entry of each `width`-wide row, or undefined unless every row is exactly one-hot (one 1, the rest 0). */
function hotEntries(data: Float32Array, rows: number, width: number): Int32Array | undefined {
    const hot = new Int32Array(rows);
    for (let row = 0; row < rows; row++) {
        let found = -1;
        for (let j = 0, offset = row * width; j < width; j++) {
            const x = data[offset + j];
            if (x === 0) continue;
            if (x !== 1 || found >= 0) return undefined;
            found = j;
        }
        if (found < 0) return undefined;
        hot[row] = found;
    }
    return hot;
}

/**
 * A program (a train block's target) on every example of a set, [size, outputDim]. When every
 * input it reads holds basis vectors (labels: Bool, Nat[k], their pairs), an example's value
 * depends only on which basis vectors, so the program runs once per distinct combination seen
 * and the rows are gathered from those (AND-even: at most 100 rows for 35,000 examples);
 * otherwise it runs on every example, in chunks of 256 rows sliced from the columns. Both give
 * the same numbers (each row is the same computation); `evaluated` says how many rows ran.
 * `mode` forces a way (tests compare them).
 */
export function programOnExamples(program: Program, set: ExampleSet, fields: readonly ast.Binder[], networks: ReturnType<typeof linkNetworks>, outputDim: number, mode: 'auto' | 'every example' = 'auto'): { values: tf.Tensor; evaluated: number } {
    const shapeOfField = fields.map(field => shape(set.fields.get(field.name)!.type));
    const widthOf = (i: number) => shapeOfField[i].reduce((a, b) => a * b, 1);
    const run = (tensors: tf.Tensor[], batch: number) => runOnBatch(program, tensors, networks, batch);
    if (set.size === 0) return { values: tf.zeros([0, outputDim]), evaluated: 0 };
    const read = inputsRead(program);
    const readFields = fields.flatMap((_, i) => read.has(program.inputs[i].id) ? [i] : []);
    const hot = mode === 'auto' && program.externs.length === 0
        ? readFields.map(i => hotEntries(set.fields.get(fields[i].name)!.data, set.size, widthOf(i)))
        : undefined;
    if (hot && hot.every(h => h !== undefined)) {
        // Examples by their combination of basis vectors (the key), the first example of each kept.
        const combination = new Map<string, number>();
        const representatives: number[] = [];
        const rowOf = new Int32Array(set.size);
        for (let example = 0; example < set.size; example++) {
            const key = hot.map(h => h![example]).join(',');
            let row = combination.get(key);
            if (row === undefined) {
                row = representatives.length;
                combination.set(key, row);
                representatives.push(example);
            }
            rowOf[example] = row;
        }
        const values = tf.tidy(() => {
            const count = representatives.length;
            // The inputs it does not read get zeros (they never reach the result).
            const tensors = fields.map((field, i) => {
                if (!read.has(program.inputs[i].id)) return tf.zeros([count, ...shapeOfField[i]]);
                const column = set.fields.get(field.name)!.data;
                const width = widthOf(i);
                const rows = new Float32Array(count * width);
                representatives.forEach((example, r) => rows.set(column.subarray(example * width, (example + 1) * width), r * width));
                return tf.tensor(rows, [count, ...shapeOfField[i]]);
            });
            return tf.gather(run(tensors, count), tf.tensor1d(rowOf, 'int32'));
        });
        return { values, evaluated: representatives.length };
    }
    const chunks: tf.Tensor[] = [];
    const chunk = 256;
    for (let start = 0; start < set.size; start += chunk) {
        const end = Math.min(set.size, start + chunk);
        // The chunk's rows only, straight from the columns (uploading a whole column per chunk
        // made this quadratic in the set's size).
        chunks.push(tf.tidy(() => run(fields.map((field, i) => {
            const width = widthOf(i);
            return tf.tensor(set.fields.get(field.name)!.data.subarray(start * width, end * width), [end - start, ...shapeOfField[i]]);
        }), end - start)));
    }
    const values = tf.concat(chunks, 0);
    tf.dispose(chunks);
    return { values, evaluated: set.size };
}

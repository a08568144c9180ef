import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { contract, currentBackend, encodeNat, gate, initBackend, iterate } from '@cajal/runtime';

const runtimeEntry = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../out/index.js')).href;

/** Runs an ES module snippet in a fresh Node process (backend state is per process). */
function runNode(source: string): { stdout: string; stderr: string; status: number | null } {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8', timeout: 60_000 });
    return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** `values` equal `expected` within 1e-4, relative where entries exceed 1 (WASM's sums run in another order than CPU's). */
function expectClose(values: readonly number[], expected: readonly number[]): void {
    expect(values.length).toBe(expected.length);
    expected.forEach((x, k) => expect(Math.abs(values[k] - x)).toBeLessThan(1e-4 * Math.max(1, Math.abs(x))));
}

/** `compute` on the CPU backend, then on WASM, where it must leave no tensor behind. */
async function onCpuThenWasm<T>(compute: () => T): Promise<{ onCpu: T; onWasm: T }> {
    await initBackend('cpu');
    const onCpu = compute();
    await initBackend('wasm');
    const tensorsBefore = tf.memory().numTensors;
    const onWasm = compute();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    return { onCpu, onWasm };
}

/** A small compiled-style program: a recurrent neuron whose step is a bilinear contraction, gated. */
function program(seed: number): number[] {
    return tf.tidy(() => {
        const t = tf.randomUniform([6, 6, 3], -1, 1, 'float32', seed);
        const w = tf.randomUniform([6, 6], -0.5, 0.5, 'float32', seed + 1);
        const u = tf.randomUniform([4, 3], 0, 1, 'float32', seed + 2);
        const base = tf.randomUniform([4, 6], -1, 1, 'float32', seed + 3);
        const n = encodeNat([0, 2, 5, 7], 8);
        const iterated = iterate(n, base, x => contract(t, [tf.matMul(x, w), u]));
        const c = tf.tensor2d([[1, 0], [0, 1], [0.5, 0.5], [0.9, 0.1]]);
        return Array.from(gate(c, iterated, base).dataSync());
    });
}

describe('backend selection', () => {
    it('initialises both backends, and auto prefers WASM', async () => {
        expect(await initBackend('cpu')).toEqual({ backend: 'cpu', reason: 'requested' });
        expect(currentBackend()).toBe('cpu');
        expect(await initBackend('wasm')).toEqual({ backend: 'wasm', reason: 'requested' });
        expect(currentBackend()).toBe('wasm');
        await initBackend('cpu');
        expect(await initBackend('auto')).toEqual({ backend: 'wasm', reason: 'auto: WASM initialised' });
        expect(await initBackend()).toEqual({ backend: 'wasm', reason: 'auto: WASM initialised' });
    });

    it('gives equal results on WASM and CPU', async () => {
        await initBackend('cpu');
        const onCpu = program(7);
        await initBackend('wasm');
        const onWasm = program(7);
        expect(onWasm.length).toBe(onCpu.length);
        expect(onCpu.some(x => x !== 0)).toBe(true);
        expectClose(onWasm, onCpu);
    });

    it('computes transposed matrix products on WASM (a wrapped kernel) exactly as on CPU, with gradients', async () => {
        const cases: Array<[number[], number[], boolean, boolean]> = [
            [[5, 7], [7, 3], false, false], [[7, 5], [7, 3], true, false], [[5, 7], [3, 7], false, true], [[7, 5], [3, 7], true, true],
            [[4, 7, 5], [4, 3, 7], true, true], [[4, 5, 7], [1, 7, 3], false, false], [[1, 7, 5], [4, 7, 3], true, false],
            // Axes of size 1 make the transpose a no-op that shares its input's data.
            [[1, 7], [3, 7], false, true], [[7, 1], [7, 3], true, false], [[7, 1], [1, 7], true, true],
        ];
        const compute = () => cases.map(([shapeA, shapeB, transposeA, transposeB], i) => tf.tidy(() => {
            const a = tf.randomUniform(shapeA, -1, 1, 'float32', 100 + i);
            const b = tf.randomUniform(shapeB, -1, 1, 'float32', 200 + i);
            const product = tf.matMul(a, b, transposeA, transposeB);
            // tfjs has no gradient for products that broadcast the batch axis (on any backend).
            const broadcasts = shapeA.length === 3 && shapeA[0] !== shapeB[0];
            const gradients = broadcasts ? [] : tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, transposeA, transposeB).square().sum())([a, b]);
            // Reading the inputs again checks the wrapper released only its own copies.
            return [product, ...gradients, a, b].map(t => Array.from(t.dataSync()));
        }));
        const { onCpu, onWasm } = await onCpuThenWasm(compute);
        onCpu.forEach((results, i) => results.forEach((values, j) => expectClose(onWasm[i][j], values)));
    });

    it('keeps the transpose of a right operand multiplied transposed again (an iterated step\'s backward) without going stale', async () => {
        // The iterate neuron's d/dW multiplies each step's gradient by Wᵀ: from the second such
        // product on, the WASM kernel keeps Wᵀ. Another live weight, a weight disposed and one
        // made afterwards (which may reuse its memory) must each get their own transpose.
        const results = () => {
            const base = tf.randomUniform([6, 5], -1, 1, 'float32', 1);
            const n = encodeNat([0, 3, 5, 7, 2, 6], 8);
            const dys = [11, 12, 13].map(s => tf.randomUniform([6, 5], -1, 1, 'float32', s));
            const weights = [2, 3].map(seed => tf.randomUniform([5, 5], -0.6, 0.6, 'float32', seed));
            const gradient = (w: tf.Tensor) => tf.grad((v: tf.Tensor) => iterate(n, base, x => tf.matMul(x, v)).square().sum())(w);
            const out: tf.Tensor[] = [];
            // Two live weights, each multiplied transposed twice in turn, then the iterate's gradients.
            for (const w of [...weights, ...weights]) for (const dy of dys) out.push(tf.matMul(dy, w, false, true), tf.matMul(dy, w, false, true));
            out.push(...weights.map(gradient));
            const read = out.map(t => Array.from(t.dataSync()));
            tf.dispose([...out, ...weights]);
            // A weight made after the others were disposed.
            const later = tf.randomUniform([5, 5], -0.6, 0.6, 'float32', 4);
            const laterGradient = gradient(later);
            const laterProducts = dys.map(dy => tf.matMul(dy, later, false, true));
            read.push(...[laterGradient, ...laterProducts].map(t => Array.from(t.dataSync())));
            tf.dispose([base, n, ...dys, later, laterGradient, ...laterProducts]);
            return read;
        };
        const { onCpu, onWasm } = await onCpuThenWasm(results);
        // The weights differ, so a transpose kept for the wrong one gives other values.
        expect(onCpu[0]).not.toEqual(onCpu[6]);
        expect(onCpu.at(-4)!.some(x => Math.abs(x) > 1e-3)).toBe(true);
        onCpu.forEach((values, i) => expectClose(onWasm[i], values));
    });

    it('clones on WASM by sharing the data (no copy), which outlives the original, and saved tensors give the same gradients as on CPU', async () => {
        await initBackend('wasm');
        const backend = tf.backend() as unknown as { refCount(dataId: object): number };
        const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
        const copy = tf.clone(x);
        expect(copy.dataId).toBe(x.dataId);
        expect(backend.refCount(x.dataId)).toBe(2);
        x.dispose();
        expect(backend.refCount(copy.dataId)).toBe(1);
        expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
        copy.dispose();
        expect(backend.refCount(copy.dataId)).toBe(0);
        const strings = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
        expect(strings.arraySync()).toEqual(['a', 'b']);
        strings.dispose();

        // Under the tape every kernel saves its inputs by cloning them: a reshape chain, a
        // product and a custom op whose forward saves what its backward reads.
        const custom = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
            const y = tf.mul(a, a);
            save([a, y]);
            return { value: y, gradFunc: (dy: tf.Tensor, [aSaved, ySaved]: tf.Tensor[]) => tf.mul(dy, tf.add(tf.mul(aSaved, 2), tf.mul(ySaved, 0))) };
        }) as unknown as Parameters<typeof tf.customGrad>[0]);
        const gradients = () => tf.tidy(() => {
            const a = tf.randomUniform([6, 4], -1, 1, 'float32', 3);
            const w = tf.randomUniform([4, 5], -1, 1, 'float32', 4);
            const f = (a: tf.Tensor, w: tf.Tensor) => custom(tf.matMul(a.reshape([2, 3, 4]).reshape([6, 4]), w)).sum();
            return tf.grads(f)([a, w]).map(g => Array.from(g.dataSync()));
        });
        const { onCpu, onWasm } = await onCpuThenWasm(gradients);
        onCpu.forEach((values, i) => values.forEach((v, k) => expect(Math.abs(onWasm[i][k] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)))));
    });

    it('transposes on WASM (4×4 SIMD blocks where the last two axes swap and are multiples of 4) exactly as on CPU', async () => {
        await initBackend('wasm');
        expect((tf.getKernel('Transpose', 'wasm') as unknown as Record<symbol, boolean>)[Symbol.for('cajal.blockTranspose')]).toBe(true);
        const cases: Array<[number[], number[] | undefined, 'float32' | 'int32']> = [
            // The block kernel: matrices and batches of them, the AND-even weights and batches.
            [[4, 4], undefined, 'float32'], [[8, 12], [1, 0], 'float32'], [[64, 784], undefined, 'float32'], [[784, 64], undefined, 'float32'],
            [[3, 8, 4], [0, 2, 1], 'float32'], [[2, 2, 4, 8], [0, 1, 3, 2], 'float32'],
            // The original kernel: other sizes, permutations and dtypes.
            [[5, 8], undefined, 'float32'], [[8, 6], undefined, 'float32'], [[1, 4], undefined, 'float32'], [[4, 8, 4], [2, 0, 1], 'float32'],
            [[4, 8, 4], [1, 0, 2], 'float32'], [[8, 12], undefined, 'int32'], [[0, 4], undefined, 'float32'],
        ];
        const compute = () => cases.map(([shape, perm, dtype], i) => tf.tidy(() => {
            const x = tf.randomUniform(shape, -100, 100, dtype, 300 + i);
            const y = tf.transpose(x, perm);
            return { shape: y.shape, values: y.dataSync(), input: x.dataSync() };
        }));
        const { onCpu, onWasm } = await onCpuThenWasm(compute);
        const differences = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length ? Array.from(a).filter((x, k) => x !== b[k]).length : -1;
        onCpu.forEach((expected, i) => {
            expect(differences(onWasm[i].input, expected.input), `case ${i}: the input`).toBe(0);
            expect(onWasm[i].shape).toEqual(expected.shape);
            expect(differences(onWasm[i].values, expected.values), `case ${i}: entries differing`).toBe(0);
        });
    });

    it('rejects an unknown preference', async () => {
        await expect(initBackend('gpu' as never)).rejects.toThrow("unknown backend 'gpu': expected auto, wasm or cpu");
    });

    it('auto falls back to CPU with the reason when the WASM binaries are missing; wasm then fails clearly', () => {
        const result = runNode(`
            import { initBackend } from ${JSON.stringify(runtimeEntry)};
            const auto = await initBackend('auto', { wasmDirectory: '/nonexistent/cajal-wasm' });
            let wasmError = null;
            try { await initBackend('wasm'); } catch (error) { wasmError = error.message; }
            console.log(JSON.stringify({ auto, wasmError }));
        `);
        expect(result.status).toBe(0);
        const { auto, wasmError } = JSON.parse(result.stdout);
        expect(auto.backend).toBe('cpu');
        expect(auto.reason).toMatch(/^auto: WASM unavailable \(missing tfjs-backend-wasm\.wasm, tfjs-backend-wasm-simd\.wasm in \/nonexistent\/cajal-wasm\); using CPU$/);
        expect(wasmError).toMatch(/^the WASM backend could not be initialised: missing tfjs-backend-wasm\.wasm/);
    });

    it('reports why WASM failed when a binary is corrupt, and computes on CPU without tfjs banners', () => {
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-bad-wasm-'));
        for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) fs.writeFileSync(path.join(directory, file), 'garbage');
        const result = runNode(`
            import * as tf from '@tensorflow/tfjs';
            import { initBackend } from ${JSON.stringify(runtimeEntry)};
            const auto = await initBackend('auto', { wasmDirectory: ${JSON.stringify(directory)} });
            const sum = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync();
            console.log(JSON.stringify({ auto, sum }));
        `);
        fs.rmSync(directory, { recursive: true, force: true });
        expect(result.status).toBe(0);
        const { auto, sum } = JSON.parse(result.stdout);
        expect(auto.backend).toBe('cpu');
        expect(auto.reason).toMatch(/^auto: WASM unavailable \(.*CompileError.*\); using CPU$/);
        expect(sum).toEqual([4, 6]);
        expect(result.stderr).not.toMatch(/looks like you are running TensorFlow\.js in Node/);
    });
});

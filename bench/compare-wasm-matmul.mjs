/**
 * Our WASM matrix product against tfjs's XNNPACK one, in one process, CPU time, 5 interleaved
 * rounds (docs/training.md, "Our own matrix product on WASM"): products at given shapes, and the
 * iterate-784 neuron (k = 10, batch 512) forward and forward+backward with the runtime's 'auto'
 * choice against XNNPACK only. Run it with the Node to measure (relaxed SIMD from Node 22).
 *
 *   node bench/compare-wasm-matmul.mjs                    (the default shapes, then iterate-784)
 *   node bench/compare-wasm-matmul.mjs M K N [tA tB]      (one product; tA, tB: 1 = transposed)
 *
 * Uses the built packages (out/).
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './timing.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { encodeNat, initBackend, iterate, ownWasmGemmStats, useOwnWasmGemm } = await import(pathToFileURL(path.join(root, 'packages/runtime/out/index.js')).href);
await initBackend('wasm');
const tf = await import('@tensorflow/tfjs');
const cpuSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
};
const ROUNDS = 5;
console.log(`Node ${process.versions.node}; our kernel ${ownWasmGemmStats().fusedMultiplyAdd ? 'with' : 'without'} fused multiply-add`);

const shapes = process.argv.length > 2 ? [process.argv.slice(2).map(Number)]
    : [[512, 784, 784], [64, 784, 400], [784, 64, 400, 1, 0], [64, 400, 784, 0, 1], [512, 784, 784, 0, 1], [32, 784, 784], [8, 784, 784]];
for (const [m, k, n, transposeA = 0, transposeB = 0] of shapes) {
    const a = tf.randomNormal(transposeA ? [k, m] : [m, k], 0, 1, 'float32', 1), b = tf.randomNormal(transposeB ? [n, k] : [k, n], 0, 1, 'float32', 2);
    const medianSeconds = () => {
        const times = [];
        for (let i = -2; i < 7; i++) {
            const start = cpuSeconds();
            const product = tf.matMul(a, b, transposeA === 1, transposeB === 1);
            product.dataSync();
            if (i >= 0) times.push(cpuSeconds() - start);
            product.dispose();
        }
        return median(times);
    };
    const own = [], xnnpack = [], speedUps = [];
    for (let round = 0; round < ROUNDS; round++) {
        useOwnWasmGemm('always');
        own.push(medianSeconds());
        useOwnWasmGemm('never');
        xnnpack.push(medianSeconds());
        speedUps.push(xnnpack[round] / own[round]);
    }
    const gflops = seconds => (2 * m * k * n / seconds / 1e9).toFixed(1);
    const name = `${m}×${k}${transposeA ? 'ᵀ' : ''}·${k}×${n}${transposeB ? 'ᵀ' : ''}`;
    console.log(`${name}: ours ${gflops(median(own))} GFLOP/s, XNNPACK ${gflops(median(xnnpack))}, ours ${median(speedUps).toFixed(2)}× faster (rounds ${speedUps.map(s => s.toFixed(2)).join(', ')})`);
    tf.dispose([a, b]);
}

if (process.argv.length <= 2) {
    const k = 10, width = 784, batch = 512;
    const weight = tf.variable(tf.randomNormal([width, width], 0, 1 / Math.sqrt(width), 'float32', 3));
    const images = tf.randomUniform([batch, width], 0, 1, 'float32', 4);
    const counts = encodeNat(Array.from({ length: batch }, (_, i) => i % k), k);
    const forward = () => tf.tidy(() => { iterate(counts, images, x => tf.matMul(x, weight)).dataSync(); });
    const forwardBackward = () => tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => iterate(counts, images, x => tf.matMul(x, weight)).square().mean(), [weight]);
        value.dataSync();
        grads[weight.name].dataSync();
    });
    const times = { auto: { forward: [], both: [] }, never: { forward: [], both: [] } };
    for (let round = 0; round < ROUNDS; round++) {
        for (const mode of ['never', 'auto']) {
            useOwnWasmGemm(mode);
            forward();
            forwardBackward();
            let start = cpuSeconds();
            forward();
            times[mode].forward.push(cpuSeconds() - start);
            start = cpuSeconds();
            forwardBackward();
            times[mode].both.push(cpuSeconds() - start);
        }
    }
    const perExample = seconds => (seconds * 1e6 / batch).toFixed(0);
    for (const mode of ['never', 'auto']) {
        console.log(`iterate-784, batch ${batch}, ${mode === 'auto' ? "'auto'" : 'XNNPACK only'}: forward ${perExample(median(times[mode].forward))} µs/example, forward+backward ${perExample(median(times[mode].both))} µs/example (CPU)`);
    }
    useOwnWasmGemm('auto');
    tf.dispose([weight, images, counts]);
}

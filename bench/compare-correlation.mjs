/**
 * The hyperconv step's per-image correlation on tfjs-WASM: our SIMD kernels
 * (packages/train/src/wasm-correlation.ts) against the depthwise-convolution path they replace
 * (useWasmCorrelationKernels(false)), in one process, CPU time, interleaved rounds
 * (docs/training.md): 64 images 28×28 with 13×13 kernels, the forward pass and forward+both
 * gradients; then the linked dilation model (examples/train/dilation.cajal, train dilation: the
 * digit reader and nine hyperconv steps) on a batch of 64 MNIST digits, forward and
 * forward+backward (L1 loss, tf.variableGrads over all its weights). Run it with the Node to
 * measure (relaxed SIMD's fused multiply-add from Node 22).
 *
 *   node bench/compare-correlation.mjs [--rounds=5]
 *
 * Uses the built packages (out/).
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './timing.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = file => pathToFileURL(path.join(root, 'packages', file)).href;
const { loadFiles } = await import(built('language/out/index.js'));
const { findTraining, perImageCorrelation, prepareTraining, useWasmCorrelationKernels } = await import(built('train/out/index.js'));
const { correlationUsesFusedMultiplyAdd } = await import(built('train/out/wasm-correlation.js'));
const { fieldTensors } = await import(built('train/out/batches.js'));
const rounds = Number(process.argv.find(a => a.startsWith('--rounds='))?.slice(9) ?? 5);
const cpuSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
};

const workspace = await loadFiles([path.join(root, 'examples/train/dilation.cajal')]);
const training = findTraining(workspace.requested[0].parseResult.value, 'dilation');
const prepared = await prepareTraining(training, workspace.services, { backend: 'wasm', examples: 64, test: 0, epochs: 1, seed: 1 });
const tf = await import('@tensorflow/tfjs');
console.log(`Node ${process.versions.node}, backend ${tf.getBackend()}; the kernels ${correlationUsesFusedMultiplyAdd() ? 'with' : 'without'} fused multiply-add`);

const x = tf.randomUniform([64, 28, 28], 0, 1, 'float32', 1);
const k = tf.randomNormal([64, 13, 13], 0, 0.1, 'float32', 2);
const probe = tf.randomUniform([64, 28, 28], 0, 1, 'float32', 3);
const rows = Int32Array.from({ length: 64 }, (_, i) => i);
const inputs = fieldTensors(prepared.data.train, prepared.fields, rows);
const target = tf.gather(prepared.trainTargets, tf.tensor1d(rows, 'int32'));
const cases = {
    'correlation forward': () => perImageCorrelation(x, k).dataSync(),
    'correlation forward + both gradients': () => tf.tidy(() => {
        const [dx, dk] = tf.grads((a, c) => tf.sum(tf.mul(perImageCorrelation(a, c), probe)))([x, k]);
        dx.dataSync();
        dk.dataSync();
    }),
    'dilation model forward, batch 64': () => tf.tidy(() => prepared.predict(inputs, 64).dataSync()),
    'dilation model forward + backward, batch 64': () => tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(prepared.predict(inputs, 64).reshape(target.shape), target))));
        value.dataSync();
        for (const g of Object.values(grads)) g.dataSync();
    })
};
const reps = { 'correlation forward': 21, 'correlation forward + both gradients': 21, 'dilation model forward, batch 64': 5, 'dilation model forward + backward, batch 64': 5 };
const times = {};
for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
        for (const ours of [true, false]) {
            useWasmCorrelationKernels(ours);
            run(); // untimed
            const each = [];
            for (let i = 0; i < reps[name]; i++) {
                const started = cpuSeconds();
                run();
                each.push(cpuSeconds() - started);
            }
            ((times[name] ??= { ours: [], depthwise: [] })[ours ? 'ours' : 'depthwise']).push(median(each));
        }
    }
}
useWasmCorrelationKernels(true);
for (const [name, { ours, depthwise }] of Object.entries(times)) {
    const ratios = ours.map((t, i) => depthwise[i] / t);
    console.log(`${name}: ours ${(median(ours) * 1e3).toFixed(2)} ms, depthwise ${(median(depthwise) * 1e3).toFixed(2)} ms, ${median(ratios).toFixed(2)}× faster (rounds ${ratios.map(r => r.toFixed(2)).join(', ')})`);
}
tf.dispose([x, k, probe, target, ...inputs.values()]);
prepared.dispose();

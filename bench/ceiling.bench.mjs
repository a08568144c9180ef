/**
 * The ceiling of tfjs-WASM on this CPU (issue 14): the throughput of one matrix product, in
 * GFLOP/s, on tfjs-WASM's own kernel (XNNPACK, 128-bit SIMD without fused multiply-add, one
 * thread under Node), on our SIMD kernel (packages/runtime/src/wasm-gemm.ts: with relaxed
 * SIMD's fused multiply-add on Node ≥ 22, plain SIMD before) and on PyTorch 1.13 with OpenBLAS
 * on one thread, at the shapes of the two training workloads the torch bench compares: the
 * iterate-784 step (batch 512 · 784 → 784) and the AND-even first layer (batch 64 · 784 → 400).
 * All multiply by weights they have seen before (XNNPACK's best case: the packed weights are
 * cached; ours reads them in place and packs the input on every product). Work made only of these products cannot run
 * faster on tfjs-WASM than the ratio rows times PyTorch's time; the runtime's 'auto' mode takes
 * the faster WASM kernel (ours where relaxed SIMD is there).
 * Times are CPU times of the one thread (process.cpuUsage, time.process_time), so that other
 * work on a shared machine slows neither side's figure.
 * Needs a Python with torch (CAJAL_PYTHON, python3 or /usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './timing.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = name => pathToFileURL(path.join(root, `packages/${name}/out/index.js`)).href;
/** CPU seconds used by this process (its one computing thread). */
const cpuSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
};
const SHAPES = [
    { name: 'iterate-784 step', m: 512, k: 784, n: 784 },
    { name: 'AND-even layer', m: 64, k: 784, n: 400 }
];

const TORCH_MATMUL = String.raw`
import json, sys, time, torch
torch.set_num_threads(1)
m, k, n, reps = (int(a) for a in sys.argv[1:5])
g = torch.Generator().manual_seed(1)
a, b = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g)
for _ in range(3): a @ b
times = []
for _ in range(reps):
    start = time.process_time(); a @ b; times.append(time.process_time() - start)
times.sort()
print(json.dumps({"seconds": times[len(times) // 2]}))
`;

export default async function run(ctx) {
    const { findTorchPython } = await import(entry('train'));
    const { initBackend, ownWasmGemmStats, useOwnWasmGemm } = await import(entry('runtime'));
    const python = findTorchPython().python;
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    await initBackend('wasm');
    const tf = await import('@tensorflow/tfjs');
    const reps = ctx.quick ? 5 : 21;
    const rounds = ctx.quick ? 1 : 5;
    const rows = [];
    const ownKernel = `own SIMD kernel${ownWasmGemmStats().fusedMultiplyAdd ? ', FMA' : ''}`;
    const previousMode = useOwnWasmGemm('never');
    for (const { name, m, k, n } of SHAPES) {
        const flops = 2 * m * k * n;
        const rowName = engine => `matmul ${m}×${k}·${k}×${n} (${name}), 1 thread, ${engine}`;
        if (![rowName('tfjs-wasm'), rowName(`tfjs-wasm ${ownKernel}`), rowName('PyTorch')].some(row => ctx.wants('ceiling', row))) continue;
        const a = tf.randomNormal([m, k], 0, 1, 'float32', 1), b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
        const tfjsMedian = mode => {
            useOwnWasmGemm(mode);
            const productsBefore = ownWasmGemmStats().products;
            const times = [];
            for (let i = -3; i < reps; i++) {
                const started = cpuSeconds();
                const product = tf.matMul(a, b);
                product.dataSync();
                if (i >= 0) times.push(cpuSeconds() - started);
                product.dispose();
            }
            // Each row measures the kernel it names.
            if ((ownWasmGemmStats().products > productsBefore) !== (mode === 'always')) throw new Error(`the ${mode} matmul did not run on the kernel it measures`);
            return median(times);
        };
        const torchMedian = () => {
            const torch = spawnSync(python, ['-c', TORCH_MATMUL, String(m), String(k), String(n), String(reps)], { env, encoding: 'utf-8' });
            if (torch.status !== 0) throw new Error(`PyTorch matmul failed: ${torch.stderr}`);
            return JSON.parse(torch.stdout).seconds;
        };
        // Rounds of (XNNPACK, ours, PyTorch) back to back, so load on a shared machine moves a round, not the ratios.
        const xnnpackTimes = [], ownTimes = [], torchTimes = [], xnnpackRatios = [], ownRatios = [];
        for (let round = 0; round < rounds; round++) {
            xnnpackTimes.push(tfjsMedian('never'));
            ownTimes.push(tfjsMedian('always'));
            torchTimes.push(torchMedian());
            xnnpackRatios.push(xnnpackTimes[round] / torchTimes[round]);
            ownRatios.push(ownTimes[round] / torchTimes[round]);
        }
        tf.dispose([a, b]);
        const gflops = seconds => flops / seconds / 1e9;
        const xnnpackSeconds = median(xnnpackTimes), ownSeconds = median(ownTimes), torchSeconds = median(torchTimes);
        const rounded = ratios => ratios.map(r => r.toFixed(2)).join(', ');
        rows.push({ suite: 'ceiling', name: rowName('tfjs-wasm'), value: gflops(xnnpackSeconds), unit: 'GFLOP/s', note: `XNNPACK; median of ${rounds} rounds of ${reps} products (CPU time), weights cached` });
        rows.push({ suite: 'ceiling', name: rowName(`tfjs-wasm ${ownKernel}`), value: gflops(ownSeconds), unit: 'GFLOP/s', note: `Node ${process.versions.node}; median of ${rounds} rounds of ${reps} products (CPU time), weights read in place, the input packed on every product` });
        rows.push({ suite: 'ceiling', name: rowName('PyTorch'), value: gflops(torchSeconds), unit: 'GFLOP/s', note: `median of ${rounds} rounds of ${reps} products (CPU time), OpenBLAS` });
        rows.push({
            suite: 'ceiling', name: `matmul time tfjs-wasm ÷ PyTorch (${name}): the floor of a matmul-bound ratio`, value: median(xnnpackRatios), unit: '×',
            note: `XNNPACK; median of rounds ${rounded(xnnpackRatios)}`
        });
        rows.push({
            suite: 'ceiling', name: `matmul time tfjs-wasm ${ownKernel} ÷ PyTorch (${name}): the floor with our kernel`, value: median(ownRatios), unit: '×',
            note: `Node ${process.versions.node}; median of rounds ${rounded(ownRatios)}`
        });
        ctx.log(`${name}: tfjs-wasm XNNPACK ${gflops(xnnpackSeconds).toFixed(1)} GFLOP/s, ${ownKernel} ${gflops(ownSeconds).toFixed(1)}, PyTorch ${gflops(torchSeconds).toFixed(1)}`);
    }
    useOwnWasmGemm(previousMode);
    return rows;
}

/**
 * Runtime benchmarks with the built @cajal/runtime (packages/runtime/out):
 * - matmul throughput on each backend (why 'auto' prefers WASM);
 * - a recurrent neuron on the pure-JS CPU backend: iterate over Nat (k = 10) whose step is a
 *   784→784 linear layer, per example (on WASM against PyTorch: recurrent.bench.mjs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { timeMs } from './timing.mjs';

const runtimeEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/runtime/out/index.js');


export default async function run(ctx) {
    if (!existsSync(runtimeEntry)) throw new Error('packages/runtime/out is missing: build it with npx tsc -b packages/runtime');
    const { initBackend, iterate, encodeNat } = await import(pathToFileURL(runtimeEntry).href);
    const rows = [];

    // What `cajal run` pays before computing anything: loading tfjs and starting WASM, in a fresh process.
    if (ctx.wants('runtime', 'startup: import runtime + initBackend(auto)')) {
        const script = `const t0 = performance.now();
            const { initBackend } = await import(${JSON.stringify(pathToFileURL(runtimeEntry).href)});
            const choice = await initBackend('auto');
            console.log(JSON.stringify({ ms: performance.now() - t0, backend: choice.backend }));`;
        const times = [];
        let backend;
        for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
            const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
            if (result.status !== 0) throw new Error(`startup probe failed: ${result.stderr}`);
            const parsed = JSON.parse(result.stdout.trim().split('\n').pop());
            times.push(parsed.ms);
            backend = parsed.backend;
        }
        times.sort((a, b) => a - b);
        rows.push({ suite: 'runtime', name: 'startup: import runtime + initBackend(auto)', value: times[Math.floor(times.length / 2)], unit: 'ms', note: `backend ${backend}; excludes Node's own start` });
    }

    for (const backend of ['wasm', 'cpu']) {
        const choice = await initBackend(backend);
        if (choice.backend !== backend) throw new Error(`asked for ${backend}, got ${choice.backend}`);

        const size = 512;
        if (ctx.wants('runtime', `matmul ${size}x${size} ${backend}`)) {
            const a = tf.randomNormal([size, size]);
            const b = tf.randomNormal([size, size]);
            const slow = backend === 'cpu';
            const ms = timeMs(() => tf.tidy(() => { tf.matMul(a, b).dataSync(); }), {
                warmup: 1, repetitions: ctx.quick ? (slow ? 1 : 3) : (slow ? 3 : 10),
            });
            rows.push({ suite: 'runtime', name: `matmul ${size}x${size} ${backend}`, value: (2 * size ** 3) / (ms * 1e6), unit: 'GFLOP/s' });
            ctx.log(`matmul ${backend}: ${ms.toFixed(1)} ms`);
            tf.dispose([a, b]);
        }

        // The iterate-784 neuron on WASM, against PyTorch, is recurrent.bench.mjs's; here on the
        // pure-JS CPU backend, for the choice of backend.
        if (backend !== 'cpu') continue;
        const k = 10;
        const width = 784;
        // A small batch keeps the run short (per-example cost is what we report).
        const batch = ctx.quick ? 64 : 256;
        const name = `iterate Nat k=${k}, step 784→784 linear, batch ${batch}, ${backend}`;
        if (ctx.wants('runtime', name)) {
            const weight = tf.randomNormal([width, width], 0, 1 / Math.sqrt(width));
            const images = tf.randomUniform([batch, width]);
            const counts = encodeNat(Array.from({ length: batch }, (_, i) => i % k), k);
            const step = x => tf.matMul(x, weight);
            const forward = () => tf.tidy(() => { iterate(counts, images, step).dataSync(); });
            const ms = timeMs(forward, { warmup: 1, repetitions: 1 });
            rows.push({ suite: 'runtime', name, value: (ms * 1000) / batch, unit: 'µs/example', note: 'forward, wall time' });
            ctx.log(`${name}: ${ms.toFixed(0)} ms per batch`);

            tf.dispose([weight, images, counts]);
        }
    }
    return rows;
}

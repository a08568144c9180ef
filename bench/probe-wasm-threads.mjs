/**
 * Does tfjs-backend-wasm 4.22's threaded SIMD build run under Node, and does it multiply faster?
 * (issue 14; the answer is in docs/training.md: no.) tfjs turns threads off under Node
 * (WASM_HAS_MULTITHREAD_SUPPORT is false there, tfjs issue 3830); forced on, its pthread workers
 * start from blob: URLs, which Node's worker_threads refuse, and the worker script expects the
 * node bundle's rollup globals. This probe patches all three (Blob and URL.createObjectURL write
 * the scripts to temporary files) so that the build starts, then reports the thread count the
 * backend got and the wall and CPU time of the ceiling bench's two products.
 *
 *   node bench/probe-wasm-threads.mjs [THREADS]   (1: the plain SIMD build; 0: the library's default count; default 2)
 *
 * A probe, not a bench: it patches globals and leaves two files in the temporary folder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median } from './timing.mjs';

const threads = Number(process.argv[2] ?? 2);
const mainScript = path.join(os.tmpdir(), `cajal-tfjs-wasm-main-${process.pid}.js`);
const workerScript = path.join(os.tmpdir(), `cajal-tfjs-wasm-worker-${process.pid}.cjs`);
const NativeBlob = globalThis.Blob;
globalThis.Blob = class extends NativeBlob {
    constructor(parts, options) {
        super(parts, options);
        this.parts = parts;
        // The main script the workers load (tfjs hands it to them as a Blob).
        if (String(parts[0]).startsWith('var WasmBackendModuleThreadedSimd')) fs.writeFileSync(mainScript, parts.join(''));
    }
};
// The worker script: a file instead of a blob: URL, told where the main script is and given the bundle's globals.
URL.createObjectURL = blob => {
    const prelude = `URL.createObjectURL = () => ${JSON.stringify(mainScript)}; URL.revokeObjectURL = () => {};
Object.assign(globalThis, { require$$0: require('fs'), require$$1: require('path'), require$$3: require('perf_hooks'), require$$4: require('os'), commonjsGlobal: globalThis });\n`;
    fs.writeFileSync(workerScript, prelude + blob.parts.join(''));
    return workerScript;
};

const tf = await import('@tensorflow/tfjs');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads !== 1);
if (threads > 0) wasm.setThreadsCount(threads);
wasm.setWasmPaths(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url).pathname);
const started = await Promise.race([tf.setBackend('wasm'), new Promise(resolve => setTimeout(() => resolve('timed out'), 20_000))]);
console.log(`Node ${process.versions.node}: asked for ${threads || 'the default number of'} thread(s); backend started: ${started}; threads: ${wasm.getThreadsCount()}`);
const cpuSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
};
for (const [m, k, n] of [[512, 784, 784], [64, 784, 400]]) {
    const a = tf.randomNormal([m, k]), b = tf.randomNormal([k, n]);
    const walls = [], cpus = [];
    for (let i = -3; i < 15; i++) {
        const wallStart = performance.now(), cpuStart = cpuSeconds();
        const product = tf.matMul(a, b);
        product.dataSync();
        if (i >= 0) {
            walls.push((performance.now() - wallStart) / 1e3);
            cpus.push(cpuSeconds() - cpuStart);
        }
        product.dispose();
    }
    const flops = 2 * m * k * n;
    console.log(`${m}×${k}·${k}×${n}: ${(flops / median(walls) / 1e9).toFixed(1)} GFLOP/s of wall time, ${(flops / median(cpus) / 1e9).toFixed(1)} of CPU time`);
    tf.dispose([a, b]);
}
process.exit(0); // the pthread workers would keep Node alive

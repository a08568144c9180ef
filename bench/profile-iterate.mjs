/**
 * The iterate-784 neuron of recurrent.bench.mjs (the compiled `iter` over Nat[10] with a
 * linked 784→784 linear step) on tfjs-WASM, in process, forward+backward (tf.variableGrads of
 * the mean square): what one pass runs. For profiling it (issue 14):
 *
 *   node bench/profile-iterate.mjs [--batch=512] [--repetitions=3] [--forward] [--profile=iterate.cpuprofile]
 *
 * It prints the median CPU time of a pass, then the kernels one more pass launches (tf.profile),
 * by name and shapes, with their count and summed time; `--forward` profiles the forward alone
 * (no gradient recorded); `--profile` writes a CPU profile of the timed passes. Uses the built
 * packages (out/).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './timing.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = name => pathToFileURL(path.join(root, `packages/${name}/out/index.js`)).href;
const option = (name, fallback) => process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const batch = Number(option('batch', 512));
const repetitions = Number(option('repetitions', 3));
const profile = option('profile', undefined);
const forwardOnly = process.argv.includes('--forward');
const cpuSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
};

const { checkText } = await import(pathToFileURL(path.join(root, 'packages/language/out/testing.js')).href);
const { compileDefinition } = await import(entry('compiler'));
const { initBackend, runProgram, encodeNat } = await import(entry('runtime'));
await initBackend('wasm');
const tf = await import('@tensorflow/tfjs');
const { services, document } = await checkText('extern step : Real[784] -o Real[784]\ndef dilate (n : Nat[10]) (image : Real[784]) : Real[784] = iter n { zero => image ; succ y => step y }\n');
const program = compileDefinition(document.parseResult.value.declarations.find(d => d.name === 'dilate'), services).program;
const W = tf.variable(tf.randomNormal([784, 784], 0, 1 / 28, 'float32', 1));
const images = tf.randomUniform([batch, 784], 0, 1, 'float32', 2);
const counts = encodeNat(Array.from({ length: batch }, (_, i) => i % 10), 10);
const networks = { step: y => tf.matMul(y, W) };
const pass = forwardOnly
    ? () => { const out = runProgram(program, [counts, images], networks); out.dataSync(); out.dispose(); }
    : () => tf.tidy(() => {
        // W anew each pass, as after an optimiser step (recurrent.bench.mjs does the same).
        W.assign(tf.mul(W, 1));
        const { value, grads } = tf.variableGrads(() => runProgram(program, [counts, images], networks).square().mean(), [W]);
        value.dataSync();
        grads[W.name].dataSync();
    });
pass();
const session = profile ? new Session() : undefined;
if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
}
const times = [];
for (let i = 0; i < repetitions; i++) {
    const started = cpuSeconds();
    pass();
    times.push(cpuSeconds() - started);
}
if (session) {
    const { profile: written } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(written));
    console.log(`wrote ${profile}`);
}
console.log(`${forwardOnly ? 'forward' : 'forward+backward'}, batch ${batch}: ${(median(times) * 1e3).toFixed(1)} ms CPU (${((median(times) * 1e6) / batch).toFixed(0)} µs/example; passes ${times.map(t => (t * 1e3).toFixed(0)).join(', ')} ms)`);

const result = await tf.profile(pass);
const groups = new Map();
for (const k of result.kernels) {
    const key = `${k.name} ${k.inputShapes.map(s => `[${s}]`).join(' ')}`;
    const group = groups.get(key) ?? { count: 0, ms: 0 };
    group.count++;
    group.ms += await k.kernelTimeMs;
    groups.set(key, group);
}
const total = [...groups.values()].reduce((sum, g) => sum + g.ms, 0);
console.log(`${result.kernels.length} kernels, ${total.toFixed(1)} ms in kernels (wall):`);
for (const [key, g] of [...groups].sort((a, b) => b[1].ms - a[1].ms)) console.log(`  ${g.ms.toFixed(1).padStart(8)} ms ${String(g.count).padStart(4)}×  ${key}`);
tf.dispose([W, images, counts]);

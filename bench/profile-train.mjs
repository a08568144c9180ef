/**
 * The AND-even training step on tfjs-WASM, driven in process (no Python): CPU time per step
 * and what one step runs. For profiling the training loop (issue 14):
 *
 *   node bench/profile-train.mjs [--examples=2048] [--epochs=3] [--kernels] [--profile=train.cpuprofile]
 *                                [--interleave='[{"kSlice":1e9},{}]']
 *
 * It prints the CPU time per step of the fastest epoch after the first; `--kernels` also
 * counts the kernels one more step launches (tf.profile) by name, and `--profile` writes a CPU
 * profile of the epochs after the first. `--interleave` compares settings of our WASM matrix
 * product step by step in one run: step i runs under setting i mod n (a JSON list of objects
 * with `mode`, useOwnWasmGemm's, setGemmTuning's `kSlice` and `autoMinColumns`, and
 * `fusedDense`, useFusedDenseOnWasm's, and `sharedSaves`, useSharedSaves's; `{}` is the default), so that the machine's load falls on all of them alike; it prints each setting's
 * median CPU time per step after the first epoch, its quartiles and its ratio to the first
 * setting's median. Uses the built packages (out/).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = name => pathToFileURL(path.join(root, `packages/${name}/out/index.js`)).href;
const option = (name, fallback) => process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const examples = Number(option('examples', 2048));
const epochs = Number(option('epochs', 3));
const profile = option('profile', undefined);
const countKernels = process.argv.includes('--kernels');
const interleaved = JSON.parse(option('interleave', 'null'));
const cpuSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
};

const { loadFiles } = await import(entry('language'));
const { findTraining, prepareTraining, runTraining, useFusedDenseOnWasm } = await import(entry('train'));
const { setGemmTuning, useOwnWasmGemm, useSharedSaves } = await import(entry('runtime'));
const defaultTuning = setGemmTuning({});
/** Our product's setting i of --interleave (defaults for what it leaves out). */
const useSetting = setting => {
    useOwnWasmGemm(setting.mode ?? 'auto');
    setGemmTuning({ ...defaultTuning, ...setting });
    useFusedDenseOnWasm(setting.fusedDense ?? true);
    useSharedSaves(setting.sharedSaves ?? true);
};
const stepTimes = interleaved?.map(() => []);
let step = 0, stepStart = 0;
if (interleaved) useSetting(interleaved[0]);
const workspace = await loadFiles([path.join(root, 'examples/train/and-even.cajal')]);
const training = findTraining(workspace.requested[0].parseResult.value, 'andEven');
const prepared = await prepareTraining(training, workspace.services, { backend: 'wasm', examples, test: 0, epochs, seed: 1 });
const session = profile ? new Session() : undefined;
const epochTimes = [];
let epochStart = 0, losses = [];
await runTraining(prepared, {
    backend: 'wasm', weightsDirectory: null,
    onEvent: async event => {
        if (event.event === 'start') epochStart = stepStart = cpuSeconds();
        if (interleaved && event.event === 'batch') {
            if (epochTimes.length > 0) stepTimes[step % interleaved.length].push(cpuSeconds() - stepStart);
            useSetting(interleaved[++step % interleaved.length]);
            stepStart = cpuSeconds();
        }
        if (event.event === 'epoch') {
            epochTimes.push(cpuSeconds() - epochStart);
            losses.push(event.loss);
            if (session && epochTimes.length === 1) {
                session.connect();
                await session.post('Profiler.enable');
                await session.post('Profiler.start');
            }
            epochStart = stepStart = cpuSeconds();
        }
    }
});
if (session) {
    const { profile: written } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(written));
    console.log(`wrote ${profile}`);
}
const steps = Math.ceil(examples / prepared.settings.batch);
console.log(`CPU per step: ${epochTimes.map(t => ((t * 1000) / steps).toFixed(2)).join(', ')} ms (epochs 1-${epochs}; fastest after the first ${((Math.min(...epochTimes.slice(1)) * 1000) / steps).toFixed(2)} ms)`);
console.log(`losses: ${losses.map(l => l.toFixed(6)).join(', ')}`);
if (interleaved) {
    const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.round(q * (values.length - 1))];
    const first = quantile(stepTimes[0], 0.5);
    interleaved.forEach((setting, i) => {
        const ms = q => (quantile(stepTimes[i], q) * 1000).toFixed(2);
        console.log(`${JSON.stringify(setting)}: ${stepTimes[i].length} steps, median ${ms(0.5)} ms (quartiles ${ms(0.25)}, ${ms(0.75)}), ${(quantile(stepTimes[i], 0.5) / first).toFixed(3)}× the first`);
    });
    useSetting({});
}

if (countKernels) {
    const tf = await import('@tensorflow/tfjs');
    // runTraining takes the epochs and examples prepareTraining was given: count the steps it runs.
    let profiledSteps = 0;
    const result = await tf.profile(() => runTraining(prepared, { backend: 'wasm', weightsDirectory: null, onEvent: event => { if (event.event === 'batch') profiledSteps++; } }));
    const byName = new Map();
    for (const k of result.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
    console.log(`kernels of ${epochs} epochs of ${steps} steps: ${result.kernels.length} (${(result.kernels.length / profiledSteps).toFixed(1)} a step, the end of each epoch's checks included)`);
    console.log([...byName].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${(n / profiledSteps).toFixed(1)}`).join(', '));
}
prepared.dispose();

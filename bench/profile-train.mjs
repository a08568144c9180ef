/**
 * The AND-even training step on tfjs-WASM, driven in process (no Python): CPU time per step
 * and what one step runs. For profiling the training loop (issue 14):
 *
 *   node bench/profile-train.mjs [--examples=2048] [--epochs=3] [--kernels] [--profile=train.cpuprofile]
 *
 * It prints the CPU time per step of the fastest epoch after the first; `--kernels` also
 * counts the kernels one more step launches (tf.profile) by name, and `--profile` writes a CPU
 * profile of the epochs after the first. Uses the built packages (out/).
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
const cpuSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
};

const { loadFiles } = await import(entry('language'));
const { findTraining, prepareTraining, runTraining } = await import(entry('train'));
const workspace = await loadFiles([path.join(root, 'examples/train/and-even.cajal')]);
const training = findTraining(workspace.requested[0].parseResult.value, 'andEven');
const prepared = await prepareTraining(training, workspace.services, { backend: 'wasm', examples, test: 0, epochs, seed: 1 });
const session = profile ? new Session() : undefined;
const epochTimes = [];
let epochStart = 0, losses = [];
await runTraining(prepared, {
    backend: 'wasm', weightsDirectory: null,
    onEvent: async event => {
        if (event.event === 'start') epochStart = cpuSeconds();
        if (event.event === 'epoch') {
            epochTimes.push(cpuSeconds() - epochStart);
            losses.push(event.loss);
            if (session && epochTimes.length === 1) {
                session.connect();
                await session.post('Profiler.enable');
                await session.post('Profiler.start');
            }
            epochStart = cpuSeconds();
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

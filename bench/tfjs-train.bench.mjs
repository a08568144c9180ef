/**
 * The tfjs engine's AND-even training step against the plain PyTorch loop of torch.bench.mjs
 * (the same two 784→400→2 networks, compiled `and`, softmax cross-entropy, Adam, batch 64),
 * in CPU time of the one computing thread on each side (process.cpuUsage, time.process_time):
 * on a shared machine other work lengthens wall times by whatever it takes, CPU times much
 * less. Rounds of (plain loop, tfjs) back to back; the median round's ratio is reported with
 * the spread. The fastest epoch after the first counts on both sides. Target (issue 14):
 * within 2× of plain PyTorch. Needs a Python with torch (CAJAL_PYTHON, python3 or /usr/bin/python3).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './timing.mjs';
import { PLAIN_LOOP } from './torch.bench.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = name => pathToFileURL(path.join(root, `packages/${name}/out/index.js`)).href;
const cpuSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
};

export default async function run(ctx) {
    const name = 'AND-even training step CPU time, tfjs-wasm ÷ plain PyTorch loop';
    if (!ctx.wants('tfjs-train', name)) return [];
    const { loadFiles } = await import(entry('language'));
    const { findTraining, prepareTraining, runTraining, findTorchPython, torchTrainerScript, writeTorchPlan } = await import(entry('train'));
    const python = findTorchPython().python;
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const examples = ctx.quick ? 1024 : 4096;
    const rounds = ctx.quick ? 1 : 3;
    const work = mkdtempSync(path.join(os.tmpdir(), 'cajal-tfjs-bench-'));
    const workspace = await loadFiles([path.join(root, 'examples/train/and-even.cajal')]);
    const training = findTraining(workspace.requested[0].parseResult.value, 'andEven');
    const ratios = [], plainTimes = [], tfjsTimes = [];
    try {
        writeFileSync(path.join(work, 'plain.py'), PLAIN_LOOP);
        for (let round = 0; round < rounds; round++) {
            const prepared = await prepareTraining(training, workspace.services, { backend: 'wasm', examples, test: 0, epochs: 3, seed: 1 });
            // The plain loop trains on the same plan (rows, targets, shuffles, initial weights).
            const plan = await writeTorchPlan(prepared, path.join(work, `plan-${round}`), { weightsDirectory: null, device: 'cpu', nproc: 1 });
            const plain = spawnSync(python, [path.join(work, 'plain.py'), plan, path.dirname(torchTrainerScript())], { env, encoding: 'utf-8' });
            if (plain.status !== 0) throw new Error(`plain PyTorch loop failed: ${plain.stderr}`);
            const plainSeconds = JSON.parse(plain.stdout).cpuSeconds;
            const epochTimes = [];
            let epochStart = 0;
            try {
                await runTraining(prepared, {
                    backend: 'wasm', weightsDirectory: null,
                    onEvent: event => {
                        if (event.event === 'start') epochStart = cpuSeconds();
                        if (event.event === 'epoch') {
                            epochTimes.push(cpuSeconds() - epochStart);
                            epochStart = cpuSeconds();
                        }
                    }
                });
            } finally {
                prepared.dispose();
            }
            const tfjsSeconds = Math.min(...epochTimes.slice(1));
            plainTimes.push(plainSeconds);
            tfjsTimes.push(tfjsSeconds);
            ratios.push(tfjsSeconds / plainSeconds);
        }
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
    const steps = examples / 64;
    const spread = `rounds ${ratios.map(r => r.toFixed(2)).join(', ')}`;
    ctx.log(`${name}: ${median(ratios).toFixed(2)}× (${spread})`);
    return [
        { suite: 'tfjs-train', name, value: median(ratios), unit: '×', target: '<= 2', note: `median of ${rounds} rounds (plain loop then tfjs, back to back; ${spread}), ${examples} examples, one thread each` },
        { suite: 'tfjs-train', name: 'AND-even training step, tfjs-wasm, CPU time', value: (median(tfjsTimes) * 1000) / steps, unit: 'ms/step', note: `fastest of epochs 2-3, median of ${rounds} runs` },
        { suite: 'tfjs-train', name: 'AND-even training step, plain PyTorch loop, CPU time', value: (median(plainTimes) * 1000) / steps, unit: 'ms/step', note: `fastest of epochs 2-3, median of ${rounds} runs` }
    ];
}

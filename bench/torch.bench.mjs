/**
 * The PyTorch engine against the tfjs one and against plain PyTorch, in one run, one thread
 * each (OMP/OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(1) for Python; tfjs-WASM is
 * single-threaded):
 * - training throughput of the AND-even linked model (examples/train/and-even.cajal, train
 *   block andEven: batch 64, Adam) on `cajal train`'s tfjs engine, on `--engine torch`, and
 *   in a hand-written PyTorch loop of the same model (two separate 784→400→2 networks, the
 *   `and` on their raw outputs, softmax cross-entropy, Adam) on the engine's own plan —
 *   reported as examples/s and as ratios of time per example to the plain loop, in CPU time
 *   (target: the torch engine within 1.3×) and in wall-clock time.
 * The iterate-784 recurrent neuron against PyTorch is recurrent.bench.mjs's.
 * Needs a Python with torch (CAJAL_PYTHON, python3 or /usr/bin/python3).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = name => pathToFileURL(path.join(root, `packages/${name}/out/index.js`)).href;
const EPOCHS = 4;
/** The fastest epoch after the first (the first warms up). */
const fastestEpoch = history => Math.min(...history.slice(1).map((h, i) => h.seconds - history[i].seconds));
const ONE_THREAD = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
/**
 * The plain loop trains on the engine's own plan (writeTorchPlan): the same MNIST rows,
 * targets, shuffles and initial weights, so both compute the same thing (the bench checks
 * that their losses agree) and differ only in the code around the model. It is what a user
 * would write: nn.Linear layers (weights [out, in], loaded transposed), the compiled `and`
 * written out by hand on the raw outputs, softmax cross-entropy, Adam with tfjs's ε,
 * zero_grad(set_to_none=True) (torch 2's default; 1.13's zero-fill then accumulate costs ~4%
 * of a step). Like the engine, it first pins glibc malloc's thresholds with the engine's
 * steady_malloc (argv[2]: the trainer's folder): left to glibc's dynamic rule, a process maps
 * and unmaps its 1.25 MB gradients every step or not, depending on whether it happened to free
 * a large block before (docs/training.md, "Speed"). It reports the fastest epoch after the
 * first in wall time and in CPU time (time.process_time; one thread).
 */
export const PLAIN_LOOP = String.raw`
import json, os, sys, time
import numpy, torch
sys.path.insert(0, sys.argv[2])
from cajal_torch import steady_malloc
steady_malloc()
torch.set_num_threads(1)
plan = json.load(open(sys.argv[1]))
column = {f["name"]: f for f in plan["fields"]}
x1 = torch.from_numpy(numpy.load(column["x1"]["train"])).reshape(-1, 784)
x2 = torch.from_numpy(numpy.load(column["x2"]["train"])).reshape(-1, 784)
target = torch.from_numpy(numpy.load(plan["targets"]["train"]))
orders = torch.from_numpy(numpy.load(plan["orders"])).long()
n, epochs, batch = x1.shape[0], plan["epochs"], plan["batch"]
manifest = json.load(open(os.path.join(plan["initialWeights"], "weights.json")))
def mlp(extern):
    # weights.bin: kernel [784, 400], bias [400], kernel [400, 2], bias [2] (the project's layout).
    folder = os.path.join(plan["initialWeights"], os.path.dirname(manifest["externs"][extern]["model"]))
    w = torch.from_numpy(numpy.fromfile(os.path.join(folder, "weights.bin"), dtype="<f4"))
    net = torch.nn.Sequential(torch.nn.Linear(784, 400), torch.nn.ReLU(), torch.nn.Linear(400, 2))
    with torch.no_grad():
        net[0].weight.copy_(w[:313600].reshape(784, 400).t()); net[0].bias.copy_(w[313600:314000])
        net[2].weight.copy_(w[314000:314800].reshape(400, 2).t()); net[2].bias.copy_(w[314800:])
    return net
net1, net2 = mlp("isEven1"), mlp("isEven2")
optimizer = torch.optim.Adam(list(net1.parameters()) + list(net2.parameters()), lr=plan["lr"], eps=1e-7)
times, cpu_times, losses = [], [], []
for epoch in range(epochs):
    start, cpu_start = time.perf_counter(), time.process_time()
    loss_sum = 0.0
    for b in range(0, n, batch):
        idx = orders[epoch, b:b + batch]
        a, c = net1(x1[idx]), net2(x2[idx])
        # The compiled and on raw outputs: [a_t c_t, a_t c_f + a_f (c_t + c_f)], read as logits.
        logits = torch.stack([a[:, 0] * c[:, 0], a[:, 0] * c[:, 1] + a[:, 1] * (c[:, 0] + c[:, 1])], 1)
        loss = -torch.mean(torch.sum(target[idx] * torch.log_softmax(logits, 1), 1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * idx.shape[0]
    times.append(time.perf_counter() - start)
    cpu_times.append(time.process_time() - cpu_start)
    losses.append(loss_sum / n)
print(json.dumps({"seconds": min(times[1:]), "cpuSeconds": min(cpu_times[1:]), "losses": losses}))
`;

/**
 * The engine as `cajal train --engine torch` runs it (cajal_torch.main on the plan, its event
 * lines on stdout), with the process's CPU time taken at its start event and at each epoch
 * event: one more line at the end, {"event": "bench-cpu", "epochSeconds": [...]}. (argv[1]:
 * the trainer's folder, argv[2]: the plan.)
 */
const ENGINE_TIMED = String.raw`
import json, sys, time
sys.path.insert(0, sys.argv[1])
import cajal_torch
marks = []
emit = cajal_torch.emit
def timed(event):
    if event.get("event") in ("start", "epoch"):
        marks.append(time.process_time())
    emit(event)
cajal_torch.emit = timed
code = cajal_torch.main(["cajal_torch.py", sys.argv[2]])
print(json.dumps({"event": "bench-cpu", "epochSeconds": [b - a for a, b in zip(marks, marks[1:])]}))
sys.exit(code)
`;

export default async function run(ctx) {
    const { loadFiles } = await import(entry('language'));
    const { findTraining, prepareTraining, runTraining, runTorchTraining, findTorchPython, torchTrainerScript, writeTorchPlan } = await import(entry('train'));
    const python = findTorchPython().python;
    const env = { ...process.env, ...ONE_THREAD };
    const trainerDirectory = path.dirname(torchTrainerScript());
    const work = mkdtempSync(path.join(os.tmpdir(), 'cajal-torch-bench-'));
    const rows = [];
    try {
        // --- AND-even training throughput
        const examples = ctx.quick ? 1024 : 8192;
        const trainName = engine => `AND-even linked, batch 64, 1 thread, ${engine}`;
        if (['tfjs-wasm', 'torch engine', 'plain PyTorch'].some(e => ctx.wants('torch', trainName(e)))) {
            const workspace = await loadFiles([path.join(root, 'examples/train/and-even.cajal')]);
            const training = findTraining(workspace.requested[0].parseResult.value, 'andEven');
            writeFileSync(path.join(work, 'plain.py'), PLAIN_LOOP);
            writeFileSync(path.join(work, 'engine.py'), ENGINE_TIMED);
            const prepared = await prepareTraining(training, workspace.services, { backend: 'wasm', examples, test: 0, epochs: EPOCHS, seed: 1 });
            const plan = await writeTorchPlan(prepared, path.join(work, 'plan'), { weightsDirectory: null, device: 'cpu', nproc: 1 });
            let plainLosses = [];
            const plainRun = () => {
                const plain = spawnSync(python, [path.join(work, 'plain.py'), plan, trainerDirectory], { env, encoding: 'utf-8' });
                if (plain.status !== 0) throw new Error(`plain PyTorch loop failed: ${plain.stderr}`);
                const result = JSON.parse(plain.stdout);
                plainLosses = result.losses;
                return result;
            };
            // Like for like: the same data, shuffles and initial weights give the same losses.
            const sameLosses = (history, what) => history.forEach((h, i) => {
                if (!(Math.abs(h.loss - plainLosses[i]) <= 1e-3 * (1 + Math.abs(h.loss)))) {
                    throw new Error(`the plain loop and ${what} trained differently (epoch ${i + 1} loss: plain ${plainLosses[i]}, engine ${h.loss})`);
                }
            });
            const engineRun = () => {
                const run = spawnSync(python, [path.join(work, 'engine.py'), trainerDirectory, plan], { env, encoding: 'utf-8' });
                const events = run.stdout.trim().split('\n').map(line => JSON.parse(line));
                const failure = events.find(e => e.event === 'engine-error');
                if (run.status !== 0 || failure) throw new Error(`the torch engine failed: ${failure?.message ?? run.stderr}`);
                const history = events.filter(e => e.event === 'epoch');
                sameLosses(history, 'the engine');
                const cpu = events.find(e => e.event === 'bench-cpu').epochSeconds;
                return { seconds: fastestEpoch(history), cpuSeconds: Math.min(...cpu.slice(1)), loss: history[EPOCHS - 1].loss };
            };
            // Rounds of (plain loop, torch engine) back to back: the ratio of each round is taken
            // between neighbours in time, and the median round is reported with the spread, so a
            // burst of load on a shared machine moves one round, not the figure. CPU time (one
            // thread on each side) is the like-for-like measure: on the shared machine other work
            // lengthens wall times by whatever it takes (a load of 15 on 2 cores doubles them).
            const rounds = ctx.quick ? 1 : 5;
            const cpuRatios = [], wallRatios = [], plainRuns = [], engineRuns = [];
            let product = undefined, tfjsSeconds = NaN, tfjsLoss = NaN;
            try {
                for (let round = 0; round < rounds; round++) {
                    const plain = plainRun();
                    const engine = engineRun();
                    plainRuns.push(plain);
                    engineRuns.push(engine);
                    cpuRatios.push(engine.cpuSeconds / plain.cpuSeconds);
                    wallRatios.push(engine.seconds / plain.seconds);
                }
                // Once as `cajal train` runs it (runTorchTraining, the events read by Node): the
                // same losses. Torch before tfjs: it leaves the prepared networks as they are (tfjs
                // trains them in place), so both engines start from the same weights.
                const torch = await runTorchTraining(prepared, { weightsDirectory: null, torch: { python, env } });
                sameLosses(torch.history, 'runTorchTraining');
                product = { seconds: fastestEpoch(torch.history) };
                const tfjs = await runTraining(prepared, { backend: 'wasm', weightsDirectory: null });
                tfjsSeconds = fastestEpoch(tfjs.history);
                tfjsLoss = tfjs.history[EPOCHS - 1].loss;
            } finally {
                prepared.dispose();
            }
            // The plain loop once more after tfjs, for its ratio (neighbours in time again).
            const plainAfter = plainRun().seconds;
            const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
            const list = values => values.map(r => r.toFixed(2)).join(', ');
            const steps = examples / 64;
            const ms = seconds => `${((seconds * 1000) / steps).toFixed(2)} ms`;
            const engineWall = median(engineRuns.map(r => r.seconds)), plainWall = median(plainRuns.map(r => r.seconds));
            const engineCpu = median(engineRuns.map(r => r.cpuSeconds)), plainCpu = median(plainRuns.map(r => r.cpuSeconds));
            rows.push({ suite: 'torch', name: trainName('torch engine'), value: examples / engineWall, unit: 'examples/s', note: `${examples} examples, fastest of epochs 2-${EPOCHS}, median of ${rounds} runs, loss ${engineRuns[0].loss.toFixed(3)}; run by runTorchTraining once: ${(examples / product.seconds).toFixed(0)} examples/s` });
            rows.push({
                suite: 'torch', name: 'AND-even training CPU time ÷ plain PyTorch loop, torch engine', value: median(cpuRatios), unit: '×', target: '<= 1.3',
                note: `median of ${rounds} rounds (plain loop then engine, back to back; rounds ${list(cpuRatios)}), CPU time of the fastest of epochs 2-${EPOCHS}, ${ms(engineCpu)} against ${ms(plainCpu)} a step (medians), one thread each, the same MNIST rows, shuffles and initial weights (losses agree), both with steady_malloc`
            });
            rows.push({ suite: 'torch', name: 'AND-even training time ÷ plain PyTorch loop, torch engine', value: median(wallRatios), unit: '×', note: `wall clock, the same rounds (${list(wallRatios)}); on a shared machine see the CPU-time row` });
            ctx.log(`torch engine: ${(examples / engineWall).toFixed(0)} examples/s; CPU time ${median(cpuRatios).toFixed(2)}× plain PyTorch (rounds ${list(cpuRatios)}), wall ${median(wallRatios).toFixed(2)}× (rounds ${list(wallRatios)})`);
            rows.push({ suite: 'torch', name: trainName('tfjs-wasm'), value: examples / tfjsSeconds, unit: 'examples/s', note: `${examples} examples, fastest of epochs 2-${EPOCHS}, loss ${tfjsLoss.toFixed(3)}` });
            rows.push({ suite: 'torch', name: 'AND-even training time ÷ plain PyTorch loop, tfjs-wasm', value: tfjsSeconds / plainAfter, unit: '×', note: 'wall clock, the plain loop run right after, one thread each (CPU time: --only tfjs-train)' });
            ctx.log(`tfjs-wasm: ${(examples / tfjsSeconds).toFixed(0)} examples/s (${(tfjsSeconds / plainAfter).toFixed(2)}× plain PyTorch)`);
            rows.push({ suite: 'torch', name: trainName('plain PyTorch'), value: examples / plainWall, unit: 'examples/s', note: `${examples} examples, fastest of epochs 2-${EPOCHS}, median of ${rounds} runs` });
        }
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
    return rows;
}

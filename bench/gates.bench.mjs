/**
 * The compiled `and` and `eq` forward at batch 65,536 on tfjs-WASM against the same compiled
 * programs on PyTorch (generateTorchModule, one thread), in CPU time of each side's one
 * computing thread (process.cpuUsage, time.process_time), median of 5 interleaved rounds of
 * repeated forwards; target (issue 14): within 1.5× of PyTorch. The ceiling rows measure what
 * tfjs-WASM cannot go below for this work: one kernel call on a tiny tensor (the fixed cost of
 * every op, of which a forward runs several), and one elementwise pass over the batch's two
 * inputs ([65,536, 2] each: the least data the gate must read and write), on both sides, and
 * the general contraction path's largest kernel alone (its batched 2×2 products; the forward
 * takes runtime's small-contraction kernel instead, as no gradient is recorded).
 * Needs a Python with torch (CAJAL_PYTHON, python3 or /usr/bin/python3).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './timing.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = name => pathToFileURL(path.join(root, `packages/${name}/out/index.js`)).href;
const cpuSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
};
const SOURCE = `def not (x : Bool) : Bool = if x then false else true
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
def eq (a : Bool) (b : Bool) : Bool = if a then b else not b
`;

/** Median CPU seconds of the named gate's forward (and of the two ceiling operations) over `reps` runs, in PyTorch. */
const TORCH_GATES = String.raw`
import importlib.util, json, sys, time, torch
torch.set_num_threads(1)
spec = importlib.util.spec_from_file_location("gates", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
name, batch, reps = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
i = torch.arange(batch)
x = torch.nn.functional.one_hot((i % 2 != 0).long(), 2).float()
y = torch.nn.functional.one_hot((i % 3 != 0).long(), 2).float()
gate = m.definitions[name]()
tiny = torch.ones(1, 2)
def median(f):
    with torch.no_grad():
        for _ in range(3): f()
        times = []
        for _ in range(reps):
            start = time.process_time(); f(); times.append(time.process_time() - start)
    times.sort()
    return times[len(times) // 2]
out = gate(x, y)
assert out[0].tolist() == [1.0, 0.0], out[0]
print(json.dumps({"gate": median(lambda: gate(x, y)), "tiny": median(lambda: tiny * tiny), "pass": median(lambda: x * y)}))
`;

export default async function run(ctx) {
    const batch = ctx.quick ? 8192 : 65536;
    const gates = ['and', 'eq'].filter(name => ctx.wants('gates', `${name} forward, batch ${batch}, tfjs-wasm ÷ PyTorch`));
    if (gates.length === 0) return [];
    const { checkText } = await import(pathToFileURL(path.join(root, 'packages/language/out/testing.js')).href);
    const { compileDefinition, generateTorchModule } = await import(entry('compiler'));
    const { initBackend, runProgram, encodeBool } = await import(entry('runtime'));
    const { findTorchPython } = await import(entry('train'));
    const python = findTorchPython().python;
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    await initBackend('wasm');
    const tf = await import('@tensorflow/tfjs');
    const { document, services } = await checkText(SOURCE);
    const definitions = Object.fromEntries(document.parseResult.value.declarations.map(d => [d.name, d]));
    const programs = Object.fromEntries(['and', 'eq'].map(name => [name, compileDefinition(definitions[name], services).program]));
    const work = mkdtempSync(path.join(os.tmpdir(), 'cajal-gates-bench-'));
    const reps = ctx.quick ? 11 : 51;
    const rounds = ctx.quick ? 1 : 5;
    const rows = [];
    try {
        writeFileSync(path.join(work, 'gates.py'), generateTorchModule([programs.and, programs.eq]));
        writeFileSync(path.join(work, 'bench.py'), TORCH_GATES);
        // The same inputs on both sides: x true on even examples, y true on multiples of 3.
        const x = encodeBool(Array.from({ length: batch }, (_, i) => i % 2 === 0));
        const y = encodeBool(Array.from({ length: batch }, (_, i) => i % 3 === 0));
        const tiny = tf.ones([1, 2]);
        /** Median CPU seconds of f over reps runs (after 3 untimed); WASM kernels run synchronously, so the result is there when f returns. */
        const tfjsMedian = f => {
            const times = [];
            for (let i = -3; i < reps; i++) {
                const started = cpuSeconds();
                const out = f();
                if (i >= 0) times.push(cpuSeconds() - started);
                out.dispose();
            }
            return median(times);
        };
        const ceilings = { tfjsTiny: [], tfjsPass: [], tfjsBatched: [], torchTiny: [], torchPass: [] };
        // The general contraction path's second product (runtime's contractByMatMul: [batch, 2, 2]·[batch, 2, 1], one 2×2 product per example).
        const matrices = tf.ones([batch, 2, 2]), vectors = tf.ones([batch, 2, 1]);
        for (const name of gates) {
            const program = programs[name];
            const check = runProgram(program, [x, y]);
            const first = check.dataSync();
            check.dispose();
            if (first[0] !== 1 || first[1] !== 0) throw new Error(`${name}: wrong result for (true, true): ${first[0]}, ${first[1]}`);
            const tfjsTimes = [], torchTimes = [], ratios = [];
            for (let round = 0; round < rounds; round++) {
                const tfjsSeconds = tfjsMedian(() => runProgram(program, [x, y]));
                ceilings.tfjsTiny.push(tfjsMedian(() => tf.mul(tiny, tiny)));
                ceilings.tfjsPass.push(tfjsMedian(() => tf.mul(x, y)));
                ceilings.tfjsBatched.push(tfjsMedian(() => tf.matMul(matrices, vectors)));
                const torch = spawnSync(python, [path.join(work, 'bench.py'), path.join(work, 'gates.py'), name, String(batch), String(reps)], { env, encoding: 'utf-8' });
                if (torch.status !== 0) throw new Error(`${name} on PyTorch failed: ${torch.stderr}`);
                const measured = JSON.parse(torch.stdout);
                ceilings.torchTiny.push(measured.tiny);
                ceilings.torchPass.push(measured.pass);
                tfjsTimes.push(tfjsSeconds);
                torchTimes.push(measured.gate);
                ratios.push(tfjsSeconds / measured.gate);
            }
            const spread = `rounds ${ratios.map(r => r.toFixed(2)).join(', ')}`;
            ctx.log(`${name}: tfjs-wasm ${(median(tfjsTimes) * 1e6 / batch).toFixed(4)} µs/example, PyTorch ${(median(torchTimes) * 1e6 / batch).toFixed(4)}: ${median(ratios).toFixed(2)}× (${spread})`);
            rows.push({ suite: 'gates', name: `${name} forward, batch ${batch}, tfjs-wasm`, value: (median(tfjsTimes) * 1e6) / batch, unit: 'µs/example', note: `CPU time, median of ${rounds} rounds of ${reps} forwards` });
            rows.push({ suite: 'gates', name: `${name} forward, batch ${batch}, PyTorch`, value: (median(torchTimes) * 1e6) / batch, unit: 'µs/example', note: `CPU time, median of ${rounds} rounds of ${reps} forwards, the generated module, one thread` });
            rows.push({ suite: 'gates', name: `${name} forward, batch ${batch}, tfjs-wasm ÷ PyTorch`, value: median(ratios), unit: '×', target: '<= 1.5', note: `median of ${rounds} interleaved rounds (${spread})` });
        }
        rows.push({ suite: 'gates', name: 'ceiling: one kernel call on a [1, 2] tensor, tfjs-wasm', value: median(ceilings.tfjsTiny) * 1e6, unit: 'µs', note: 'tf.mul: the fixed cost of an op' });
        rows.push({ suite: 'gates', name: 'ceiling: one kernel call on a [1, 2] tensor, PyTorch', value: median(ceilings.torchTiny) * 1e6, unit: 'µs', note: 'tiny * tiny under no_grad' });
        rows.push({ suite: 'gates', name: `ceiling: one elementwise pass over the inputs, batch ${batch}, tfjs-wasm`, value: (median(ceilings.tfjsPass) * 1e6) / batch, unit: 'µs/example', note: 'tf.mul(x, y), [batch, 2] each' });
        rows.push({ suite: 'gates', name: `ceiling: one elementwise pass over the inputs, batch ${batch}, PyTorch`, value: (median(ceilings.torchPass) * 1e6) / batch, unit: 'µs/example', note: 'x * y, [batch, 2] each' });
        rows.push({ suite: 'gates', name: `the contraction's batched product [${batch}, 2, 2]·[${batch}, 2, 1] alone, tfjs-wasm`, value: (median(ceilings.tfjsBatched) * 1e6) / batch, unit: 'µs/example', note: 'tf.matMul: the general contraction path\'s largest kernel (the forward, with no gradient recorded, runs the small-contraction kernel instead)' });
        tf.dispose([x, y, tiny, matrices, vectors]);
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
    return rows;
}

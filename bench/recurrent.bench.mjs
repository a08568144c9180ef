/**
 * The recurrent neurons on tfjs-WASM against PyTorch 1.13 (OpenBLAS), one thread each, the same
 * work and shapes on both sides (issue 14):
 * - iterate-784: the compiled `iter n { zero => image ; succ y => step y }` over Nat[10] with a
 *   linked 784→784 linear step (y·W), batch 512 — the papers' iterative-dilation neuron with a
 *   dense step. Forward (no gradient recorded) and forward+backward (d/dW of the mean square,
 *   the tape) on tfjs-WASM through runProgram, on PyTorch through the module
 *   generateTorchModule writes. Targets: within 1.3× and 1.6× of PyTorch. Beside each, the
 *   same run's floor: the products that work is made of (9 forward products, and for the
 *   backward 8 input-gradient and 9 weight-gradient products more) alone, each operand already
 *   in the layout its kernel wants, weights cached — tfjs-WASM's best case. tfjs-WASM's
 *   products alone ÷ PyTorch's whole pass is the least ratio tfjs-WASM can reach (everything
 *   but the products removed); the products' ratio on both sides is the kernels'.
 * - the convolutions of the linked dilation model (examples/train/dilation.cajal: the digit
 *   reader and the hyperconv step share its trunk, conv 5×5 1→8 and 8→16, same padding, on a
 *   batch of 64 MNIST-sized images; the step convolves each image with its own 13×13 kernel):
 *   forward, filter gradient and input gradient as the kernels tfjs-WASM runs (the trunk's are
 *   our direct SIMD kernels wherever they take the shape, else tfjs's,
 *   packages/train/src/wasm-conv.ts; the per-image correlation's are our SIMD kernels,
 *   wasm-correlation.ts), each ÷ the forward and ÷ PyTorch's
 *   (torch.ops.aten.convolution_backward computing only that gradient); the trunk's also on
 *   tfjs's own kernels (XNNPACK; useDirectConvOnWasm(false)), interleaved in the same round,
 *   ÷ PyTorch and ours ÷ theirs.
 * Times are CPU times of each side's one computing thread (process.cpuUsage,
 * time.process_time), medians of interleaved rounds (tfjs, then PyTorch), so load on a shared
 * machine moves a round, not the ratio. Needs a Python with torch (CAJAL_PYTHON, python3 or
 * /usr/bin/python3).
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
const K = 10, WIDTH = 784;
const DILATE = `extern step : Real[${WIDTH}] -o Real[${WIDTH}]
def dilate (n : Nat[${K}]) (image : Real[${WIDTH}]) : Real[${WIDTH}] = iter n { zero => image ; succ y => step y }
`;
/** The dilation model's convolutions: batch, image side, kernel side, channels in → out. */
const CONV_BATCH = 64, SIDE = 28;
const CONVS = [
    { name: 'trunk conv 5×5 1→8', kernel: 5, in: 1, out: 8 },
    { name: 'trunk conv 5×5 8→16', kernel: 5, in: 8, out: 16 },
];
const WINDOW = 13;

/**
 * One round on PyTorch: argv dilate.py batch reps convReps; prints the median CPU seconds of
 * each measured thing. The iterate's inputs are drawn like the tfjs side's (same distributions;
 * the values do not change the work).
 */
const TORCH_ROUND = String.raw`
import importlib.util, json, sys, time, torch
torch.set_num_threads(1)
spec = importlib.util.spec_from_file_location("dilate_module", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
batch, reps, conv_reps = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
convs = json.loads(sys.argv[5])
K, WIDTH, CONV_BATCH, SIDE, WINDOW = 10, 784, 64, 28, 13
g = torch.Generator().manual_seed(1)
W = (torch.randn(WIDTH, WIDTH, generator=g) / 28).requires_grad_()
images = torch.rand(batch, WIDTH, generator=g)
counts = torch.nn.functional.one_hot(torch.arange(batch) % K, K).float()
model = m.dilate({"step": lambda y: y @ W})
def med(f, n):
    for _ in range(2): f()
    times = []
    for _ in range(n):
        start = time.process_time(); f(); times.append(time.process_time() - start)
    times.sort()
    return times[len(times) // 2]
def forward():
    with torch.no_grad(): model(counts, images).sum().item()
def train():
    W.grad = None
    model(counts, images).square().mean().backward()
    W.grad.sum().item()
Wd = W.detach()
dy = torch.rand(batch, WIDTH, generator=g)
xT = images.t().contiguous()
Wt = Wd.t().contiguous()
def floor_forward():
    for _ in range(K - 1): images @ Wd
def floor_train():
    for _ in range(K - 1): images @ Wd
    for _ in range(K - 2): dy @ Wt
    for _ in range(K - 1): xT @ dy
out = {"forward": med(forward, reps), "train": med(train, reps), "floorForward": med(floor_forward, reps), "floorTrain": med(floor_train, reps)} if reps > 0 else {}
aten = torch.ops.aten.convolution_backward
for c in convs:
    x = torch.rand(CONV_BATCH, c["in"], SIDE, SIDE, generator=g)
    w = torch.randn(c["out"], c["in"], c["kernel"], c["kernel"], generator=g)
    d = torch.rand(CONV_BATCH, c["out"], SIDE, SIDE, generator=g)
    p = c["kernel"] // 2
    grad = lambda mask: aten(d, x, w, None, [1, 1], [p, p], [1, 1], False, [0, 0], 1, mask)
    out[c["name"]] = {
        "forward": med(lambda: torch.nn.functional.conv2d(x, w, padding=p), conv_reps),
        "filter": med(lambda: grad([False, True, False]), conv_reps),
        "input": med(lambda: grad([True, False, False]), conv_reps),
    }
# The hyperconv step: each image (padded with background 0) correlated with its own kernel,
# as one grouped convolution (a group per image).
half = WINDOW // 2
x = torch.nn.functional.pad(torch.rand(1, CONV_BATCH, SIDE, SIDE, generator=g), (half, half, half, half))
w = torch.randn(CONV_BATCH, 1, WINDOW, WINDOW, generator=g)
d = torch.rand(1, CONV_BATCH, SIDE, SIDE, generator=g)
grad = lambda mask: aten(d, x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], CONV_BATCH, mask)
out["per-image"] = {
    "forward": med(lambda: torch.nn.functional.conv2d(x, w, groups=CONV_BATCH), conv_reps),
    "filter": med(lambda: grad([False, True, False]), conv_reps),
    "input": med(lambda: grad([True, False, False]), conv_reps),
}
print(json.dumps(out))
`;

export default async function run(ctx) {
    const batch = ctx.quick ? 128 : 512;
    const reps = ctx.quick ? 2 : 5;
    const convReps = ctx.quick ? 5 : 21;
    const rounds = ctx.quick ? 1 : 5;
    const iterName = what => `iterate-784 (iter Nat[10], linked 784→784 step) ${what}, batch ${batch}`;
    const wantsIterate = ['forward', 'forward+backward'].some(what => ctx.wants('recurrent', iterName(what)));
    const convNames = [...CONVS.map(c => c.name), `hyperconv per-image ${WINDOW}×${WINDOW} correlation`];
    const wantsConv = convNames.some(name => ctx.wants('recurrent', name));
    if (!wantsIterate && !wantsConv) return [];

    const { checkText } = await import(pathToFileURL(path.join(root, 'packages/language/out/testing.js')).href);
    const { compileDefinition, generateTorchModule } = await import(entry('compiler'));
    const { initBackend, runProgram, encodeNat } = await import(entry('runtime'));
    const { findTorchPython, ensureConv2dGradientsOnWasm, useDirectConvOnWasm, directConvPasses, perImageCorrelation, wasmCorrelationAvailable, CORRELATION_KERNEL, CORRELATION_FILTER_GRADIENT_KERNEL } = await import(entry('train'));
    const python = findTorchPython().python;
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    await initBackend('wasm');
    if (!ensureConv2dGradientsOnWasm()) throw new Error('the conv2d gradient kernels could not be registered on WASM');
    const tf = await import('@tensorflow/tfjs');
    const engine = tf.engine();

    const { services, document } = await checkText(DILATE);
    const program = compileDefinition(document.parseResult.value.declarations.find(d => d.name === 'dilate'), services).program;
    const work = mkdtempSync(path.join(os.tmpdir(), 'cajal-recurrent-bench-'));
    const rows = [];
    try {
        writeFileSync(path.join(work, 'dilate.py'), generateTorchModule([program]));
        writeFileSync(path.join(work, 'round.py'), TORCH_ROUND);

        /** Median CPU seconds of f over n runs (after 2 untimed); f forces its result. */
        const tfjsMedian = (f, n) => {
            for (let i = 0; i < 2; i++) f();
            const times = [];
            for (let i = 0; i < n; i++) {
                const started = cpuSeconds();
                f();
                times.push(cpuSeconds() - started);
            }
            return median(times);
        };
        // --- iterate-784
        const W = tf.variable(tf.randomNormal([WIDTH, WIDTH], 0, 1 / 28, 'float32', 1));
        const images = tf.randomUniform([batch, WIDTH], 0, 1, 'float32', 2);
        const counts = encodeNat(Array.from({ length: batch }, (_, i) => i % K), K);
        const networks = { step: y => tf.matMul(y, W) };
        const forward = () => { const out = runProgram(program, [counts, images], networks); out.dataSync(); out.dispose(); };
        // Each pass gets W anew (same values, new tensor), as a training step does after every
        // optimiser update: XNNPACK must pack it again, as OpenBLAS packs it on every call.
        const train = () => tf.tidy(() => {
            W.assign(tf.mul(W, 1));
            const { value, grads } = tf.variableGrads(() => runProgram(program, [counts, images], networks).square().mean(), [W]);
            value.dataSync();
            grads[W.name].dataSync();
        });
        // The products alone, operands in the layout the kernel wants and seen before (packed once).
        const dy = tf.randomUniform([batch, WIDTH], 0, 1, 'float32', 3);
        const Wt = tf.transpose(W), xT = tf.transpose(images);
        const products = (list) => () => tf.tidy(() => {
            let last;
            for (const [a, b, times] of list) for (let i = 0; i < times; i++) last = tf.matMul(a, b);
            last.dataSync();
        });
        const floorForward = products([[images, W, K - 1]]);
        const floorTrain = products([[images, W, K - 1], [dy, Wt, K - 2], [xT, dy, K - 1]]);

        // --- the convolutions (kernels as tfjs runs them for a conv2d layer and its gradient: ours where they apply)
        const convInputs = CONVS.map((c, i) => {
            const x = tf.randomUniform([CONV_BATCH, SIDE, SIDE, c.in], 0, 1, 'float32', 10 + i);
            const filter = tf.randomNormal([c.kernel, c.kernel, c.in, c.out], 0, 0.1, 'float32', 20 + i);
            const d = tf.randomUniform([CONV_BATCH, SIDE, SIDE, c.out], 0, 1, 'float32', 30 + i);
            const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
            return {
                name: c.name, tensors: [x, filter, d], trunk: true,
                forward: () => tf.conv2d(x, filter, 1, 'same'),
                filter: () => engine.runKernel('Conv2DBackpropFilter', { x, dy: d }, { ...attrs, filterShape: filter.shape }),
                input: () => engine.runKernel('Conv2DBackpropInput', { dy: d, filter }, { ...attrs, inputShape: x.shape }),
            };
        });
        {
            // hyperconv's perImageCorrelation (packages/train/src/networks.ts) as it runs on
            // tfjs-WASM: our SIMD kernels (packages/train/src/wasm-correlation.ts), the images'
            // gradient being the forward kernel on dy with the kernels read turned 180°.
            const x = tf.randomUniform([CONV_BATCH, SIDE, SIDE], 0, 1, 'float32', 40);
            const k = tf.randomNormal([CONV_BATCH, WINDOW, WINDOW], 0, 0.1, 'float32', 41);
            const d = tf.randomUniform([CONV_BATCH, SIDE, SIDE], 0, 1, 'float32', 42);
            perImageCorrelation(x, k).dispose();
            if (!wasmCorrelationAvailable()) throw new Error('the per-image correlation kernels could not be registered on WASM');
            convInputs.push({
                name: convNames[2], tensors: [x, k, d],
                forward: () => engine.runKernel(CORRELATION_KERNEL, { x, k }, { turned: false }),
                filter: () => engine.runKernel(CORRELATION_FILTER_GRADIENT_KERNEL, { x, dy: d }, { window: WINDOW }),
                input: () => engine.runKernel(CORRELATION_KERNEL, { x: d, k }, { turned: true }),
            });
        }
        const forced = f => () => { const out = f(); out.dataSync(); out.dispose(); };

        // Which trunk passes our direct kernels take (packages/train/src/wasm-conv.ts).
        const direct = {};
        for (const c of convInputs.filter(c => c.trunk)) {
            direct[c.name] = {};
            for (const part of ['forward', 'filter', 'input']) {
                const before = directConvPasses();
                forced(c[part])();
                direct[c.name][part] = directConvPasses() > before;
            }
        }

        const measured = { tfjs: [], torch: [], xnnpack: [] };
        for (let round = 0; round < rounds; round++) {
            const tfjs = {};
            if (wantsIterate) {
                tfjs.forward = tfjsMedian(forward, reps);
                tfjs.train = tfjsMedian(train, reps);
                tfjs.floorForward = tfjsMedian(floorForward, reps);
                tfjs.floorTrain = tfjsMedian(floorTrain, reps);
            }
            const xnnpack = {};
            for (const c of convInputs) {
                const parts = () => ({ forward: tfjsMedian(forced(c.forward), convReps), filter: tfjsMedian(forced(c.filter), convReps), input: tfjsMedian(forced(c.input), convReps) });
                tfjs[c.name] = parts();
                if (!c.trunk) continue;
                // The same passes on tfjs's kernels (XNNPACK, and its convolutions for the gradients), interleaved.
                useDirectConvOnWasm(false);
                try {
                    xnnpack[c.name] = parts();
                } finally {
                    useDirectConvOnWasm(true);
                }
            }
            measured.xnnpack.push(xnnpack);
            const torchRun = spawnSync(python, [path.join(work, 'round.py'), path.join(work, 'dilate.py'), String(batch), String(wantsIterate ? reps : 0), String(convReps), JSON.stringify(CONVS)], { env, encoding: 'utf-8' });
            if (torchRun.status !== 0) throw new Error(`the PyTorch round failed: ${torchRun.stderr}`);
            const torch = JSON.parse(torchRun.stdout);
            torch[convNames[2]] = torch['per-image'];
            measured.tfjs.push(tfjs);
            measured.torch.push(torch);
            if (wantsIterate) ctx.log(`round ${round + 1}: iterate forward ${(tfjs.forward / torch.forward).toFixed(2)}× (floor ${(tfjs.floorForward / torch.forward).toFixed(2)}×), forward+backward ${(tfjs.train / torch.train).toFixed(2)}× (floor ${(tfjs.floorTrain / torch.train).toFixed(2)}×)`);
        }
        tf.dispose([W, images, counts, dy, Wt, xT, ...convInputs.flatMap(c => c.tensors)]);

        const side = (engineName, key, sub) => measured[engineName].map(m => sub ? m[key][sub] : m[key]);
        const ratios = (key, sub) => measured.tfjs.map((m, i) => (sub ? m[key][sub] / measured.torch[i][key][sub] : m[key] / measured.torch[i][key]));
        const listed = values => values.map(r => r.toFixed(2)).join(', ');
        const perExample = seconds => (seconds * 1e6) / batch;
        const how = `CPU time, median of ${rounds} interleaved rounds of ${reps}`;
        if (wantsIterate) {
            for (const [what, key, floorKey, target] of [['forward', 'forward', 'floorForward', '<= 1.3'], ['forward+backward', 'train', 'floorTrain', '<= 1.6']]) {
                rows.push({ suite: 'recurrent', name: `${iterName(what)}, tfjs-wasm`, value: perExample(median(side('tfjs', key))), unit: 'µs/example', note: `${how}; runProgram${key === 'train' ? ', tf.variableGrads' : ''}` });
                rows.push({ suite: 'recurrent', name: `${iterName(what)}, PyTorch`, value: perExample(median(side('torch', key))), unit: 'µs/example', note: `${how}; the generated module${key === 'train' ? ', autograd' : ', no_grad'}${key === 'forward' ? "; the authors' PyTorch code: ~140 µs/example on one core" : ''}` });
                rows.push({ suite: 'recurrent', name: `${iterName(what)}, tfjs-wasm ÷ PyTorch`, value: median(ratios(key)), unit: '×', target, note: `rounds ${listed(ratios(key))}` });
                const floors = measured.tfjs.map((m, i) => m[floorKey] / measured.torch[i][key]);
                rows.push({
                    suite: 'recurrent', name: `${iterName(what)}: the floor, tfjs-wasm's products alone ÷ PyTorch's whole pass`, value: median(floors), unit: '×',
                    note: `the least ratio tfjs-WASM reaches with nothing but its ${key === 'train' ? '26' : '9'} products (weights packed); rounds ${listed(floors)}`
                });
                rows.push({
                    suite: 'recurrent', name: `${iterName(what)}: its products alone, tfjs-wasm ÷ PyTorch`, value: median(ratios(floorKey)), unit: '×',
                    note: `the kernels' ratio for this mix of products; tfjs-wasm ${perExample(median(side('tfjs', floorKey))).toFixed(0)}, PyTorch ${perExample(median(side('torch', floorKey))).toFixed(0)} µs/example; rounds ${listed(ratios(floorKey))}`
                });
                rows.push({
                    suite: 'recurrent', name: `${iterName(what)}, tfjs-wasm above its products`, value: median(measured.tfjs.map(m => m[key] / m[floorKey])), unit: '×',
                    note: 'the neuron\'s time ÷ its products\' time on tfjs-WASM: what is not the products'
                });
            }
        }
        const convHow = `CPU time, median of ${rounds} interleaved rounds of ${convReps}`;
        for (const name of convNames) {
            if (!ctx.wants('recurrent', name)) continue;
            const shape = name.startsWith('hyperconv') ? `${CONV_BATCH} images ${SIDE}×${SIDE}` : `batch ${CONV_BATCH}, ${SIDE}×${SIDE}`;
            // Multiply-adds of each of the three (the gradients have the forward's): per output value, k²·(channels in).
            const conv = CONVS.find(c => c.name === name);
            const flops = conv ? 2 * CONV_BATCH * SIDE * SIDE * conv.out * conv.kernel ** 2 * conv.in : 2 * CONV_BATCH * SIDE * SIDE * WINDOW ** 2;
            const gflops = seconds => (flops / seconds / 1e9).toFixed(1);
            for (const part of ['forward', 'filter', 'input']) {
                const label = part === 'forward' ? 'forward' : `${part} gradient`;
                const [tfjsSeconds, torchSeconds] = [median(side('tfjs', name, part)), median(side('torch', name, part))];
                const kernel = !conv ? 'our per-image SIMD kernel' : direct[name][part] ? 'our direct SIMD kernel' : "tfjs's kernels (a shape ours do not take)";
                rows.push({
                    suite: 'recurrent', name: `${name} ${label}, ${shape}, tfjs-wasm`, value: tfjsSeconds * 1e3, unit: 'ms',
                    note: `${convHow}; ${kernel}; ${gflops(tfjsSeconds)} GFLOP/s; PyTorch ${(torchSeconds * 1e3).toFixed(2)} ms, ${gflops(torchSeconds)} GFLOP/s`
                });
                rows.push({ suite: 'recurrent', name: `${name} ${label}, tfjs-wasm ÷ PyTorch`, value: median(ratios(name, part)), unit: '×', note: `${kernel}; rounds ${listed(ratios(name, part))}` });
                if (!conv) continue;
                // tfjs's own kernels (useDirectConvOnWasm(false)): XNNPACK's convolution, the gradients as XNNPACK convolutions of transposed tensors.
                const xnnpack = measured.xnnpack.map(m => m[name][part]);
                const againstTorch = xnnpack.map((t, i) => t / measured.torch[i][name][part]);
                const againstOurs = measured.tfjs.map((m, i) => m[name][part] / xnnpack[i]);
                rows.push({
                    suite: 'recurrent', name: `${name} ${label}, tfjs's kernels (XNNPACK), tfjs-wasm ÷ PyTorch`, value: median(againstTorch), unit: '×',
                    note: `${(median(xnnpack) * 1e3).toFixed(2)} ms, ${gflops(median(xnnpack))} GFLOP/s; rounds ${listed(againstTorch)}`
                });
                if (direct[name][part]) {
                    rows.push({ suite: 'recurrent', name: `${name} ${label}, our kernel ÷ tfjs's`, value: median(againstOurs), unit: '×', note: `CPU time, interleaved in each round; rounds ${listed(againstOurs)}` });
                }
            }
            for (const part of ['filter', 'input']) {
                const each = measured.tfjs.map(m => m[name][part] / m[name].forward);
                rows.push({ suite: 'recurrent', name: `${name} ${part} gradient ÷ forward, tfjs-wasm`, value: median(each), unit: '×', note: `PyTorch: ${median(measured.torch.map(m => m[name][part] / m[name].forward)).toFixed(2)}×; rounds ${listed(each)}` });
            }
        }
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
    return rows;
}

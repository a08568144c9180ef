/**
 * The architectures of the papers' recurrent-neuron experiments (issue 13), on both engines:
 * the authors' digit reader (`cnn(8, 16, kernel = 5, pool = 3, pooling = last)`), the
 * per-image kernel step (`hyperconv`), the fully convolutional baseline
 * (`conv(6, 6, kernel = 13)`) and the fixed blended vertical dilation that makes the targets
 * (`dilation(3, 1, blend = 0.7)`): parameter counts, output shapes, the targets on a hand-made
 * 5×5 image, and — with the same weights — the same outputs and the same gradients on tfjs
 * and PyTorch (real Python, real files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ast, resolveArchitecture, fnN, RealT, natOf } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { compileDocumentToTorch, decodeNpy, encodeNpy } from '@cajal/compiler';
import { initBackend } from '@cajal/runtime';
import { buildExternNetwork, buildModel, ensureConv2dGradientsOnWasm, externNetwork, perImageCorrelation, prepareTraining, runTorchTraining, runTraining, saveNetworks } from '@cajal/train';
import { loadTraining, temporaryDirectory } from './helpers.js';
import { TORCH_PYTHON, close, python } from '../../../test/torch-python.js';

const image28 = new RealT([28, 28]);

describe('the recurrent experiments\' architectures: sizes and shapes', () => {
    beforeAll(async () => { await initBackend('cpu'); });
    const cases: Array<[string, string, Array<{ key?: string; value: string }>, ReturnType<typeof fnN>, number, number[]]> = [
        // conv5×5 1→8 (208), conv5×5 8→16 (3,216), max pool 3 (28 → 9), linear 1,296 → 10 (12,970)
        ['digit reader', 'cnn', [{ value: '8' }, { value: '16' }, { key: 'kernel', value: '5' }, { key: 'pool', value: '3' }, { key: 'pooling', value: 'last' }], fnN([image28], natOf(10)), 208 + 3216 + 12970, [10]],
        // the same trunk, linear 1,296 → 169 (219,193)
        ['per-image kernel step', 'hyperconv', [{ value: '8' }, { value: '16' }, { key: 'kernel', value: '5' }, { key: 'pool', value: '3' }, { key: 'pooling', value: 'last' }, { key: 'window', value: '13' }], fnN([image28], image28), 208 + 3216 + 219193, [28, 28]],
        // 3 × conv 13×13, channels 1 → 6 → 6 → 1: the authors' 8,125
        ['fully convolutional baseline', 'conv', [{ value: '6' }, { value: '6' }, { key: 'kernel', value: '13' }], fnN([image28], image28), 8125, [28, 28]],
        ['blended vertical dilation', 'dilation', [{ value: '3' }, { value: '1' }, { key: 'blend', value: '0.7' }], fnN([image28], image28), 0, [28, 28]]
    ];
    for (const [what, architecture, args, type, parameters, shape] of cases) {
        it(`${what}: ${parameters} parameters (language = tfjs), output [batch, ${shape.join(', ')}]`, () => {
            const result = resolveArchitecture({ architecture, args }, type);
            if (!result.ok) throw new Error(result.message);
            expect(result.resolved.parameters).toBe(parameters);
            const model = buildModel('net', result.resolved, 3);
            expect(model.countParams()).toBe(parameters);
            const network = externNetwork('net', type, result.resolved, model);
            const y = network.call([tf.randomUniform([3, 28, 28], 0, 1, 'float32', 1)]);
            expect(y.shape).toEqual([3, ...shape]);
            y.dispose();
            model.dispose();
        });
    }

    it('starts the per-image kernel step from PyTorch\'s default U(±1/√fan_in), as the authors, not Glorot', () => {
        const result = resolveArchitecture({ architecture: 'hyperconv', args: [{ value: '8' }, { value: '16' }, { key: 'kernel', value: '5' }, { key: 'pool', value: '3' }, { key: 'pooling', value: 'last' }, { key: 'window', value: '13' }] }, fnN([image28], image28));
        if (!result.ok) throw new Error(result.message);
        const model = buildModel('step', result.resolved, 5);
        const kernels = model.trainableWeights.map(w => w.read()).filter(w => w.shape.length > 1);
        // conv 5×5×1 (fan in 25), conv 5×5×8 (200), dense 1,296 → 169 (1,296).
        for (const [kernel, fanIn] of kernels.map((k, i) => [k, [25, 200, 1296][i]] as const)) {
            const largest = kernel.abs().max().dataSync()[0];
            expect(largest).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
            expect(largest).toBeGreaterThan(0.9 / Math.sqrt(fanIn));
        }
        model.dispose();
    });

    it('rejects a per-image kernel step whose result is not the input image\'s shape, and even windows', () => {
        const wrong = resolveArchitecture({ architecture: 'hyperconv', args: [{ value: '4' }] }, fnN([image28], new RealT([10])));
        expect(wrong.ok).toBe(false);
        if (!wrong.ok) expect(wrong.message).toMatch(/Real\[28, 28\] -o Real\[28, 28\]/);
        const even = resolveArchitecture({ architecture: 'hyperconv', args: [{ value: '4' }, { key: 'window', value: '4' }] }, fnN([image28], image28));
        expect(even.ok).toBe(false);
        if (!even.ok) expect(even.message).toMatch(/window must be an odd/);
        const blend = resolveArchitecture({ architecture: 'dilation', args: [{ key: 'blend', value: '1.5' }] }, fnN([image28], image28));
        expect(blend.ok).toBe(false);
        const pooling = resolveArchitecture({ architecture: 'cnn', args: [{ value: '4' }, { key: 'pooling', value: 'sometimes' }] }, fnN([image28], natOf(10)));
        expect(pooling.ok).toBe(false);
    });
});

// The targets, computed by train blocks as the examples write them, on a hand-made 5×5 image.
const TARGETS = `
extern grow : Real[5, 5] -o Real[5, 5] = dilation(3, 1, blend = 0.7)
extern guess : Real[5, 5] -o Real[5, 5] = conv()
def dilateBy (n : Nat[4]) (x : Real[5, 5]) : Real[5, 5] = iter n { zero => x ; succ y => grow y }
def not (b : Bool) : Bool = if b then false else true
def even (n : Nat[4]) : Bool = iter n { zero => true ; succ y => not y }
train plain {
  data "five.jsonl" (x : Real[5, 5], d : Nat[4]);
  model guess x;
  target dilateBy d x;
  test 0;
}
train conditional {
  data "five.jsonl" (x : Real[5, 5], d : Nat[4]);
  model guess x;
  target if even d then x else dilateBy d x;
  test 0;
}
`;

describe('the authors\' targets on a hand-made 5×5 image', () => {
    beforeAll(async () => { await initBackend('cpu'); });
    // One bright pixel in the middle, one dimmer at the bottom edge.
    const x = [
        0, 0, 0, 0, 0,
        0, 0, 0, 0, 0,
        0, 0, 1, 0, 0,
        0, 0, 0, 0, 0,
        0, 0, 0, 0.5, 0
    ];
    // One step: lerp(x, max over the pixel and its vertical neighbours, 0.7).
    const once = [
        0, 0, 0, 0, 0,
        0, 0, 0.7, 0, 0,
        0, 0, 1, 0, 0,
        0, 0, 0.7, 0.35, 0,
        0, 0, 0, 0.5, 0
    ];
    // Two steps: the grown pixels grow again (0.3·0.7 + 0.7·1 = 0.91 next to the centre).
    const twice = [
        0, 0, 0.49, 0, 0,
        0, 0, 0.91, 0, 0,
        0, 0, 1, 0.245, 0,
        0, 0, 0.91, 0.455, 0,
        0, 0, 0.49, 0.5, 0
    ];
    const thrice = [
        0, 0, 0.49 * 0.3 + 0.91 * 0.7, 0, 0,
        0, 0, 0.91 * 0.3 + 0.7, 0.245 * 0.7, 0,
        0, 0, 1, 0.245 * 0.3 + 0.455 * 0.7, 0,
        0, 0, 0.91 * 0.3 + 0.7, 0.455 * 0.3 + 0.35, 0,
        0, 0, 0.49 * 0.3 + 0.91 * 0.7, 0.5, 0
    ];
    const targets = async (train: string) => {
        const directory = temporaryDirectory();
        const rows = [0, 1, 2, 3].map(d => JSON.stringify({ x: [0, 1, 2, 3, 4].map(i => x.slice(i * 5, i * 5 + 5)), d }));
        fs.writeFileSync(path.join(directory, 'five.jsonl'), rows.join('\n') + '\n');
        fs.writeFileSync(path.join(directory, 'five.cajal'), TARGETS);
        const { services, training } = await loadTraining(path.join(directory, 'five.cajal'), train);
        const prepared = await prepareTraining(training, services, { examples: 4 });
        const data = Array.from(prepared.trainTargets.dataSync());
        prepared.dispose();
        return [0, 1, 2, 3].map(d => data.slice(d * 25, d * 25 + 25));
    };
    it('dilation: label times a vertical 3×1 dilation blended 0.7 with the image', async () => {
        const [t0, t1, t2, t3] = await targets('plain');
        close(t0, x, 'digit 0', 1e-6);
        close(t1, once, 'digit 1', 1e-6);
        close(t2, twice, 'digit 2', 1e-6);
        close(t3, thrice, 'digit 3', 1e-6);
    });
    it('conditional dilation: even digits unchanged, odd ones dilated label times', async () => {
        const [t0, t1, t2, t3] = await targets('conditional');
        close(t0, x, 'digit 0', 1e-6);
        close(t1, once, 'digit 1', 1e-6);
        close(t2, x, 'digit 2', 1e-6);
        close(t3, thrice, 'digit 3', 1e-6);
    });
});

const ARCHITECTURES = `
extern reader : Real[12, 12] -o Nat[3] = cnn(2, 3, kernel = 5, pool = 3, pooling = last, output = raw)
extern kernelStep : Real[12, 12] -o Real[12, 12] = hyperconv(2, 3, kernel = 5, pool = 3, pooling = last, window = 5)
extern baseline : Real[12, 12] -o Real[12, 12] = conv(2, 2, kernel = 5)
extern grow : Real[12, 12] -o Real[12, 12] = dilation(3, 1, blend = 0.7)
def useReader (x : Real[12, 12]) : Nat[3] = reader x
def useKernelStep (x : Real[12, 12]) : Real[12, 12] = kernelStep x
def useBaseline (x : Real[12, 12]) : Real[12, 12] = baseline x
def useGrow (x : Real[12, 12]) : Real[12, 12] = grow x
`;

describe('the recurrent experiments\' architectures on both engines', () => {
    beforeAll(async () => { await initBackend('cpu'); });

    it('give the same outputs and the same gradients with the same weights', async () => {
        const directory = temporaryDirectory();
        const { services, document, diagnostics } = await checkText(ARCHITECTURES);
        expect(diagnostics.filter(d => d.severity === 1).map(d => d.message)).toEqual([]);
        const module = document.parseResult.value as ast.Module;
        const networks = module.declarations.filter(ast.isExtern).map((extern, i) => buildExternNetwork(extern, 40 + i));
        await saveNetworks(path.join(directory, 'w'), networks, { train: 'layout', epoch: 1 });
        fs.writeFileSync(path.join(directory, 'arch.py'), compileDocumentToTorch(document, services).python);
        // Images with a bright stroke, values 0…1, as MNIST's.
        const data = Float32Array.from({ length: 4 * 144 }, (_, k) => Math.max(0, Math.sin(k * 0.37) * Math.cos(k * 0.11)));
        fs.writeFileSync(path.join(directory, 'x.npy'), encodeNpy(data, [4, 144]));
        const expected: Record<string, { output: number[]; gradients: number[][]; input: number[] }> = {};
        for (const network of networks) {
            const x = tf.tensor(data, [4, 12, 12]);
            const size = network.resolved.signature.output.reduce((a, b) => a * b, 1);
            const probe = tf.tensor(Float32Array.from({ length: 4 * size }, (_, k) => Math.cos(k * 0.7)), [4, size]);
            const objective = (input: tf.Tensor) => tf.sum(tf.mul(network.call([input]).reshape([4, size]), probe)) as tf.Scalar;
            const weights = network.model.trainableWeights.map(w => w.read() as tf.Variable);
            const gradients = weights.length > 0 ? Object.values(tf.variableGrads(() => objective(x), weights).grads).map(g => Array.from(g.dataSync())) : [];
            const input = Array.from(tf.grad(objective)(x).dataSync());
            expected[network.name] = { output: Array.from(network.call([x]).dataSync()), gradients, input };
        }
        const actual = python(`
import json, math, torch, arch, cajal_torch
nets = arch.build_networks()
cajal_torch.load_weights("w", nets)
out = {}
for name, net in nets.items():
    x = cajal_torch.read_npy("x.npy").reshape(4, 12, 12).clone().requires_grad_(True)
    y = net(x).reshape(4, -1)
    probe = torch.tensor([math.cos(k * 0.7) for k in range(y.numel())], dtype=torch.float32).reshape(4, -1)
    (y * probe).sum().backward()
    out[name] = {"output": y.reshape(-1).tolist(), "gradients": [p.grad.reshape(-1).tolist() for p in net.parameters() if p.requires_grad],
                 "input": x.grad.reshape(-1).tolist(), "count": sum(p.numel() for p in net.parameters())}
print(json.dumps(out))
`, directory) as Record<string, { output: number[]; gradients: number[][]; input: number[]; count: number }>;
        for (const network of networks) {
            const name = network.name;
            close(actual[name].output, expected[name].output, `${name} output`);
            close(actual[name].input, expected[name].input, `${name} gradient in the input`, 1e-3);
            expect(actual[name].gradients.length, `${name}: parameter tensors`).toBe(expected[name].gradients.length);
            actual[name].gradients.forEach((g, i) => close(g, expected[name].gradients[i], `${name} gradient of parameter ${i}`, 1e-3));
            expect(actual[name].count, name).toBe(network.resolved.parameters);
        }
        // The gradients are not trivially zero: the kernel step's trunk learns through the convolution it drives.
        expect(expected.kernelStep.gradients.every(g => g.some(v => Math.abs(v) > 1e-6))).toBe(true);
        expect(expected.grow.gradients).toEqual([]);
        expect(expected.grow.input.some(v => v !== 0)).toBe(true);
    }, 120_000);
});

describe('the torch engine\'s test predictions (for measures beyond the mean)', () => {
    beforeAll(async () => { await initBackend('cpu'); });

    it('writes the test predictions of every scheduled evaluation, the ones the engine measured', async () => {
        const directory = temporaryDirectory();
        const rows = Array.from({ length: 24 }, (_, r) => JSON.stringify({ x: [0, 1, 2, 3, 4].map(i => [0, 1, 2, 3, 4].map(j => Math.max(0, Math.sin(r * 1.3 + i * 0.7 + j)))), d: r % 4 }));
        fs.writeFileSync(path.join(directory, 'five.jsonl'), rows.join('\n') + '\n');
        fs.writeFileSync(path.join(directory, 'five.cajal'), TARGETS.replace('  target dilateBy d x;\n  test 0;', '  target dilateBy d x;\n  loss l1; batch 4; epochs 1; examples 16; test 8; evaluate every 2;'));
        const { services, training } = await loadTraining(path.join(directory, 'five.cajal'), 'plain');
        const prepared = await prepareTraining(training, services, {});
        const predictions = path.join(directory, 'predictions');
        try {
            const result = await runTorchTraining(prepared, { weightsDirectory: null, torch: { python: TORCH_PYTHON, predictionsDirectory: predictions } });
            expect(result.evaluations.map(e => e.step)).toEqual([0, 2, 4]);
            const targets = prepared.testTargets.dataSync();
            // Each file holds the 8 test predictions of 25 pixels, and the engine's own mean PSNR (range 1, MSE floored at 1e-10) is recomputed from it.
            const expectPredictions = (folder: string, evaluation: { step: number; test: { psnr?: number | null } }) => {
                const { shape, data } = decodeNpy(fs.readFileSync(path.join(folder, `step-${evaluation.step}.npy`)));
                expect(shape).toEqual([8, 25]);
                let total = 0;
                for (let i = 0; i < 8; i++) {
                    let sum = 0;
                    for (let k = 0; k < 25; k++) sum += (data[i * 25 + k] - targets[i * 25 + k]) ** 2;
                    total += -10 * Math.log10(Math.max(sum / 25, 1e-10));
                }
                expect(total / 8).toBeCloseTo(evaluation.test.psnr!, 3);
            };
            for (const evaluation of result.evaluations) expectPredictions(predictions, evaluation);
            expect(fs.readdirSync(predictions).sort()).toEqual(['step-0.npy', 'step-2.npy', 'step-4.npy']);
            // The tfjs engine writes the same files, from the same start: step 0's predictions agree.
            const tfjsPredictions = path.join(directory, 'tfjs-predictions');
            const again = await prepareTraining(training, services, {});
            try {
                const tfjs = await runTraining(again, { weightsDirectory: null, backend: 'cpu', predictionsDirectory: tfjsPredictions });
                expect(tfjs.evaluations.map(e => e.step)).toEqual([0, 2, 4]);
                expect(fs.readdirSync(tfjsPredictions).sort()).toEqual(['step-0.npy', 'step-2.npy', 'step-4.npy']);
                for (const evaluation of tfjs.evaluations) expectPredictions(tfjsPredictions, evaluation);
                close(Array.from(decodeNpy(fs.readFileSync(path.join(tfjsPredictions, 'step-0.npy'))).data), Array.from(decodeNpy(fs.readFileSync(path.join(predictions, 'step-0.npy'))).data), 'step 0 on both engines', 1e-4);
            } finally {
                again.dispose();
            }
        } finally {
            prepared.dispose();
        }
    }, 120_000);
});

describe('the per-image kernel step and the conv gradients on tfjs-WASM', () => {
    beforeAll(async () => { await initBackend('wasm'); ensureConv2dGradientsOnWasm(); });
    afterAll(async () => { await initBackend('cpu'); });
    const naiveCorrelation = (image: Float32Array, kernel: Float32Array, probe: Float32Array, [b, h, w, k]: number[]) => {
        const half = (k - 1) / 2;
        const y = new Float64Array(b * h * w), dx = new Float64Array(b * h * w), dk = new Float64Array(b * k * k);
        for (let n = 0; n < b; n++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let a = 0; a < k; a++) for (let c = 0; c < k; c++) {
            const p = i + a - half, q = j + c - half;
            if (p < 0 || q < 0 || p >= h || q >= w) continue;
            const out = n * h * w + i * w + j, kv = kernel[n * k * k + a * k + c], xv = image[n * h * w + p * w + q];
            y[out] += kv * xv;
            dx[n * h * w + p * w + q] += kv * probe[out];
            dk[n * k * k + a * k + c] += xv * probe[out];
        }
        return { y: Array.from(y), dx: Array.from(dx), dk: Array.from(dk) };
    };

    it('cross-correlates each image with its own kernel, with both gradients (as a direct sum)', () => {
        const dims = [3, 7, 6, 5];
        const [b, h, w, k] = dims;
        const image = Float32Array.from({ length: b * h * w }, (_, i) => Math.sin(i * 0.37));
        const kernel = Float32Array.from({ length: b * k * k }, (_, i) => Math.cos(i * 0.29));
        const probe = Float32Array.from({ length: b * h * w }, (_, i) => Math.cos(i * 0.7));
        const expected = naiveCorrelation(image, kernel, probe, dims);
        expect(tf.getBackend()).toBe('wasm');
        const [x, kk, pr] = [tf.tensor3d(image, [b, h, w]), tf.tensor3d(kernel, [b, k, k]), tf.tensor3d(probe, [b, h, w])];
        close(Array.from(perImageCorrelation(x, kk).dataSync()), expected.y, 'output', 1e-5);
        const [dx, dk] = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(perImageCorrelation(a as tf.Tensor3D, c as tf.Tensor3D), pr)))([x, kk]);
        close(Array.from(dx.dataSync()), expected.dx, 'gradient in the images', 1e-5);
        close(Array.from(dk.dataSync()), expected.dk, 'gradient in the kernels', 1e-5);
        expect(() => perImageCorrelation(x, tf.zeros([3, 4, 4]) as tf.Tensor3D)).toThrow(/w odd/);
    });

    it('gives conv2d\'s gradients (same and valid, 5×3 filters) as the CPU backend does', async () => {
        const x0 = Float32Array.from({ length: 3 * 9 * 8 * 2 }, (_, i) => Math.sin(i * 0.37));
        const w0 = Float32Array.from({ length: 5 * 3 * 2 * 4 }, (_, i) => Math.cos(i * 0.29));
        const gradients = () => (['same', 'valid'] as const).map(pad => {
            const objective = (x: tf.Tensor, w: tf.Tensor) => {
                const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, pad);
                return tf.sum(tf.mul(y, tf.cos(tf.range(0, y.size).reshape(y.shape))));
            };
            return tf.grads(objective)([tf.tensor4d(x0, [3, 9, 8, 2]), tf.tensor4d(w0, [5, 3, 2, 4])]).map(g => Array.from(g.dataSync()));
        });
        const onWasm = gradients();
        await initBackend('cpu');
        const onCpu = gradients();
        await initBackend('wasm');
        onWasm.forEach((pair, i) => pair.forEach((g, j) => close(g, onCpu[i][j], `${i ? 'valid' : 'same'}: gradient ${j ? 'in the filter' : 'in the input'}`, 1e-5)));
    });
});

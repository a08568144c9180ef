/**
 * The generated PyTorch module computes what the tfjs runtime computes: for random
 * well-typed programs (test/program-generator.ts: higher-order, iter, pairs, let; the prelude's
 * `not`, `and` and `mix3` replaced at random by externs with fixed weights, so networks
 * run inside if, iter, lambdas and let), compiled folded and structurally, the torch
 * module's outputs equal `runProgram`'s on the same inputs (basis and soft) within float
 * tolerance, and so do the gradients of a weighted sum of the outputs with respect to the
 * inputs and to the networks' weights. One real Python process runs every case.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { ast } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { compileDefinition, generateTorchModule, type Program } from '@cajal/compiler';
import { initBackend, runProgram, type LinkedNetworks } from '@cajal/runtime';
import { PRELUDE, randomProgram } from '../program-generator.js';
import { TORCH_PYTHON } from '../torch-python.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-torch-eq-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Prelude definitions that may become calls of externs (one of two arguments among them). */
const EXTERN_VARIANTS = [
    { definition: 'def not (x : Bool) : Bool = if x then false else true', replacement: 'extern flip : Bool -o Bool\ndef not (x : Bool) : Bool = flip x', extern: 'flip', inDim: 2, outDim: 2 },
    { definition: 'def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false', replacement: 'extern both : Bool -o Bool -o Bool\ndef and (x : Bool) (y : Bool) : Bool = both x y', extern: 'both', inDim: 4, outDim: 2 },
    { definition: /def mix3 \(n : Nat\[3\]\) : Nat\[3\] = .*/, replacement: 'extern rot : Nat[3] -o Nat[3]\ndef mix3 (n : Nat[3]) : Nat[3] = rot n', extern: 'rot', inDim: 3, outDim: 3 }
] as const;

interface Case {
    seed: number;
    text: string;
    program: Program;
    inputs: { data: number[]; shape: number[] }[];
    networks: Record<string, { W: number[]; b: number[]; inDim: number; outDim: number }>;
    weights: number[];
}

/** A small seeded generator for weights and inputs. */
function numbers(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = Math.imul(state ^ (state >>> 15), state | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

async function makeCase(seed: number): Promise<Case> {
    const random = numbers(seed ^ 0x5bd1e995);
    let { text } = randomProgram(seed);
    const networks: Case['networks'] = {};
    for (const variant of EXTERN_VARIANTS) {
        if (random() < 0.9) {
            text = text.replace(variant.definition, variant.replacement);
            networks[variant.extern] = {
                W: Array.from({ length: variant.inDim * variant.outDim }, () => random() * 2 - 1),
                b: Array.from({ length: variant.outDim }, () => random() - 0.5),
                inDim: variant.inDim, outDim: variant.outDim
            };
        }
    }
    expect(text.startsWith(PRELUDE) || Object.keys(networks).length > 0).toBe(true);
    const { services, document, diagnostics } = await checkText(text);
    expect(diagnostics.filter(d => d.severity === 1).map(d => d.message), text).toEqual([]);
    const main = (document.parseResult.value as ast.Module).declarations.find(d => d.name === 'main') as ast.Definition;
    const program = compileDefinition(main, services, { fold: random() < 0.5 }).program;
    for (const name of Object.keys(networks)) if (!program.externs.some(e => e.name === name)) delete networks[name];
    const batch = 3;
    // Basis inputs (one-hot rows) for even seeds, soft ones (positive, normalised) for odd seeds.
    const soft = seed % 2 === 1;
    const inputs = program.inputs.map(input => {
        const d = input.shape.reduce((a, b) => a * b, 1);
        const data: number[] = [];
        for (let row = 0; row < batch; row++) {
            if (soft) {
                const raw = Array.from({ length: d }, () => random() + 0.05);
                const sum = raw.reduce((a, b) => a + b, 0);
                data.push(...raw.map(x => x / sum));
            } else {
                const hot = Math.floor(random() * d);
                data.push(...Array.from({ length: d }, (_, i) => (i === hot ? 1 : 0)));
            }
        }
        return { data, shape: [batch, ...input.shape] };
    });
    const outBatch = program.inputs.length === 0 ? 1 : batch;
    const weights = Array.from({ length: outBatch * program.outputShape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
    return { seed, text, program, inputs, networks, weights };
}

/** Outputs and gradients on tfjs: runProgram with networks softmax(concat(inputs) · W + b). */
function tfjsResult(c: Case): { output: number[]; inputGrads: number[][]; networkGrads: Record<string, number[]> } {
    return tf.tidy(() => {
        const names = Object.keys(c.networks);
        const inputs = c.inputs.map(x => tf.tensor(x.data, x.shape));
        const params = names.map(name => tf.tensor2d(c.networks[name].W, [c.networks[name].inDim, c.networks[name].outDim]));
        const biases = names.map(name => tf.tensor1d(c.networks[name].b));
        const f = (...args: tf.Tensor[]) => {
            const xs = args.slice(0, inputs.length);
            const networks: Record<string, (...ys: tf.Tensor[]) => tf.Tensor> = {};
            names.forEach((name, i) => {
                const W = args[inputs.length + i];
                networks[name] = (...ys) => tf.softmax(tf.add(tf.matMul(tf.concat(ys.map(y => y.reshape([y.shape[0], -1])), 1), W as tf.Tensor2D), biases[i]));
            });
            const out = runProgram(c.program, xs, networks as LinkedNetworks);
            // 0·Σ of every argument: an output that does not depend on one (an iter of count 0
            // never uses the variable its step replicates) has gradient 0 there, as torch's
            // allow_unused gives, instead of tfjs refusing to differentiate.
            const unused = args.reduce((sum, a) => tf.add(sum, tf.mul(0, tf.sum(a))), tf.scalar(0));
            return tf.add(unused, tf.sum(tf.mul(out.reshape([out.shape[0], -1]), tf.tensor(c.weights, [out.shape[0], out.size / out.shape[0]]))));
        };
        const output = (() => {
            const networks: Record<string, (...ys: tf.Tensor[]) => tf.Tensor> = {};
            names.forEach((name, i) => {
                networks[name] = (...ys) => tf.softmax(tf.add(tf.matMul(tf.concat(ys.map(y => y.reshape([y.shape[0], -1])), 1), params[i] as tf.Tensor2D), biases[i]));
            });
            return Array.from(runProgram(c.program, inputs, networks as LinkedNetworks).dataSync());
        })();
        const all = [...inputs, ...params];
        const grads = all.length > 0 ? tf.grads(f)(all) : [];
        return {
            output,
            inputGrads: grads.slice(0, inputs.length).map(g => Array.from(g.dataSync())),
            networkGrads: Object.fromEntries(names.map((name, i) => [name, Array.from(grads[inputs.length + i].dataSync())]))
        };
    });
}

const RUNNER = String.raw`
import importlib.util, json, sys, traceback, torch
root = sys.argv[1]
cases = json.load(open(root + "/cases.json"))
results = []
for i, case in enumerate(cases):
    try:
        spec = importlib.util.spec_from_file_location("case%d" % i, "%s/case%d.py" % (root, i))
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
        params = {}
        networks = {}
        for name, net in case["networks"].items():
            W = torch.tensor(net["W"], dtype=torch.float32).reshape(net["inDim"], net["outDim"]).requires_grad_()
            b = torch.tensor(net["b"], dtype=torch.float32)
            params[name] = W
            networks[name] = (lambda W, b: lambda *ys: torch.softmax(torch.cat([y.reshape(y.shape[0], -1) for y in ys], 1) @ W + b, 1))(W, b)
        inputs = [torch.tensor(x["data"], dtype=torch.float32).reshape(x["shape"]).requires_grad_() for x in case["inputs"]]
        out = m.definitions["main"](networks)(*inputs)
        flat = out.reshape(out.shape[0], -1)
        loss = (flat * torch.tensor(case["weights"], dtype=torch.float32).reshape(flat.shape)).sum()
        if loss.requires_grad:
            loss.backward()
        grad = lambda t: (t.grad if t.grad is not None else torch.zeros_like(t)).reshape(-1).tolist()
        results.append({"output": flat.detach().reshape(-1).tolist(), "inputGrads": [grad(x) for x in inputs],
                        "networkGrads": {name: grad(W) for name, W in params.items()}})
    except Exception:
        results.append({"error": traceback.format_exc()})
json.dump(results, open(root + "/results.json", "w"))
`;

function close(actual: readonly number[], expected: readonly number[], what: string): void {
    expect(actual.length, what).toBe(expected.length);
    actual.forEach((x, i) => expect(Math.abs(x - expected[i]), `${what} entry ${i}: torch ${x}, tfjs ${expected[i]}`).toBeLessThan(1e-4 + 1e-4 * Math.abs(expected[i])));
}

describe('generated PyTorch modules agree with the tfjs runtime', () => {
    beforeAll(async () => { await initBackend('cpu'); });

    it('on random programs with externs of fixed weights: outputs and gradients, basis and soft inputs', async () => {
        const seeds = fc.sample(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { numRuns: 120, seed: 20261129 });
        const cases: Case[] = [];
        for (const seed of seeds) cases.push(await makeCase(seed));
        cases.forEach((c, i) => fs.writeFileSync(path.join(work, `case${i}.py`), generateTorchModule([c.program], { source: `seed ${c.seed}` })));
        fs.writeFileSync(path.join(work, 'cases.json'), JSON.stringify(cases.map(c => ({ inputs: c.inputs, networks: c.networks, weights: c.weights }))));
        fs.writeFileSync(path.join(work, 'runner.py'), RUNNER);
        const run = spawnSync(TORCH_PYTHON, [path.join(work, 'runner.py'), work], { encoding: 'utf-8', timeout: 240_000 });
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        const results = JSON.parse(fs.readFileSync(path.join(work, 'results.json'), 'utf-8')) as Array<{ error?: string; output: number[]; inputGrads: number[][]; networkGrads: Record<string, number[]> }>;
        let withNetworks = 0, structural = 0, withInputs = 0;
        cases.forEach((c, i) => {
            const where = `seed ${c.seed}\n${c.text}`;
            expect(results[i].error, where).toBeUndefined();
            const expected = tfjsResult(c);
            close(results[i].output, expected.output, `output, ${where}`);
            c.inputs.forEach((_, k) => close(results[i].inputGrads[k], expected.inputGrads[k], `gradient of input ${k}, ${where}`));
            for (const name of Object.keys(c.networks)) close(results[i].networkGrads[name], expected.networkGrads[name], `gradient of ${name}'s weights, ${where}`);
            if (Object.keys(c.networks).length > 0) withNetworks++;
            if (c.inputs.length > 0) withInputs++;
            if (JSON.stringify(c.program.body, (_, v) => (v instanceof Float32Array ? undefined : v)).match(/"op":"(lambda|letPair|iterate|apply)"/)) structural++;
        });
        // The cases must exercise what the property is about.
        expect(withNetworks, `${withNetworks} with networks, ${withInputs} with inputs, ${structural} structural`).toBeGreaterThan(30);
        expect(withInputs).toBeGreaterThan(30);
        expect(structural).toBeGreaterThan(20);
    }, 300_000);
});

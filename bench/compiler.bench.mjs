/**
 * Compiler benchmarks with the built packages (packages/{language,compiler,runtime}/out):
 * - matrix extraction (compile-time folding) of the k-input xor written as nested
 *   applications, k = 2…16. The authors' implementation enumerates basis inputs: 1.2 s at
 *   k = 10 and 45 s at k = 15 on one CPU core. Targets: k = 10 under 20 ms, k = 16 under 1 s.
 * - batched forward passes of compiled `and` / `eq` at batch 65,536 (µs per example).
 * The compiled `iter` with a linked 784→784 step, against PyTorch, is recurrent.bench.mjs's.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { timeMs } from './timing.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = name => pathToFileURL(path.join(root, 'packages', name, 'out/index.js')).href;


/** `fun x1 … xk => xor x1 (xor x2 (… (xor x(k-1) xk)))`. */
function xorProgram(k) {
    const xs = Array.from({ length: k }, (_, i) => `x${i + 1}`);
    let body = `xor ${xs[k - 2]} ${xs[k - 1]}`;
    for (let i = k - 3; i >= 0; i--) body = `xor ${xs[i]} (${body})`;
    const type = Array.from({ length: k }, () => 'Bool').join(' -o ') + ' -o Bool';
    return `def not (x : Bool) : Bool = if x then false else true
def xor (a : Bool) (b : Bool) : Bool = if a then not b else b
def xor${k} : ${type} = fun ${xs.join(' ')} => ${body}
`;
}

export default async function run(ctx) {
    for (const name of ['language', 'compiler', 'runtime']) {
        if (!existsSync(path.join(root, 'packages', name, 'out/index.js'))) throw new Error(`packages/${name}/out is missing: run npx tsc -b tsconfig.build.json`);
    }
    const { checkText } = await import(pathToFileURL(path.join(root, 'packages', 'language', 'out/testing.js')).href);
    const { neuronOf, compileDefinition } = await import(entry('compiler'));
    const { initBackend, runProgram, encodeBool } = await import(entry('runtime'));
    const rows = [];

    // Matrix extraction of the k-input xor.
    for (let k = 2; k <= 16; k++) {
        const name = `xor k=${k} matrix extraction`;
        if (!ctx.wants('compiler', name)) continue;
        if (ctx.quick && k % 2 === 1 && k !== 15) continue;
        const { services, document, diagnostics } = await checkText(xorProgram(k));
        if (diagnostics.some(d => d.severity === 1)) throw new Error(`xor${k} does not check: ${diagnostics.map(d => d.message).join('; ')}`);
        const definition = document.parseResult.value.declarations.find(d => d.name === `xor${k}`);
        let neuron;
        // neuronOf compiles afresh each time: measures the whole extraction, not a cache hit.
        const ms = timeMs(() => { neuron = neuronOf(definition, services, { maxLabels: 0 }); },
            { warmup: 1, repetitions: k >= 14 ? 3 : 7 });
        // Check the meaning on a few inputs, so a fast wrong answer cannot pass. The curried
        // matrix, read row-major, is the tensor [dim B, x_k, …, x_1] (Bool: index 0 = true).
        const data = neuron.data;
        if (data.length !== 2 ** (k + 1)) throw new Error(`xor${k}: ${data.length} entries`);
        for (const inputs of [0, 1, 2 ** k - 1, Math.floor(2 ** k / 3), Math.floor(2 ** k / 7)]) {
            // bit i of `inputs` is x_(i+1) (1 = false); the flat index puts x_1 last.
            let trues = 0, index = 0;
            for (let i = k - 1; i >= 0; i--) {
                const bit = (inputs >> i) & 1;
                if (bit === 0) trues++;
                index = index * 2 + bit;
            }
            const result = trues % 2 === 1 ? 0 : 1; // xor is true for an odd number of trues
            if (data[result * 2 ** k + index] !== 1 || data[(1 - result) * 2 ** k + index] !== 0) {
                throw new Error(`xor${k}: wrong value for inputs ${inputs.toString(2)}`);
            }
        }
        const target = k === 10 ? '<= 20' : k === 16 ? '<= 1000' : undefined;
        rows.push({
            suite: 'compiler', name, value: ms, unit: 'ms', ...(target ? { target } : {}),
            note: k === 10 ? "authors' implementation: 1.2 s" : k === 15 ? "authors' implementation: 45 s" : `${data.length} entries`
        });
        ctx.log(`${name}: ${ms.toFixed(2)} ms`);
    }

    const source = `def not (x : Bool) : Bool = if x then false else true
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
def eq (a : Bool) (b : Bool) : Bool = if a then b else not b
`;
    const { services, document } = await checkText(source);
    const definitions = Object.fromEntries(document.parseResult.value.declarations.map(d => [d.name, d]));
    const choice = await initBackend('auto');

    const batch = ctx.quick ? 8192 : 65536;
    for (const name of ['and', 'eq']) {
        const row = `${name} forward, batch ${batch}, ${choice.backend}`;
        if (!ctx.wants('compiler', row)) continue;
        const program = compileDefinition(definitions[name], services).program;
        const x = encodeBool(Array.from({ length: batch }, (_, i) => i % 2 === 0));
        const y = encodeBool(Array.from({ length: batch }, (_, i) => i % 3 === 0));
        const ms = timeMs(() => { const out = runProgram(program, [x, y]); out.dataSync(); out.dispose(); }, { warmup: 2, repetitions: ctx.quick ? 3 : 10 });
        const out = runProgram(program, [x, y]);
        const values = out.dataSync();
        // Spot-check the meaning: example 0 is (true, true).
        const expected = name === 'and' ? [1, 0] : [1, 0];
        if (values[0] !== expected[0] || values[1] !== expected[1]) throw new Error(`${name}: wrong result ${values[0]}, ${values[1]}`);
        out.dispose();
        rows.push({ suite: 'compiler', name: row, value: (ms * 1000) / batch, unit: 'µs/example', note: `${ms.toFixed(2)} ms per batch` });
        tf.dispose([x, y]);
    }

    return rows;
}

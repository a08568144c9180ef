/**
 * Function-valued externs: `extern church (x : A) : Bool -o Bool -o Bool = mlp(…)` is a network
 * of its binder whose output is a function value (a [4, 2] matrix per example) that the
 * program applies; `extern f : A -o B -o C` stays one network of all its arguments.
 * - the declaration type-checks, its reading is the binders one, `cajal check` reports a
 *   declaration that mixes the readings with a location;
 * - the compiled program calls the network once and applies its output matrix: numbers
 *   against a hand computation;
 * - a Church model trains one step on both engines: the first batch's loss is the hand
 *   computation from the initial networks' outputs, and the engines' weights agree.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ast, externReading, type CajalServices } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { compileDefinition } from '@cajal/compiler';
import { initBackend, runProgram } from '@cajal/runtime';
import { loadNetworks, prepareTraining, runTorchTraining, runTraining, seededRandom } from '@cajal/train';
import { loadTraining, runCli, temporaryDirectory } from './helpers.js';
import { TORCH_PYTHON } from '../../../test/torch-python.js';

const SOURCE = `
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
extern church (x : Real[2]) : Bool -o Bool -o Bool = mlp(4)
extern isEven : Real[2] -o Bool = mlp(4, output = raw)
extern pairNet : Real[2] -o Real[2] -o Bool = mlp(4)
def churchAnd (a : Real[2]) (b : Real[2]) : Bool = church a (isEven b) false
def churchValue (a : Real[2]) : Bool -o Bool -o Bool = church a
`;

let services: CajalServices;
let module: ast.Module;

beforeAll(async () => {
    await initBackend('cpu');
    const checked = await checkText(SOURCE);
    expect(checked.diagnostics.filter(d => d.severity === 1).map(d => d.message)).toEqual([]);
    services = checked.services;
    module = checked.document.parseResult.value as ast.Module;
});

const declaration = <T extends ast.Declaration>(name: string) => module.declarations.find(d => d.name === name) as T;

describe('an extern with binders', () => {
    it('type-checks as its binders -o its output, read as a network of the binders with a function-valued output', () => {
        const church = declaration<ast.Extern>('church');
        expect(String(services.typing.TypeChecker.typeOf(church))).toBe('Real[2] -o Bool -o Bool -o Bool');
        const reading = externReading(church);
        expect([reading.reading, reading.inputs.map(String), String(reading.output)]).toEqual(['binders', ['Real[2]'], 'Bool -o Bool -o Bool']);
        const pair = externReading(declaration<ast.Extern>('pairNet'));
        expect([pair.reading, pair.inputs.map(String), String(pair.output)]).toEqual(['arguments', ['Real[2]', 'Real[2]'], 'Bool']);
    });

    it('compiles to one network call whose [4, 2] output matrix the program applies (hand computation)', () => {
        const program = compileDefinition(declaration<ast.Definition>('churchAnd'), services).program;
        expect(program.externs.map(e => [e.name, e.inputShapes, e.outputShape])).toEqual([['church', [[2]], [4, 2]], ['isEven', [[2]], [2]]]);
        // church's output M (rows: the 4 entries of a Bool -o Bool matrix, columns: its Bool argument).
        const M = [[[1, 2], [3, 4], [5, 6], [7, 8]], [[0, 1], [1, 0], [2, 0], [0, 3]]];
        const v = [[0.25, 0.75], [1, 0]];
        const out = runProgram(program, [tf.tensor2d([[9, 9], [9, 9]]), tf.tensor2d([[0, 0], [0, 0]])], {
            church: (x: tf.Tensor) => { expect(x.shape).toEqual([2, 2]); return tf.tensor3d(M); },
            isEven: () => tf.tensor2d(v)
        });
        // w = M v is the Bool -o Bool matrix [[w0, w1], [w2, w3]]; applied to false = [0, 1] it gives [w1, w3].
        const expected = M.map((m, b) => {
            const w = m.map(row => row[0] * v[b][0] + row[1] * v[b][1]);
            return [w[1], w[3]];
        });
        expect(expected).toEqual([[3.75, 7.75], [1, 0]]);
        expect(out.shape).toEqual([2, 2]);
        Array.from(out.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(expected.flat()[i], 5));
        // The function value as a definition's result: the program takes its arguments too (a, then two Bools);
        // church a true false picks column 0 of M (w = [1, 3, 5, 7]) and then [w1, w3].
        const value = compileDefinition(declaration<ast.Definition>('churchValue'), services).program;
        expect(value.inputs.map(input => input.shape)).toEqual([[2], [2], [2]]);
        const picked = runProgram(value, [tf.tensor2d([[9, 9]]), tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 1]])], { church: () => tf.tensor3d([M[0]]) });
        expect(Array.from(picked.dataSync())).toEqual([3, 7]);
    });

    it('`cajal check` reports a declaration that mixes the readings, at its output type', async () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'mixed.cajal'), [
            'extern church (x : Real[28, 28]) : Real[28, 28] -o Bool -o Bool -o Bool = mlp(400)',
            'extern takesFunction (f : Bool -o Bool) : Bool = mlp(4)',
            ''
        ].join('\n'));
        const run = await runCli(['check', 'mixed.cajal'], directory);
        expect(run.code).toBe(1);
        expect(run.stdout).toBe([
            "mixed.cajal:1:36: error[extern/reading]: The extern 'church' mixes its two readings: its binders (x : Real[28, 28]) are the network's inputs and the type after ':' is the network's output, "
            + "but this output, Real[28, 28] -o Bool -o Bool -o Bool, takes the binders' types again. For one network of x write `extern church (x : Real[28, 28]) : Bool -o Bool -o Bool` "
            + "(or, the same network, `extern church : Real[28, 28] -o Bool -o Bool -o Bool`); for a network whose output is a function value, write after ':' only that function's type.",
            "mixed.cajal:2:23: error[extern/reading]: The binder 'f' of the extern 'takesFunction' is an input of its network, which cannot take a function (Bool -o Bool); give it Real, Bool or Nat inputs.",
            ''
        ].join('\n'));
    });
});

describe('a Church model', () => {
    it('trains one step on both engines: the first loss is the hand computation, the engines agree', async () => {
        const directory = temporaryDirectory();
        const random = seededRandom(5);
        const rows = Array.from({ length: 16 }, () => {
            const x1 = [random() * 2 - 1, random() * 2 - 1], x2 = [random() * 2 - 1, random() * 2 - 1];
            return JSON.stringify({ x1, x2, t: x1[0] > 0 && x2[0] > 0 });
        });
        fs.writeFileSync(path.join(directory, 'pairs.jsonl'), rows.join('\n') + '\n');
        fs.writeFileSync(path.join(directory, 'church.cajal'), `${SOURCE}
train churchStep {
  data "pairs.jsonl" (x1 : Real[2], x2 : Real[2], t : Bool);
  model churchAnd x1 x2;
  target t;
  loss softmax_cross_entropy; optimizer sgd; lr 0.5; epochs 1; batch 12; seed 2; examples 12; test 4;
}
`);
        const { services: trainServices, training } = await loadTraining(path.join(directory, 'church.cajal'));
        const prepared = await prepareTraining(training, trainServices);
        const weights = (models: Iterable<{ model: tf.LayersModel }>) => [...models].flatMap(n => n.model.getWeights().flatMap(w => Array.from(w.dataSync())));
        const before = weights(prepared.networks.values());

        // By hand from the initial networks: r = [w1, w3] with w = M v, loss = mean of −log softmax(r)[target].
        const train = prepared.data.train;
        const x1 = tf.tensor2d(train.fields.get('x1')!.data, [12, 2]), x2 = tf.tensor2d(train.fields.get('x2')!.data, [12, 2]);
        const M = prepared.networks.get('church')!.call([x1]).arraySync() as number[][][];
        const v = prepared.networks.get('isEven')!.call([x2]).arraySync() as number[][];
        const targets = prepared.trainTargets.arraySync() as number[][];
        let total = 0;
        M.forEach((m, b) => {
            const w = m.map(row => row[0] * v[b][0] + row[1] * v[b][1]);
            const r = [w[1], w[3]];
            const top = Math.max(...r);
            const logSum = top + Math.log(r.reduce((s, x) => s + Math.exp(x - top), 0));
            total += -(targets[b][0] * (r[0] - logSum) + targets[b][1] * (r[1] - logSum));
        });
        const handLoss = total / 12;

        const tfjsEvents: Array<{ event: string; loss?: number }> = [];
        await runTraining(prepared, { weightsDirectory: path.join(directory, 'tfjs'), onEvent: e => tfjsEvents.push(e as never) });
        prepared.dispose();
        const tfjsAfter = weights((await loadNetworks(path.join(directory, 'tfjs'))).values());

        const torchPrepared = await prepareTraining(training, trainServices);
        const torchEvents: Array<{ event: string; loss?: number }> = [];
        await runTorchTraining(torchPrepared, { weightsDirectory: path.join(directory, 'torch'), onEvent: e => torchEvents.push(e as never), torch: { python: TORCH_PYTHON } });
        torchPrepared.dispose();
        const torchAfter = weights((await loadNetworks(path.join(directory, 'torch'))).values());

        const firstLoss = (events: typeof tfjsEvents) => events.find(e => e.event === 'batch')!.loss!;
        expect(firstLoss(tfjsEvents)).toBeCloseTo(handLoss, 5);
        expect(firstLoss(torchEvents)).toBeCloseTo(handLoss, 5);
        // One step moved the weights of both networks (the gradient flows through the applied matrix) …
        const churchParameters = prepared.networks.get('church')!.resolved.parameters;
        const moved = (after: number[], from: number, to: number) => after.slice(from, to).some((w, i) => Math.abs(w - before[from + i]) > 1e-6);
        expect(moved(tfjsAfter, 0, churchParameters)).toBe(true);
        expect(moved(tfjsAfter, churchParameters, before.length)).toBe(true);
        // … in the same way on both engines.
        expect(torchAfter.length).toBe(tfjsAfter.length);
        torchAfter.forEach((w, i) => expect(Math.abs(w - tfjsAfter[i]), `weight ${i}`).toBeLessThan(1e-5));
    });
});

/**
 * Externs of several arguments (`A1 -o … -o An -o B`, n ≥ 2) are ONE network of all n
 * arguments: a full application compiles to one network call on the n inputs, a partial
 * application is refused with a location. Also: program inputs used more than once (the
 * data fields of a train block) keep their exact, multilinear meaning on soft values.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ast, type CajalServices } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { CompileError, compileDefinition, compileTerm, type IrNode, type Program } from '@cajal/compiler';
import { initBackend, runProgram } from '@cajal/runtime';

const SOURCE = `
extern judge : Real[3] -o Bool -o Bool
extern score : Real[3] -o Bool
def not (x : Bool) : Bool = if x then false else true
def verdict (a : Real[3]) (b : Bool) : Bool = not (judge a b)
def viaLambda (a : Real[3]) : Bool = (fun (f : Bool -o Bool) => f true) (fun c => judge a c)
def scoreAsValue : Real[3] -o Bool = score
def half (a : Real[3]) : Bool -o Bool = judge a
def bare : Real[3] -o Bool -o Bool = judge
extern flipNet : Bool -o Bool
def flipDef (b : Bool) : Bool = not (flipNet b)
def nested (b : Bool) : Bool = flipDef (flipDef b)
train soft {
  data "d.jsonl" (x : Real[3], b : Bool);
  model (b, b);
  target (b, not b);
}
train branches {
  data "d.jsonl" (x : Real[3], y : Real[3], c : Bool);
  model if c then x else y;
  target x;
}
`;

let services: CajalServices;
let module: ast.Module;
let diagnostics: Awaited<ReturnType<typeof checkText>>['diagnostics'];

beforeAll(async () => {
    await initBackend('cpu');
    const checked = await checkText(SOURCE);
    services = checked.services;
    module = checked.document.parseResult.value as ast.Module;
    diagnostics = checked.diagnostics;
});

const definition = (name: string) => module.declarations.find(d => d.name === name) as ast.Definition;
const lineOf = (node: { $cstNode?: { range: { start: { line: number } } } } | undefined) => (node?.$cstNode?.range.start.line ?? -1) + 1;

function networkNodes(node: IrNode): Extract<IrNode, { op: 'network' }>[] {
    const found: Extract<IrNode, { op: 'network' }>[] = [];
    const stack: unknown[] = [node];
    while (stack.length > 0) {
        const current = stack.pop();
        if (Array.isArray(current)) { stack.push(...current); continue; }
        if (typeof current !== 'object' || current === null || !('op' in current)) continue;
        if ((current as IrNode).op === 'network') found.push(current as Extract<IrNode, { op: 'network' }>);
        stack.push(...Object.values(current));
    }
    return found;
}

/** judge(a, b) = b · Σ a: a two-input network whose output shows it saw both inputs. */
const judge = (a: tf.Tensor, b: tf.Tensor) => tf.mul(b, a.sum(1, true));

describe('externs of several arguments', () => {
    it('compile a full application to one network call on all the arguments', () => {
        const program = compileDefinition(definition('verdict'), services).program;
        expect(program.externs).toEqual([{ name: 'judge', type: expect.objectContaining({ kind: 'function' }), inputShapes: [[3], [2]], outputShape: [2] }]);
        const calls = networkNodes(program.body);
        expect(calls).toHaveLength(1);
        expect(calls[0].arguments).toHaveLength(2);
        expect(calls[0].inputShapes).toEqual([[3], [2]]);

        const a = tf.tensor2d([[1, 2, 3], [0, 1, 0]]);
        const b = tf.tensor2d([[1, 0], [0.3, 0.7]]);
        const seen: number[][][] = [];
        const out = runProgram(program, [a, b], { judge: (x: tf.Tensor, y: tf.Tensor) => { seen.push([x.shape, y.shape]); return judge(x, y); } });
        expect(seen).toEqual([[[2, 3], [2, 2]]]);
        // not swaps the two components of judge's output.
        const values = Array.from(out.dataSync());
        [0, 6, 0.7, 0.3].forEach((expected, i) => expect(values[i]).toBeCloseTo(expected, 5));
    });

    it('inline an extern-calling definition applied to its own result (no false definition cycle)', () => {
        // flipDef (flipDef b): the inner application is an argument, outside the inlined body.
        const program = compileDefinition(definition('nested'), services).program;
        expect(networkNodes(program.body)).toHaveLength(2);
    });

    it('run inside a function value built on the basis (a batch of 1 broadcasts to the other input)', () => {
        const program = compileDefinition(definition('viaLambda'), services).program;
        const out = runProgram(program, [tf.tensor2d([[1, 2, 3], [0, 1, 0]])], { judge });
        expect(Array.from(out.dataSync())).toEqual([6, 0, 1, 0]);
    });

    it('refuse a partial application with its location, as the language check does', () => {
        for (const [name, given, text] of [['half', 1, 'judge a'], ['bare', 0, 'judge']] as const) {
            let error: unknown;
            try { compileDefinition(definition(name), services); } catch (e) { error = e; }
            expect(error).toBeInstanceOf(CompileError);
            const compileError = error as CompileError;
            expect(compileError.message).toContain(`one network of all its 2 arguments, so it must be applied to all of them, but here it gets ${given}`);
            expect(compileError.node?.$cstNode?.text).toBe(text);
            expect(lineOf(compileError.node)).toBe(lineOf(definition(name)));
            // The editor shows the same problem at the same place.
            const shown = diagnostics.filter(d => d.code === 'extern/partial-application' && d.range.start.line + 1 === lineOf(definition(name)));
            expect(shown.map(d => d.message)).toEqual([compileError.message]);
        }
        expect(diagnostics.filter(d => d.code === 'extern/partial-application')).toHaveLength(2);
    });

    it('keep a one-argument extern usable as a function value (its matrix on the domain basis)', () => {
        const program = compileDefinition(definition('scoreAsValue'), services, { uncurry: false }).program;
        const out = runProgram(program, [], { score: (x: tf.Tensor) => tf.concat([x.slice([0, 0], [-1, 1]), x.slice([0, 2], [-1, 1])], 1) });
        // Column j is score(e_j): [[1, 0, 0], [0, 0, 1]] row-major.
        expect(Array.from(out.dataSync())).toEqual([1, 0, 0, 0, 0, 1]);
    });
});

describe('inputs used more than once (train block data fields)', () => {
    const training = (name = 'soft') => module.declarations.filter(ast.isTraining).find(t => t.name === name)!;
    const fields = (name?: string) => training(name).options.filter(ast.isDataOption).flatMap(o => o.groups.flatMap(g => g.fields));
    const term = (kind: 'model' | 'target', name?: string) => (training(name).options.find(kind === 'model' ? ast.isModelOption : ast.isTargetOption) as ast.ModelOption | ast.TargetOption).term;
    const compile = (kind: 'model' | 'target', fold: boolean, name?: string): Program => compileTerm(term(kind, name), fields(name), services, { fold, name: kind }).program;

    it('are multiplied as they occur, so soft values give the exact product (folded or not)', () => {
        const x = tf.zeros([2, 3]);
        const b = tf.tensor2d([[0.3, 0.7], [1, 0]]);
        for (const fold of [true, false]) {
            // (b, b) = b ⊗ b, and (b, not b) = b ⊗ swap(b).
            const model = Array.from(runProgram(compile('model', fold), [x, b]).dataSync());
            [0.09, 0.21, 0.21, 0.49, 1, 0, 0, 0].forEach((expected, i) => expect(model[i]).toBeCloseTo(expected, 5));
            const target = Array.from(runProgram(compile('target', fold), [x, b]).dataSync());
            [0.21, 0.09, 0.49, 0.21, 0, 1, 0, 0].forEach((expected, i) => expect(target[i]).toBeCloseTo(expected, 5));
        }
    });

    it('used in one branch of an if and not the other keep their values (a Real input is not scaled by the other\'s sum)', () => {
        // Folding `if c then x else y` over x's and y's axes would broadcast each branch along
        // the other input's axis, and contracting with Real values multiplies the chosen branch
        // by the sum of the other input: exact on basis vectors, wrong on data.
        const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
        const y = tf.tensor2d([[10, 20, 30], [0.5, 0.25, 0]]);
        const c = tf.tensor2d([[1, 0], [0, 1]]);
        for (const fold of [true, false]) {
            const model = Array.from(runProgram(compile('model', fold, 'branches'), [x, y, c]).dataSync());
            [1, 2, 3, 0.5, 0.25, 0].forEach((expected, i) => expect(model[i], `fold ${fold}, entry ${i}`).toBeCloseTo(expected, 5));
        }
    });
});

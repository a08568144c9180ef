import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { checkText, resolveArchitecture, fnN, RealT, Bool, natOf, basisValues, ast, type CajalType } from '@cajal/language';
import { buildModel, TermEvaluator, materialise } from '@cajal/train';
import { initBackend } from '@cajal/runtime';

describe('architectures: checks and parameter counts', () => {
    const image = new RealT([28, 28]);
    const cases: Array<[string, Array<{ key?: string; value: string }>, CajalType]> = [
        ['mlp', [{ value: '64' }], fnN([image], Bool)],
        ['mlp', [{ value: '32' }], fnN([image, image], Bool)],
        ['mlp', [{ value: '16' }, { value: '8' }, { key: 'activation', value: 'tanh' }], fnN([new RealT([5])], natOf(4))],
        ['linear', [], fnN([new RealT([3]), Bool], new RealT([2, 2]))],
        ['cnn', [{ value: '4' }, { value: '8' }, { key: 'dense', value: '16' }], fnN([image], natOf(10))],
        ['conv', [{ value: '4' }, { key: 'kernel', value: '5' }], fnN([image], image)],
        ['dilation', [{ value: '3' }], fnN([image], image)]
    ];
    for (const [architecture, args, type] of cases) {
        it(`${architecture}(${args.map(a => (a.key ? `${a.key} = ` : '') + a.value).join(', ')}) : ${type} counts the parameters tfjs builds`, async () => {
            await initBackend('cpu');
            const result = resolveArchitecture({ architecture, args }, type);
            if (!result.ok) throw new Error(result.message);
            const model = buildModel('net', result.resolved, 1);
            expect(model.countParams()).toBe(result.resolved.parameters);
            model.dispose();
        });
    }

    it('reports unknown architectures, bad arguments and shape mismatches in the editor', async () => {
        const { diagnostics } = await checkText(`
extern a : Real[28, 28] -o Bool = transformer(3)
extern b : Real[28, 28] -o Bool = conv(8)
extern c : Real[28, 28] -o Bool = mlp(64, activation = gelu)
extern d : Real[784] -o Bool = cnn(8)
extern e : Real[4] -o Bool = mlp(0)
extern f : Real[28, 28] -o Bool = mlp(8, depth = 3)
`);
        const byLine = (line: number) => diagnostics.filter(d => d.range.start.line === line - 1).map(d => `${d.code}: ${d.message}`);
        expect(byLine(2)).toEqual(["extern/unknown-architecture: Unknown architecture 'transformer'. Known architectures: mlp, linear, cnn, conv, dilation."]);
        expect(byLine(3)).toEqual(['train/invalid: conv: an image-to-image network needs a result of type Real[28, 28] (or Real[28, 28, c]), not shape [2].']);
        expect(byLine(4)).toEqual(["train/invalid: mlp: activation must be one of relu, tanh, sigmoid, linear, got 'gelu'."]);
        expect(byLine(5)).toEqual(['train/invalid: cnn: cnn needs an image input of type Real[h, w] or Real[h, w, c], not shape [784].']);
        expect(byLine(6)).toEqual(["train/invalid: mlp: expected a positive whole number (hidden layer widths, e.g. mlp(128, 64)), got '0'."]);
        expect(byLine(7)).toEqual(["train/invalid: mlp: unknown argument 'depth'; it takes activation, output."]);
    });

    it('checks train blocks: missing parts, unknown settings, bad values, loss against the model type', async () => {
        const { diagnostics } = await checkText(`
extern isEven : Real[28, 28] -o Bool = mlp(64)
extern plain : Real[28, 28] -o Bool
train a { data mnist (x, d); model isEven x; loss l2; epochs 2.5; rate 3; }
train b { data cifar (x, d); model plain x; target true; batch 0; }
train c { data mnist (x, d, e); model isEven; target true; }
`);
        const messages = (line: number) => diagnostics.filter(d => d.range.start.line === line - 1).map(d => d.message);
        expect(messages(4)).toEqual(expect.arrayContaining([
            "This train block has no 'target'; add one, e.g. `target even d;`",
            'l2 is for Real models, but the model has type Bool: use cross_entropy.',
            "epochs must be a positive whole number, got '2.5' (passes over the training examples).",
            "Unknown setting 'rate'. Settings: loss, optimizer, lr, epochs, batch, seed, examples, test."
        ]));
        expect(messages(5)).toEqual(expect.arrayContaining([
            "Unknown data source 'cifar'. Built-in sources: mnist; or name a file: data \"points.jsonl\" (x : Real[2], y : Bool);",
            "The model uses the extern 'plain', which names no architecture: declare one to train it, e.g. extern plain : … = mlp(64)",
            "batch must be a positive whole number, got '0' (examples per gradient step)."
        ]));
        expect(messages(6)).toEqual(expect.arrayContaining([
            'Each group of \'mnist\' has at most 2 fields (image : Real[28, 28], digit : Nat), but this one has 3.',
            'The model must be a value, but it has the function type Real[28, 28] -o Bool: apply it to the data fields, e.g. model f x;'
        ]));
        const warnings = diagnostics.filter(d => d.severity === 2).map(d => [d.range.start.line + 1, d.message]);
        expect(warnings).toEqual([[5, 'The model uses no learnable extern, so training has nothing to learn.']]);
    });
});

describe('tensor evaluation of Cajal terms', () => {
    it('agrees with the interpreter on every basis input of a discrete target (and, even, eq)', async () => {
        await initBackend('cpu');
        const { services, document } = await checkText(`
def not (x : Bool) : Bool = if x then false else true
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
def even (n : Nat) : Bool = iter n { zero => true ; succ y => not y }
def eq (x : Bool) (y : Bool) : Bool = if x then y else not y
def twice (b : Bool) (n : Nat[3]) : Nat[3] = if b then iter n { zero => 0 ; succ y => succ y } else 2
def swap (p : Bool * Nat[3]) : Nat[3] * Bool = let (a, b) = p in (b, a)
def checks (m : Nat) (n : Nat) : Bool * Bool = (and (even m) (even n), eq (even m) (not (even n)))
`);
        const module = document.parseResult.value as ast.Module;
        const typeOf = (node: never) => services.typing.TypeChecker.typeOf(node);
        for (const name of ['checks', 'twice', 'swap']) {
            const definition = module.declarations.find(d => d.name === name) as ast.Definition;
            const expected = services.interpreter.Interpreter.evaluateDefinition(definition);
            const { params } = { params: definition.params };
            const domains = params.map(p => typeOf(p as never) as CajalType);
            const combos: Array<ReturnType<typeof basisValues>> = domains.reduce<Array<ReturnType<typeof basisValues>>>((acc, t) => acc.flatMap(c => basisValues(t).map(v => [...c, v])), [[]]);
            for (const combo of combos) {
                let interpreted = expected;
                for (const v of combo) interpreted = (interpreted as { apply: (x: unknown) => typeof expected }).apply(v);
                const evaluator = new TermEvaluator({ typeOf, networks: new Map() });
                const oneHot = (t: CajalType, v: ReturnType<typeof basisValues>[number]) => {
                    const basis = basisValues(t);
                    const index = basis.findIndex(b => JSON.stringify(b) === JSON.stringify(v));
                    const data = new Array(basis.length).fill(0);
                    data[index] = 1;
                    return tf.tensor2d([data]);
                };
                let value = evaluator.evaluateDefinition(definition);
                value = combo.reduce((f, v, i) => (f as { apply: (x: unknown) => typeof value }).apply({ kind: 'tensor', tensor: oneHot(domains[i], v) }), value);
                const output = Array.from(materialise(value).dataSync());
                const basis = basisValues(typeOf(definition.returnType as never) === undefined ? Bool : (services.typing.TypeChecker.typeOf(definition.body) as CajalType));
                const hot = output.map((x, i) => [x, i]).filter(([x]) => Math.abs(x - 1) < 1e-6);
                expect(hot).toHaveLength(1);
                expect(output.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
                expect(JSON.stringify(basis[hot[0][1]])).toBe(JSON.stringify(interpreted));
            }
        }
    });
});

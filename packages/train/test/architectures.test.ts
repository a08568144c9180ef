import { describe, expect, it } from 'vitest';
import { resolveArchitecture, fnN, RealT, Bool, natOf, type CajalType } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { buildModel } from '@cajal/train';
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
        expect(byLine(2)).toEqual(["extern/unknown-architecture: Unknown architecture 'transformer'. Known architectures: mlp, linear, cnn, conv, hyperconv, dilation."]);
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
            'l2 is for Real models, but the model has type Bool: use cross_entropy or softmax_cross_entropy.',
            "epochs must be a positive whole number, got '2.5' (passes over the training examples).",
            "Unknown setting 'rate'. Settings: loss, optimizer, lr, clip_norm, epochs, batch, seed, examples, test, pairs."
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

    it('checks the loss on logits, gradient clipping and the pairing of data groups', async () => {
        const { diagnostics } = await checkText(`
extern isEven : Real[28, 28] -o Bool = mlp(64, output = raw)
extern denoise : Real[28, 28] -o Real[28, 28] = conv(4)
train a { data mnist (x, d); model isEven x; target true; loss softmax_cross_entropy; clip_norm 1.0; pairs fixed; }
train b { data mnist (x, d); model denoise x; target x; loss softmax_cross_entropy; clip_norm 0; pairs sorted; }
`);
        const messages = (line: number) => diagnostics.filter(d => d.range.start.line === line - 1).map(d => d.message);
        expect(messages(4)).toEqual([]);
        expect(messages(5)).toEqual([
            'softmax_cross_entropy needs a model of a discrete type (Bool, Nat), but the model has type Real[28, 28]: use l1 or l2.',
            "clip_norm must be a positive number, got '0' (the largest global L2 norm of the gradients; larger ones are scaled down to it).",
            expect.stringMatching(/^pairs must be one of random, fixed, got 'sorted' \(how the data groups draw their rows/)
        ]);
    });

    it('reports a several-argument extern applied to fewer than all its arguments, in definitions and train blocks', async () => {
        const source = `
extern both : Real[2] -o Bool -o Bool = mlp(8)
extern one : Real[2] -o Bool = mlp(8)
def full (x : Real[2]) (b : Bool) : Bool = both x b
def ascribed (x : Real[2]) (b : Bool) : Bool = (both : Real[2] -o Bool -o Bool) x b
def eta (x : Real[2]) : Bool -o Bool = fun b => both x b
def value : Real[2] -o Bool = one
def partial (x : Real[2]) : Bool -o Bool = both x
def unapplied : Real[2] -o Bool -o Bool = both
train t { data "d.jsonl" (x : Real[2], b : Bool); model (fun (g : Bool -o Bool) => g true) (both x); target b; }
`;
        const { diagnostics } = await checkText(source);
        const partial = diagnostics.filter(d => d.code === 'extern/partial-application')
            .map(d => [d.range.start.line + 1, d.range.start.character + 1, d.range.end.character + 1, d.severity, d.message]);
        const message = (given: number) => `The extern 'both' is one network of all its 2 arguments, so it must be applied to all of them, but here it gets ${given}. `
            + `Apply it fully (both a1 a2); for a function value write fun ${given === 0 ? 'a1 a2' : 'a2'} => both a1 a2.`;
        // Expected ranges come from the source: the whole partial application.
        const at = (line: number, text: string) => {
            const column = source.split('\n')[line - 1].lastIndexOf(text) + 1;
            return [line, column, column + text.length];
        };
        expect(partial).toEqual([
            [...at(8, 'both x'), 1, message(1)],
            [...at(9, 'both'), 1, message(0)],
            [...at(10, 'both x'), 1, message(1)]
        ]);
        expect(diagnostics.filter(d => d.severity === 1 && d.code !== 'extern/partial-application')).toEqual([]);
    });
});

import { describe, expect, test } from 'vitest';
import { createCajalCoreServices, DEFAULT_MAX_TENSOR_ENTRIES, describeTensor, formatBytes, natOf, fn, product } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { diagnose, summary } from '../helpers.js';

/** Size diagnostics as `code span covered-text`, for comparing with the source. */
async function sizes(text: string): Promise<Array<{ code: string; span: string; text: string }>> {
    return summary(text, await diagnose(text)).filter(d => d.code === 'size/too-large');
}

describe('size analysis (size/too-large): every tensor is known from the types before anything exists', () => {
    test('a written type above the limit is reported at its innermost part, once per written type', async () => {
        const text = 'def big (x : Nat[1000000000]) : Nat[1000000000] = x\n';
        expect(await sizes(text)).toEqual([
            { code: 'size/too-large', span: '1:14-1:29', text: 'Nat[1000000000]' },
            { code: 'size/too-large', span: '1:33-1:48', text: 'Nat[1000000000]' }
        ]);
        const [first] = await diagnose(text);
        expect(first.message).toBe('Nat[1000000000] is a [1000000000] vector: 1,000,000,000 entries, 4 GB as float32; the limit is 67,108,864 entries (raise it with --max-tensor or the cajal.maxTensor setting).');
    });

    test('a function tower of 10^12 entries is reported at the definition, whose matrix it is', async () => {
        const text = 'def f (g : Nat[1000] -o Nat[1000]) : Nat[1000] -o Nat[1000] = g\n';
        const [diagnostic] = await diagnose(text);
        expect(summary(text, [diagnostic])).toEqual([{ code: 'size/too-large', span: '1:5-1:6', text: 'f' }]);
        expect(diagnostic.message).toContain("'f' compiles to a [1000000, 1000000] matrix: 1,000,000,000,000 entries, 4 TB as float32");
    });

    test('a pair of 10^18 entries, made of small parts, is reported at the term', async () => {
        const text = 'def p (a : Nat[1000000000]) (b : Nat[1000000000]) : Bool = let (x, y) = (a, b) in true\n';
        const found = await sizes(text);
        // The parameter types are above the limit themselves: those are what is reported.
        expect(found.map(d => d.text)).toEqual(['Nat[1000000000]', 'Nat[1000000000]']);
        const small = 'def pairOf (a : Nat[100000]) (b : Nat[100000]) : Nat[100000] * Nat[100000] = (a, b)\n';
        const [diagnostic] = await diagnose(small);
        // The written result type is the pair, 10^10 entries: reported there.
        expect(summary(small, [diagnostic])).toEqual([{ code: 'size/too-large', span: '1:50-1:75', text: 'Nat[100000] * Nat[100000]' }]);
        expect(diagnostic.message).toContain('a [100000, 100000] tensor: 10,000,000,000 entries, 40 GB as float32');
    });

    test('an inferred term above the limit, with no written type that large, is reported at the term', async () => {
        const text = 'def q (a : Nat[100000]) (b : Nat[100000]) : Bool = let p = (a, b) in let (x, y) = p in true\n';
        const found = summary(text, (await diagnose(text)).filter(d => d.code === 'size/too-large'));
        // The first tensor of the declaration above the limit: the binder `p` of the pair.
        expect(found).toEqual([{ code: 'size/too-large', span: '1:56-1:57', text: 'p' }]);
        const [diagnostic] = (await diagnose(text)).filter(d => d.code === 'size/too-large');
        expect(diagnostic.message).toMatch(/^'p' is a \[100000, 100000\] tensor: 10,000,000,000 entries, 40 GB as float32; the limit is/);
    });

    test('Nat[10^400] (a bound that is Infinity as a number) is a located error, not Nat[Infinity]', async () => {
        const bound = `1${'0'.repeat(400)}`;
        const text = `def x : Nat[${bound}] = 3\n`;
        const diagnostics = await diagnose(text);
        expect(summary(text, diagnostics)).toEqual([{ code: 'size/too-large', span: `1:9-1:${14 + bound.length}`, text: `Nat[${bound}]` }]);
        expect(diagnostics[0].message).toMatch(/^Nat\[1000.*… is far too large: a size must be a whole number below 2\^53/);
        const real = await diagnose('def r : Real[3, 99999999999999999999] -o Bool = fun v => true\n');
        expect(real.map(d => d.code)).toContain('size/too-large');
    });

    test('the limit is a setting: raising it accepts the program, lowering it refuses small ones', async () => {
        const cajal = createCajalCoreServices().Cajal;
        const text = 'def id (x : Nat[1000000]) : Nat[1000000] = x\n';
        expect((await checkText(text, cajal)).diagnostics.map(d => d.code)).toEqual(['size/too-large']);
        cajal.typing.TensorSizes.maxEntries = 10 ** 12;
        expect((await checkText(text, cajal)).diagnostics).toEqual([]);
        cajal.typing.TensorSizes.maxEntries = 3;
        const not = (await checkText('def not (x : Bool) : Bool = if x then false else true\n', cajal)).diagnostics;
        expect(not.map(d => d.message)).toEqual(["'not' compiles to a [2, 2] matrix: 4 entries, 16 bytes as float32; the limit is 3 entries (raise it with --max-tensor or the cajal.maxTensor setting)."]);
    });

    test('an extern is a network: its matrix is never held, only its inputs and output are tensors', async () => {
        const text = 'extern net : Real[100000] -o Real[1000] = mlp [16]\ndef main : Bool = true\n';
        expect(await sizes(text)).toEqual([]);
    });

    test('a 10,000-deep function type is sized in linear time, reported once, abbreviated', async () => {
        const text = `def f (x : ${'Bool -o '.repeat(10_000)}Bool) : Bool = x\n`;
        const started = Date.now();
        const found = (await diagnose(text)).filter(d => d.code === 'size/too-large');
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(found).toHaveLength(1);
        // The innermost part above 2^26 entries: Bool -o … with 26 arrows, a [2^26, 2] matrix.
        expect(found[0].message).toMatch(/^(Bool -o ){9}Bool … is a \[67108864, 2\] matrix: 134,217,728 entries, 537 MB as float32;/);
    });

    test('sizes are described in entries and bytes as float32, exactly', () => {
        expect(DEFAULT_MAX_TENSOR_ENTRIES).toBe(2 ** 26);
        expect(describeTensor(fn(natOf(2 ** 20), natOf(2 ** 20)))).toBe('a [1048576, 1048576] matrix: 1,099,511,627,776 entries, 4.4 TB as float32');
        expect(describeTensor(product(natOf(10 ** 9), natOf(10 ** 9)))).toBe('a [1000000000, 1000000000] tensor: 1.0 × 10^18 entries, 4 EB as float32');
        expect(formatBytes(16)).toBe('16 bytes');
        expect(formatBytes(1e30)).toBe('1.0 × 10^30 bytes');
    });
});

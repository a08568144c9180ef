import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { createCajalCoreServices, DEFAULT_MAX_TENSOR_ENTRIES, describeTensor, formatBytes, natOf, fn, product, type ast } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { diagnose, summary } from '../helpers.js';
import { randomProgram, randomReplicatingProgram } from '../../../../test/program-generator.js';

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Every .cajal file of the repository's examples and test fixtures. */
function cajalFiles(directory: string): string[] {
    return fs.readdirSync(directory, { withFileTypes: true }).flatMap(entry => {
        const full = path.join(directory, entry.name);
        if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : cajalFiles(full);
        return entry.name.endsWith('.cajal') ? [full] : [];
    });
}

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

    test('sizing from the typing, without a walk, finds what the walk over every node finds, at every limit', async () => {
        // The walk runs when the typing gives no written types (a copy of it without them):
        // both must report the same problems at the same nodes, for declarations within the
        // limit (no walk), above it, and those whose typing may miss a written type.
        const texts = [
            ...[...cajalFiles(path.join(repository, 'examples')), ...cajalFiles(path.join(repository, 'test')), ...cajalFiles(path.join(repository, 'packages'))]
                .map(file => fs.readFileSync(file, 'utf-8')),
            ...Array.from({ length: 40 }, (_, seed) => randomProgram(seed).text),
            ...Array.from({ length: 20 }, (_, seed) => randomReplicatingProgram(seed).text),
            // A lambda checked against a type that is not a function: its binders' and body's types are not met.
            'def f (x : Bool) : Bool = fun (q : Nat[100000] * Nat[1000]) => (fun (r : Real[300, 300] -o Bool) => x)\n',
            // Error recovery: a term of no known kind, with written types inside.
            'def d (x : Bool) : Bool = x\ndef e : Bool = d (Nat[100000] * Nat[1000] -o Bool))\n',
            // A training block's second model option is not typed.
            'def m (x : Bool) : Bool = x\ntrain t { model m; model (fun (z : Real[5000, 5000]) => z); target m; }\n',
            // Sizes with the error type in them, and an extern's network.
            'def z (x : Nat[0] -o Real[100000, 100000]) (y : Real[0]) : Bool = true\nextern net (a : Real[9000]) : Real[9000] -o Real[9000]\n'
        ];
        const cajal = createCajalCoreServices().Cajal;
        const sizes = cajal.typing.TensorSizes;
        // A node by its kind and place (an AST node itself would print its whole document on a failure).
        const shown = (problems: ReturnType<typeof sizes.checkDeclaration>) => problems.map(p => ({
            node: `${p.node.$type} at ${p.node.$cstNode?.offset}: ${p.node.$cstNode?.text}`, property: p.property, message: p.message
        }));
        let declarations = 0, withoutWalk = 0;
        for (const text of texts) {
            const { document } = await checkText(text, cajal);
            for (const declaration of (document.parseResult.value as ast.Module).declarations) {
                const typing = cajal.typing.TypeChecker.checkDeclaration(declaration);
                declarations++;
                if (typing.writtenTypes !== undefined) withoutWalk++;
                for (const limit of [1, 2, 3, 10, 100, 10_000, 1_000_000, DEFAULT_MAX_TENSOR_ENTRIES]) {
                    sizes.maxEntries = limit;
                    const walked = sizes.checkDeclaration(declaration, { ...typing, writtenTypes: undefined });
                    expect(shown(sizes.checkDeclaration(declaration, typing)), `${text}\nlimit ${limit}`).toEqual(shown(walked));
                }
            }
        }
        sizes.maxEntries = DEFAULT_MAX_TENSOR_ENTRIES;
        expect(declarations).toBeGreaterThan(200);
        // Most declarations are sized from their typing (the check above compares something).
        expect(withoutWalk).toBeGreaterThan(declarations * 0.8);
    });

    test('sizes are described in entries and bytes as float32, exactly', () => {
        expect(DEFAULT_MAX_TENSOR_ENTRIES).toBe(2 ** 26);
        expect(describeTensor(fn(natOf(2 ** 20), natOf(2 ** 20)))).toBe('a [1048576, 1048576] matrix: 1,099,511,627,776 entries, 4.4 TB as float32');
        expect(describeTensor(product(natOf(10 ** 9), natOf(10 ** 9)))).toBe('a [1000000000, 1000000000] tensor: 1.0 × 10^18 entries, 4 EB as float32');
        expect(formatBytes(16)).toBe('16 bytes');
        expect(formatBytes(1e30)).toBe('1.0 × 10^30 bytes');
    });
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ast, errorsOf, formatValue, loadFiles, type CheckedWorkspace } from '@cajal/language';

const examples = path.resolve(__dirname, '../../../examples');

/** Every .cajal file under examples/ except the deliberately wrong ones in examples/errors. */
function exampleFiles(directory = examples): string[] {
    return fs.readdirSync(directory, { withFileTypes: true }).flatMap(entry => {
        const full = path.join(directory, entry.name);
        if (entry.isDirectory()) return entry.name === 'errors' ? [] : exampleFiles(full);
        return entry.name.endsWith('.cajal') ? [full] : [];
    });
}

function evaluate(workspace: CheckedWorkspace, name: string): string {
    const module = workspace.requested[0].parseResult.value;
    const definition = module.declarations.find(d => d.name === name);
    if (!ast.isDefinition(definition)) throw new Error(`no definition ${name}`);
    return formatValue(workspace.services.interpreter.Interpreter.evaluateDefinition(definition));
}

/** Applies a function definition to arguments written in Cajal, by checking a small extra file beside it. */
async function applyIn(file: string, expression: string, type: string): Promise<string> {
    const module = /^module\s+(\S+)/m.exec(fs.readFileSync(file, 'utf-8'))?.[1] ?? path.basename(file, '.cajal');
    const probe = path.join(path.dirname(file), `.probe-${process.pid}-${Math.random().toString(36).slice(2)}.cajal`);
    fs.writeFileSync(probe, `import ${module}\ndef probe : ${type} = ${expression}\n`);
    try {
        const workspace = await loadFiles([probe, file]);
        const errors = workspace.documents.flatMap(d => errorsOf(d)).map(d => d.message);
        expect(errors, expression).toEqual([]);
        return evaluate(workspace, 'probe');
    } finally {
        fs.rmSync(probe);
    }
}

describe('the examples', () => {
    test('include the spec examples and one file per construct area', () => {
        const names = exampleFiles().map(f => path.relative(examples, f)).sort();
        expect(names).toEqual(expect.arrayContaining([
            'arithmetic.cajal', 'higher-order.cajal', 'logic.cajal', 'mnist-and.cajal', 'modules/adder.cajal', 'modules/gates.cajal', 'pairs.cajal'
        ]));
    });

    test.each(exampleFiles().map(f => [path.relative(examples, f), f]))('%s is well-typed and linear', async (_name, file) => {
        const workspace = await loadFiles([file]);
        const problems = workspace.documents.flatMap(d => d.diagnostics ?? []);
        expect(problems.filter(d => d.severity === 1).map(d => d.message)).toEqual([]);
        // The only warning the examples show on purpose is the replicated m of `mul`.
        expect(problems.filter(d => d.severity === 2).map(d => `${path.basename(file)} ${d.code}`))
            .toEqual(path.basename(file) === 'arithmetic.cajal' ? ['arithmetic.cajal linearity/iter-replicates'] : []);
    });
});

describe('the interpreter on the examples', () => {
    test('logic: the spec example main, not, and, parity', async () => {
        const file = path.join(examples, 'logic.cajal');
        expect(evaluate(await loadFiles([file]), 'main')).toBe('true');
        expect(evaluate(await loadFiles([file]), 'and')).toBe('<function Bool -o Bool -o Bool>');
        for (const [x, y] of [[true, true], [true, false], [false, true], [false, false]]) {
            expect(await applyIn(file, `and ${x} ${y}`, 'Bool')).toBe(String(x && y));
            expect(await applyIn(file, `or ${x} ${y}`, 'Bool')).toBe(String(x || y));
            expect(await applyIn(file, `xor ${x} ${y}`, 'Bool')).toBe(String(x !== y));
        }
        for (let n = 0; n < 10; n++) {
            expect(await applyIn(file, `parity ${n}`, 'Bool')).toBe(String(n % 2 === 0));
        }
    });

    test('arithmetic: add, mul, triple, eq, split on every small input; Nat[4]', async () => {
        const file = path.join(examples, 'arithmetic.cajal');
        expect(evaluate(await loadFiles([file]), 'main')).toBe('true');
        expect(evaluate(await loadFiles([file]), 'three')).toBe('3');
        for (const [m, n] of [[0, 0], [2, 3], [4, 5], [9, 0], [0, 9], [1, 8]]) {
            expect(await applyIn(file, `add ${m} ${n}`, 'Nat')).toBe(String(m + n));
        }
        for (const [m, n] of [[0, 7], [3, 3], [1, 9], [4, 2]]) {
            expect(await applyIn(file, `mul ${m} ${n}`, 'Nat')).toBe(String(m * n));
        }
        expect(await applyIn(file, 'triple 3', 'Nat')).toBe('9');
        for (let m = 0; m < 10; m += 3) {
            for (let n = 0; n < 10; n += 2) {
                expect(await applyIn(file, `eq ${m} ${n}`, 'Bool')).toBe(String(m === n));
            }
        }
        expect(await applyIn(file, 'split 0', 'Bool * Nat')).toBe('(true, 0)');
        expect(await applyIn(file, 'split 6', 'Bool * Nat')).toBe('(false, 5)');
        expect(await applyIn(file, 'countdown 3', 'Bool')).toBe('true');
    });

    test('pairs: swap, both, rotate, ascription, annotated let', async () => {
        const file = path.join(examples, 'pairs.cajal');
        expect(evaluate(await loadFiles([file]), 'main')).toBe('(7, true)');
        expect(evaluate(await loadFiles([file]), 'small')).toBe('(2, true)');
        expect(await applyIn(file, 'rotate ((true, false), true)', 'Bool * (Bool * Bool)')).toBe('(true, (false, true))');
        expect(await applyIn(file, 'both (true, false)', 'Bool')).toBe('false');
        expect(await applyIn(file, 'next 3', 'Nat[5]')).toBe('4');
    });

    test('higher-order: functions as arguments and results, iterated function state', async () => {
        const file = path.join(examples, 'higher-order.cajal');
        expect(evaluate(await loadFiles([file]), 'main')).toBe('true');
        expect(evaluate(await loadFiles([file]), 'twice')).toBe('<function Bool -o Bool>');
        expect(await applyIn(file, 'twice false', 'Bool')).toBe('false');
        expect(await applyIn(file, 'compose not twice true', 'Bool')).toBe('false');
        expect(await applyIn(file, 'flip (fun a b => if a then b else if b then false else false) true false', 'Bool')).toBe('false');
        expect(await applyIn(file, 'notTimes 3 true', 'Bool')).toBe('false');
        expect(await applyIn(file, 'uncurry andThen (true, true)', 'Bool')).toBe('true');
    });

    test('modules: the adder adds three bits with gates from the imported module', async () => {
        const file = path.join(examples, 'modules', 'adder.cajal');
        const workspace = await loadFiles([file]);
        expect(workspace.documents.map(d => path.basename(d.uri.fsPath))).toEqual(['adder.cajal', 'gates.cajal']);
        expect(evaluate(workspace, 'main')).toBe('(true, true)');
        for (const bits of [[0, 0, 0], [1, 0, 0], [0, 1, 1], [1, 1, 0], [1, 0, 1]]) {
            const [a, b, c] = bits.map(bit => bit === 1);
            const total = bits[0] + bits[1] + bits[2];
            expect(await applyIn(file, `fullAdder ${a} ${b} ${c}`, 'Bool * Bool')).toBe(`(${total % 2 === 1}, ${total >= 2})`);
        }
    });

    test('mnist-and: main evaluates without the extern', async () => {
        expect(evaluate(await loadFiles([path.join(examples, 'mnist-and.cajal')]), 'main')).toBe('true');
    });
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { cajal, directoryWith, repository } from './helpers.js';

const duplicate = 'def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false\ndef both (x : Bool) : Bool = and x x\n';

describe('cajal check', () => {
    test('--json prints exactly the diagnostics document, 1-based, with related locations; exit 1', async () => {
        const directory = directoryWith({ 'dup.cajal': duplicate });
        const run = await cajal(['check', 'dup.cajal', '--json'], directory);
        expect(run.code).toBe(1);
        expect(run.stderr).toBe('');
        const message = "The linear variable 'x' is used twice: it must be used exactly once.";
        expect(run.stdout).toBe(JSON.stringify({
            diagnostics: [{
                file: 'dup.cajal', line: 2, column: 36, endLine: 2, endColumn: 37, severity: 'error', code: 'linearity/duplicate', message,
                related: [
                    { file: 'dup.cajal', line: 2, column: 11, message: "'x' is bound here" },
                    { file: 'dup.cajal', line: 2, column: 34, message: "first use of 'x'" },
                    { file: 'dup.cajal', line: 2, column: 36, message: "second use of 'x'" }
                ]
            }]
        }) + '\n');
        // Key order is part of the format.
        expect(Object.keys(JSON.parse(run.stdout).diagnostics[0])).toEqual(['file', 'line', 'column', 'endLine', 'endColumn', 'severity', 'code', 'message', 'related']);
    });

    test('human output: file:line:col: severity[code]: message, related places indented, a summary on stderr', async () => {
        const directory = directoryWith({ 'dup.cajal': duplicate });
        const run = await cajal(['check', 'dup.cajal'], directory);
        expect(run.code).toBe(1);
        expect(run.stdout).toBe([
            "dup.cajal:2:36: error[linearity/duplicate]: The linear variable 'x' is used twice: it must be used exactly once.",
            "    dup.cajal:2:11: 'x' is bound here",
            "    dup.cajal:2:34: first use of 'x'",
            "    dup.cajal:2:36: second use of 'x'",
            ''
        ].join('\n'));
        expect(run.stderr).toBe('1 error in 1 file.\n');
    });

    test('warnings alone exit 0; a clean file prints nothing on stdout', async () => {
        const examples = path.join(repository, 'examples');
        const warned = await cajal(['check', 'arithmetic.cajal', '--json'], examples);
        expect(warned.code).toBe(0);
        const diagnostics = JSON.parse(warned.stdout).diagnostics;
        expect(diagnostics.map((d: { severity: string; code: string }) => `${d.severity} ${d.code}`)).toEqual(['warning linearity/iter-replicates']);
        const clean = await cajal(['check', 'logic.cajal', 'pairs.cajal'], examples);
        expect(clean).toMatchObject({ code: 0, stdout: '', stderr: 'No problems in 2 files.\n' });
    });

    test('several files and their imports are checked, requested files first, paths relative to the working directory', async () => {
        const directory = directoryWith({
            'lib.cajal': 'module lib\ndef t : Bool = nope\n',
            'main.cajal': 'import lib\ndef main : Nat = t\n'
        });
        const run = await cajal(['check', 'main.cajal', '--json'], directory);
        expect(run.code).toBe(1);
        const shown = JSON.parse(run.stdout).diagnostics.map((d: { file: string; line: number; column: number; code: string }) => `${d.file}:${d.line}:${d.column} ${d.code}`);
        expect(shown).toEqual(['main.cajal:2:18 type/mismatch', 'lib.cajal:2:16 name/unknown']);
        const nested = await cajal(['check', path.join(directory, 'main.cajal')], path.dirname(directory));
        expect(nested.stdout).toContain(`${path.basename(directory)}/main.cajal:2:18: error[type/mismatch]: Expected Nat, but this has type Bool.`);
    });

    test('a missing file or a directory is a clear error, exit 1', async () => {
        const directory = directoryWith({});
        const missing = await cajal(['check', 'absent.cajal'], directory);
        expect(missing).toMatchObject({ code: 1, stdout: '' });
        expect(missing.stderr).toBe("cajal check: cannot read 'absent.cajal': no such file.\n");
        const folder = await cajal(['check', '.'], directory);
        expect(folder.code).toBe(1);
        expect(folder.stderr).toContain("cannot read '.': it is a directory");
    });

    test('the examples in examples/errors each report their own code', async () => {
        const errors = path.join(repository, 'examples', 'errors');
        const files = fs.readdirSync(errors).filter(f => f.endsWith('.cajal') && !f.startsWith('runtime-'));
        const run = await cajal(['check', ...files, '--json'], errors);
        expect(run.code).toBe(1);
        const codesByFile = new Map<string, string[]>();
        for (const d of JSON.parse(run.stdout).diagnostics as Array<{ file: string; code: string }>) {
            codesByFile.set(d.file, [...(codesByFile.get(d.file) ?? []), d.code]);
        }
        // A data file outside the workspace is an editor's warning: the CLI has no workspace and says nothing (docs/diagnostics.md).
        const editorOnly = new Set(['data/outside-workspace']);
        for (const file of files) {
            const code = file.replace(/\.cajal$/, '').replace('-', '/');
            expect([...new Set(codesByFile.get(file) ?? [])], file).toEqual(editorOnly.has(code) ? [] : [code]);
        }
    });
});

describe('cajal eval', () => {
    test('--json prints exactly {"def","type","value"}', async () => {
        const examples = path.join(repository, 'examples');
        const run = await cajal(['eval', 'pairs.cajal', '--json'], examples);
        expect(run).toMatchObject({ code: 0, stdout: '{"def":"main","type":"Nat * Bool","value":"(7, true)"}\n', stderr: '' });
        const fn = await cajal(['eval', 'logic.cajal', '--def', 'not', '--json'], examples);
        expect(fn.stdout).toBe('{"def":"not","type":"Bool -o Bool","value":"<function Bool -o Bool>"}\n');
    });

    test('prints values in Cajal syntax; definitions of imported modules can be named', async () => {
        const examples = path.join(repository, 'examples');
        expect((await cajal(['eval', 'logic.cajal'], examples)).stdout).toBe('true\n');
        expect((await cajal(['eval', 'arithmetic.cajal', '--def', 'three'], examples)).stdout).toBe('3\n');
        expect((await cajal(['eval', 'modules/adder.cajal'], examples)).stdout).toBe('(true, true)\n');
        expect((await cajal(['eval', 'modules/adder.cajal', '--def', 'xor'], examples)).stdout).toBe('<function Bool -o Bool -o Bool>\n');
    });

    test('warnings go to stderr and do not stop evaluation', async () => {
        const run = await cajal(['eval', 'arithmetic.cajal', '--json'], path.join(repository, 'examples'));
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout)).toEqual({ def: 'main', type: 'Bool', value: 'true' });
        expect(run.stderr).toContain('warning[linearity/iter-replicates]');
    });

    test('refuses ill-typed programs with their diagnostics, exit 1', async () => {
        const directory = directoryWith({ 'bad.cajal': 'def main : Bool = 3\n' });
        const run = await cajal(['eval', 'bad.cajal'], directory);
        expect(run).toMatchObject({ code: 1, stdout: '' });
        expect(run.stderr).toBe('bad.cajal:1:19: error[type/mismatch]: Expected Bool, but this has type Nat.\n');
        const json = await cajal(['eval', 'bad.cajal', '--json'], directory);
        expect(json.code).toBe(1);
        expect(JSON.parse(json.stdout).diagnostics[0]).toMatchObject({ file: 'bad.cajal', line: 1, column: 19, code: 'type/mismatch' });
    });

    test('runtime errors: succ overflow and an extern without implementation, at the term that failed', async () => {
        const errors = path.join(repository, 'examples', 'errors');
        const overflow = await cajal(['eval', 'runtime-overflow.cajal'], errors);
        expect(overflow).toMatchObject({ code: 1, stdout: '' });
        // The outermost succ (column 21) overflows: succ (succ (succ zero)) in Nat[3].
        expect(overflow.stderr).toBe('runtime-overflow.cajal:2:21: error[runtime]: succ 2 overflows Nat[3]: its largest number is 2.\n');
        const extern = await cajal(['eval', 'runtime-extern.cajal', '--json'], errors);
        expect(extern.code).toBe(1);
        expect(extern.stderr).toMatch(/^runtime-extern\.cajal:5:19: error\[runtime\]: 'isEven' is an extern/);
        expect(JSON.parse(extern.stdout).diagnostics).toEqual([expect.objectContaining({ line: 5, column: 19, endColumn: 25, code: 'runtime', severity: 'error' })]);
    });

    test('an unknown definition lists the available ones; a missing main says how to choose', async () => {
        const examples = path.join(repository, 'examples');
        const unknown = await cajal(['eval', 'logic.cajal', '--def', 'nand'], examples);
        expect(unknown).toMatchObject({ code: 1, stdout: '' });
        expect(unknown.stderr).toBe("cajal eval: logic.cajal has no definition 'nand'. Available definitions: not, and, or, xor, parity, add, main.\n");
        const noMain = await cajal(['eval', 'modules/gates.cajal'], examples);
        expect(noMain.stderr).toBe("cajal eval: modules/gates.cajal has no definition 'main' (choose one with --def NAME). Available definitions: not, and, or, xor.\n");
        const extern = await cajal(['eval', 'mnist-and.cajal', '--def', 'isEven'], examples);
        expect(extern.stderr).toContain("'isEven' in mnist-and.cajal is an extern");
    });
});

import { describe, expect, test } from 'vitest';
import { main, StringWriter, type CommandIO } from '@cajal/cli';
import * as path from 'node:path';
import { cajal, directoryWith, repository } from './helpers.js';

function io(cwd: string): CommandIO & { stdout: StringWriter; stderr: StringWriter } {
    return { stdout: new StringWriter(), stderr: new StringWriter(), cwd, signal: new AbortController().signal };
}

describe('the cajal process', () => {
    test('help, --help, COMMAND --help and --version', async () => {
        const cwd = repository;
        const help = await cajal(['--help'], cwd);
        expect(help.code).toBe(0);
        for (const name of ['check', 'eval', 'fmt', 'help']) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\s+\\S`, 'm'));
        expect((await cajal(['help', 'eval'], cwd)).stdout).toMatch(/^Usage: cajal eval FILE \[--def NAME\] \[--json\]/);
        expect((await cajal(['check', '--help'], cwd)).stdout).toMatch(/^Usage: cajal check FILE… \[--json\]/);
        const version = await cajal(['--version'], cwd);
        expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
        const bare = await cajal([], cwd);
        expect(bare.code).toBe(2);
        expect(bare.stdout).toContain('Usage: cajal COMMAND');
    });

    test('wrong usage exits 2 with a message and the usage', async () => {
        const unknownCommand = await cajal(['chek', 'x.cajal'], repository);
        expect(unknownCommand.code).toBe(2);
        expect(unknownCommand.stderr).toMatch(/^cajal: unknown command 'chek'\. Commands: check, eval, /);
        const unknownOption = await cajal(['check', '--jsn', 'x.cajal'], repository);
        expect(unknownOption.code).toBe(2);
        expect(unknownOption.stderr).toMatch(/^cajal check: Unknown option '--jsn'\.\n\nUsage: cajal check/);
        const noFile = await cajal(['eval'], repository);
        expect(noFile).toMatchObject({ code: 2 });
        expect(noFile.stderr).toMatch(/^cajal eval: eval needs a file\./);
        const missingValue = await cajal(['eval', 'examples/logic.cajal', '--def'], repository);
        expect(missingValue.code).toBe(2);
        expect(missingValue.stderr).toContain("cajal eval: Option '--def <value>' argument missing");
    });

    test('10,000 nested parentheses and ifs check and evaluate on the worker thread', async () => {
        const depth = 10_000;
        const directory = directoryWith({
            'parens.cajal': `def main : Bool = ${'('.repeat(depth)}true${')'.repeat(depth)}\n`,
            'ifs.cajal': `def main : Bool = ${'if true then '.repeat(depth)}false${' else true'.repeat(depth)}\n`,
            'elses.cajal': `def main : Nat = ${'if false then 1 else '.repeat(depth)}7\n`
        });
        const checked = await cajal(['check', 'parens.cajal', 'ifs.cajal', 'elses.cajal', '--json'], directory);
        expect(checked.stderr).toBe('');
        expect(checked).toMatchObject({ code: 0, stdout: '{"diagnostics":[]}\n' });
        expect((await cajal(['eval', 'parens.cajal'], directory)).stdout).toBe('true\n');
        expect((await cajal(['eval', 'ifs.cajal'], directory)).stdout).toBe('false\n');
        expect((await cajal(['eval', 'elses.cajal'], directory)).stdout).toBe('7\n');
    }, 240_000); // a long else-if chain parses in seconds (see the report on Langium's CST lengths)

    test('nesting beyond the stack is a parse diagnostic at the point it crossed the limit; the rest of the file is still checked', async () => {
        const depth = 100_000;
        const directory = directoryWith({
            'deep.cajal': `def deep : Bool = ${'('.repeat(depth)}true${')'.repeat(depth)}\ndef after : Bool = 3\n`
        });
        const run = await cajal(['check', 'deep.cajal', '--json'], directory);
        expect(run.code).toBe(1);
        const diagnostics = JSON.parse(run.stdout).diagnostics as Array<{ line: number; column: number; code: string; message: string }>;
        expect(diagnostics.map(d => `${d.line} ${d.code}`)).toEqual(['1 parse', '2 type/mismatch']);
        expect(diagnostics[0].message).toMatch(/^This declaration nests too deeply to check here \(about \d+ parentheses/);
        // The guard stops at an opening parenthesis inside the run of parentheses.
        expect(diagnostics[0].column).toBeGreaterThan(10_000);
        expect(diagnostics[0].column).toBeLessThan(19 + depth);
    });

    test('long output is complete when the process exits', async () => {
        const count = 5000;
        const text = Array.from({ length: count }, (_, i) => `def d${i} : Bool = unknown${i}\n`).join('');
        const directory = directoryWith({ 'many.cajal': text });
        const human = await cajal(['check', 'many.cajal'], directory);
        expect(human.stdout.trimEnd().split('\n')).toHaveLength(count);
        expect(human.stdout.trimEnd().split('\n').at(-1)).toBe(`many.cajal:${count}:${`def d${count - 1} : Bool = `.length + 1}: error[name/unknown]: Unknown name 'unknown${count - 1}': it is not a variable in scope, nor a definition or extern of this module or its imports.`);
        const json = await cajal(['check', 'many.cajal', '--json'], directory);
        expect(JSON.parse(json.stdout).diagnostics).toHaveLength(count);
    });

    test('Ctrl-C stops a long evaluation: exit code 130', async () => {
        const directory = directoryWith({
            'slow.cajal': [
                'def count (n : Nat[100000]) : Nat[100000] = iter n { zero => zero ; succ y => succ y }',
                'def inner (n : Nat[100000]) (m : Nat[100000]) : Nat[100000] = iter n { zero => m ; succ y => count y }',
                'def main : Nat[100000] = inner 99999 99990', // about 10^10 steps: still running at the interrupt
                ''
            ].join('\n')
        });
        // count's own matrix (10^10 entries) is above the default size limit; eval needs no matrix.
        const run = await cajal(['eval', 'slow.cajal', '--max-tensor', '2000000000000000'], directory, child => {
            // Interrupt once the worker is evaluating (its checking output is empty, so wait a little).
            setTimeout(() => child.kill('SIGINT'), 1500);
        });
        expect(run.code).toBe(130);
        expect(run.stdout).toBe('');
    });
});

describe('main(argv, io) in-process', () => {
    test('runs commands with collected output and returns the exit code', async () => {
        const directory = directoryWith({ 'a.cajal': 'def main : Bool = if true then false else true\n' });
        const ok = io(directory);
        expect(await main(['eval', 'a.cajal', '--json'], ok)).toBe(0);
        expect(ok.stdout.text).toBe('{"def":"main","type":"Bool","value":"false"}\n');
        const bad = io(directory);
        expect(await main(['check', path.join(directory, 'missing.cajal')], bad)).toBe(1);
        expect(bad.stderr.text).toContain('no such file');
    });
});

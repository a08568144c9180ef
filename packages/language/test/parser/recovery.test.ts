import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { MAX_UNCLOSED } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { cliBin as cli } from '../../../../test/executables.js';


/** Code and 1-based start of each diagnostic, in order. */
async function diagnosticsOf(text: string): Promise<Array<{ code: unknown; at: string; message: string }>> {
    const { diagnostics } = await checkText(text);
    return diagnostics.map(d => ({ code: d.code, at: `${d.range.start.line + 1}:${d.range.start.character + 1}`, message: String(d.message) }));
}

describe('half-typed and hostile input', () => {
    test('an unclosed block comment is reported where it starts', async () => {
        const found = await diagnosticsOf('def a : Bool = true\n{- open {- nested -} still open\ndef b : Bool = false\n');
        expect(found).toEqual([{ code: 'parse', at: '2:1', message: expect.stringContaining('never closed') }]);
    });

    test('a closed nested comment is not an error', async () => {
        expect(await diagnosticsOf('{- a {- b -} c -}\ndef a : Bool = true\n')).toEqual([]);
    });

    test(`more than ${MAX_UNCLOSED} unclosed brackets: one error at the first, the next declaration still checked (real CLI)`, () => {
        // Through the CLI: its large-stack thread lets the bracket guard, not the nesting guard, speak.
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-unclosed-'));
        const file = path.join(directory, 'unclosed.cajal');
        fs.writeFileSync(file, `def a : Bool = ${'('.repeat(1000)}true\ndef b : Bool = 3\n`);
        const run = spawnSync(process.execPath, [cli, 'check', file, '--json'], { encoding: 'utf-8' });
        fs.rmSync(directory, { recursive: true, force: true });
        expect(run.status).toBe(1);
        const found = (JSON.parse(run.stdout) as { diagnostics: Array<{ code: string; line: number; column: number; message: string }> }).diagnostics;
        expect(found.map(d => [d.code, `${d.line}:${d.column}`])).toEqual([['parse', '1:16'], ['type/mismatch', '2:16']]);
        expect(found[0].message).toContain('1000 brackets from here on are never closed');
    });

    test(`more than ${MAX_UNCLOSED} ifs without else are cut off the same way`, async () => {
        const found = await diagnosticsOf(`def a : Bool = ${'if true then '.repeat(MAX_UNCLOSED + 1)}true\ndef b : Bool = 3\n`);
        expect(found.map(d => [d.code, d.at])).toEqual([['parse', '1:16'], ['type/mismatch', '2:16']]);
        expect(found[0].message).toContain("'if's without 'else'");
    });

    test('a few unclosed brackets are ordinary parse errors', async () => {
        const found = await diagnosticsOf('def a : Bool = ((true\ndef b : Bool = false\n');
        expect(found.map(d => d.code)).toEqual(['parse']);
        expect(found[0].message).toMatch(/^Expected .*, but found 'def'\.$/);
    });

    test('a type the parser could not read checks without crashing (error type, no cascade)', async () => {
        const found = await diagnosticsOf('def swap (p : ool * Nat) : Nat * Bool = let (b, n) = p in (n, b)\ndef main : Bool = true\n');
        expect(found.map(d => d.code)).toEqual(['parse']);
        expect(found[0].message).toBe("Expected 'Bool', 'Nat', 'Real' or '(', but found 'ool'.");
    });

    test('stray characters and stray text read as one-line errors', async () => {
        const found = await diagnosticsOf('Hello.\ndef a : Bool = true\n');
        expect(found.map(d => d.message).sort()).toEqual([
            "Expected a declaration (def, extern, train or import), but found 'Hello'.",
            "Unexpected character '.': not part of any Cajal token."
        ]);
    });
});

describe('terms that error recovery leaves without a kind', () => {
    test('are skipped by the checkers (no crash), with only the parse errors reported', async () => {
        const { diagnose } = await import('../helpers.js');
        const diagnostics = await diagnose('def extra (b : Bool) : Bool = b\nd (Bool -o Bool)) (x : Bool) : Bool =');
        expect(diagnostics.some(d => String(d.message).includes('error occurred'))).toBe(false);
        expect(diagnostics.map(d => d.code)).toContain('parse');
    });
});

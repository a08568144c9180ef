// Diagnostics over LSP from the real server process: every code of the language core, with
// exact ranges, related information for two-place errors, severities, and quick-fix data.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { startServer, type ServerSession } from './lsp-client.js';

let server: ServerSession;
let counter = 0;

beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.close(); });

async function diagnose(text: string): Promise<Diagnostic[]> {
    return server.open(`file:///virtual/diagnostics-${++counter}.cajal`, text);
}

/** The text a diagnostic's range covers. */
function covered(text: string, diagnostic: Diagnostic): string {
    const lines = text.split('\n');
    const { start, end } = diagnostic.range;
    if (start.line !== end.line) return lines.slice(start.line, end.line + 1).join('\n');
    return lines[start.line].slice(start.character, end.character);
}

describe('diagnostics', () => {
    test('a correct file has none', async () => {
        expect(await diagnose('def not : Bool -o Bool = fun x => if x then false else true\n')).toEqual([]);
    });

    test('parse errors are errors with code parse at the offending place', async () => {
        const diagnostics = await diagnose('def f : Bool = if true then false\ndef g : Bool = true\n');
        expect(diagnostics.length).toBeGreaterThan(0);
        expect(diagnostics.every(d => d.code === 'parse' && d.severity === 1)).toBe(true);
        expect(diagnostics[0].range.start.line).toBe(1); // the `else` was expected before `def g`
    });

    test('name/unknown covers the unknown name', async () => {
        const text = 'def f : Bool = nope\n';
        const [d] = await diagnose(text);
        expect(d.code).toBe('name/unknown');
        expect(covered(text, d)).toBe('nope');
        expect(d.message).toContain("'nope'");
    });

    test('name/duplicate points at the second definition, relates the first, carries the name', async () => {
        const text = 'def f : Bool = true\n\ndef f : Bool = false\n';
        const [d] = await diagnose(text);
        expect(d.code).toBe('name/duplicate');
        expect(d.range.start).toEqual({ line: 2, character: 4 });
        expect(covered(text, d)).toBe('f');
        expect(d.relatedInformation?.[0].location.range.start).toEqual({ line: 0, character: 4 });
        expect(d.data).toEqual({ name: 'f' });
    });

    test('def/cycle is reported on each definition of the cycle, with the references as related places', async () => {
        const text = 'def a : Bool = b\ndef b : Bool = a\n';
        const diagnostics = await diagnose(text);
        expect(diagnostics.map(d => d.code)).toEqual(['def/cycle', 'def/cycle']);
        expect(diagnostics.map(d => covered(text, d))).toEqual(['a', 'b']);
        expect(diagnostics[0].relatedInformation?.length).toBe(2);
    });

    test('nat/out-of-range covers the numeral', async () => {
        const text = 'def n : Nat[3] = 5\n';
        const [d] = await diagnose(text);
        expect(d.code).toBe('nat/out-of-range');
        expect(covered(text, d)).toBe('5');
        expect(d.message).toContain('Nat[3]');
    });

    test('type/mismatch names expected and actual types', async () => {
        const text = 'def f : Bool = zero\n';
        const [d] = await diagnose(text);
        expect(d.code).toBe('type/mismatch');
        expect(covered(text, d)).toBe('zero');
        expect(d.message).toContain('Bool');
        expect(d.message).toContain('Nat');
    });

    test('type/not-a-function relates the argument', async () => {
        const text = 'def f : Bool = true false\n';
        const [d] = await diagnose(text);
        expect(d.code).toBe('type/not-a-function');
        expect(covered(text, d)).toBe('true');
        expect(d.relatedInformation?.[0].location.range.start.character).toBe(20);
    });

    test('type/cannot-infer covers the binder', async () => {
        const text = 'def g : Bool = let h = fun x => x in h true\n';
        const [d] = await diagnose(text);
        expect(d.code).toBe('type/cannot-infer');
        expect(covered(text, d)).toBe('x');
    });

    test('linearity/unused covers the binder and carries its name', async () => {
        const text = 'def f (x : Bool) (y : Bool) : Bool = x\n';
        const [d] = await diagnose(text);
        expect(d).toMatchObject({ code: 'linearity/unused', severity: 1, data: { name: 'y' } });
        expect(covered(text, d)).toBe('y');
    });

    test('linearity/duplicate: the second use, related to the binder and both uses', async () => {
        const text = 'def k (a : Bool) (b : Bool) : Bool = if a then b else b\ndef g (x : Bool) : Bool = k x x\n';
        const diagnostics = await diagnose(text);
        expect(diagnostics.map(d => d.code)).toEqual(['linearity/duplicate']);
        const [d] = diagnostics;
        expect(d.range).toEqual({ start: { line: 1, character: 30 }, end: { line: 1, character: 31 } });
        expect(d.relatedInformation?.map(r => r.location.range.start.character)).toEqual([7, 28, 30]);
        expect(d.message).toContain('twice');
    });

    test('linearity/branch-mismatch names the variable and the branch, with types as data', async () => {
        const text = 'def f (x : Bool) (y : Bool) : Bool = if x then y else false\n';
        const [d] = await diagnose(text);
        expect(d.code).toBe('linearity/branch-mismatch');
        expect(covered(text, d)).toBe('if');
        expect(d.message).toContain("'y' is used only in the then-branch");
        expect(d.data).toEqual({ onlyThen: [{ name: 'y', type: 'Bool' }], onlyElse: [] });
        expect(d.relatedInformation?.map(r => r.message)).toEqual(["'y' is used in the then-branch", "the else-branch does not use 'y'"]);
    });

    test('linearity/iter-replicates is a warning', async () => {
        const text = 'def f (x : Bool) (n : Nat) : Bool = iter n { zero => true ; succ y => if x then y else y }\n';
        const [d] = await diagnose(text);
        expect(d.code).toBe('linearity/iter-replicates');
        expect(d.severity).toBe(2);
        expect(d.message).toContain('polynomial');
        expect(covered(text, d)).toBe('x');
    });

    test('extern architectures are checked', async () => {
        const text = 'extern e : Bool -o Bool = foo(3)\n';
        const [d] = await diagnose(text);
        expect(d.code).toBe('extern/unknown-architecture');
        expect(covered(text, d)).toBe('foo');
    });
});

describe('incremental re-checking over LSP', () => {
    test('typing a definition keystroke by keystroke: after every edit the diagnostics equal those of the same text opened fresh', async () => {
        const { DidChangeTextDocumentNotification } = await import('vscode-languageserver-protocol');
        const base = 'def not (x : Bool) : Bool = if x then false else true\n\n--| and\ndef and (x : Bool) (y : Bool) : Bool =\n  if x then y else if y then false else false\n\ndef main : Bool = and true (not false)\n';
        const uri = `file:///virtual/typing-${++counter}.cajal`;
        await server.open(uri, base);
        // Type a new definition between `not` and `and`, one character per change, as an editor sends them.
        const typed = '\ndef or (x : Bool) (y : Bool) : Bool = if x then (not true) else y\n';
        const insertAt = { line: 1, character: 0 };
        let text = base;
        let version = 1;
        const lines = base.split('\n');
        const offsetOf = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
        let position = { ...insertAt };
        for (const [i, character] of [...typed].entries()) {
            const since = server.published.length;
            await server.connection.sendNotification(DidChangeTextDocumentNotification.type, {
                textDocument: { uri, version: ++version },
                contentChanges: [{ range: { start: position, end: position }, text: character }]
            });
            const offset = offsetOf(insertAt) + i;
            text = text.slice(0, offset) + character + text.slice(offset);
            position = character === '\n' ? { line: position.line + 1, character: 0 } : { line: position.line, character: position.character + 1 };
            const incremental = await server.nextDiagnostics(uri, since);
            // Comparing every state would open ~90 more files: every 8th, and the last.
            if (i % 8 !== 7 && i !== typed.length - 1) continue;
            const fresh = await server.open(`file:///virtual/typing-fresh-${++counter}.cajal`, text);
            const strip = (diagnostics: Diagnostic[]) => diagnostics.map(d => ({ ...d, relatedInformation: d.relatedInformation?.map(r => ({ ...r, location: { ...r.location, uri: '' } })) }));
            expect(strip(incremental), `after typing ${JSON.stringify(typed.slice(0, i + 1))}`).toEqual(strip(fresh));
        }
        // The finished definition has one problem: y is used only in the else-branch.
        const last = await server.open(`file:///virtual/typing-final-${++counter}.cajal`, text);
        expect(last.map(d => d.code)).toContain('linearity/branch-mismatch');
    });
});

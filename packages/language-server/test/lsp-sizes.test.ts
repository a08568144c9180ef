// Size analysis in the editor (issue 17): size/too-large diagnostics, the size on hover,
// and the `cajal.maxTensor` setting, over stdio with the real server.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Hover } from 'vscode-languageserver-protocol';
import { positionOf, startServer, type ServerSession } from './lsp-client.js';

const uri = 'file:///virtual/sizes/id.cajal';
const text = 'def id (x : Nat[1000000]) : Nat[1000000] = x\n';
let server: ServerSession;

beforeAll(async () => { server = await startServer(); }, 30_000);
afterAll(async () => { await server.close(); });

async function hover(needle: string, delta: number): Promise<string> {
    const result = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, needle, delta) });
    return result ? (result.contents as { value: string }).value : '';
}

describe('size/too-large in the language server', () => {
    test('a definition whose matrix is above the limit: a diagnostic at its name, the size on hover', async () => {
        const diagnostics = await server.open(uri, text);
        expect(diagnostics.map(d => [d.code, d.range.start.character, d.range.end.character])).toEqual([['size/too-large', 4, 6]]);
        expect(diagnostics[0].message).toContain("'id' compiles to a [1000000, 1000000] matrix: 1,000,000,000,000 entries, 4 TB as float32");
        expect(await hover('def id', 4)).toContain('Size: a [1000000, 1000000] matrix: 1,000,000,000,000 entries, 4 TB as float32 — above the limit of 67,108,864 entries');
        expect(await hover('Nat[1000000])', 1)).toContain('Size: a [1000000] vector: 1,000,000 entries, 4 MB as float32');
        expect(await hover('Nat[1000000])', 1)).not.toContain('above the limit');
    }, 30_000);

    test("is an error, as in `cajal check`, and the rest of the file is still checked and answered", async () => {
        // Errors (docs/diagnostics.md#sizetoo-large): such a program cannot run, but the file is edited as usual.
        const mixed = 'def huge (x : Nat[1000000]) : Nat[1000000] = x\n\ndef small (x : Bool) : Bool = x\n\ndef wrong : Bool = small zero\n';
        const mixedUri = 'file:///virtual/sizes/mixed.cajal';
        const diagnostics = await server.open(mixedUri, mixed);
        expect(diagnostics.map(d => [d.code, d.severity, d.range.start.line])).toEqual([['size/too-large', 1, 0], ['type/mismatch', 1, 4]]);
        const hovered = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri: mixedUri }, position: positionOf(mixed, 'def small', 4) });
        expect((hovered?.contents as { value: string }).value).toContain('Bool -o Bool');
    }, 30_000);

    test('the cajal.maxTensor setting raises the limit and re-checks open documents', async () => {
        const since = server.published.length;
        await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: { cajal: { maxTensor: 10 ** 12 } } });
        expect(await server.nextDiagnostics(uri, since)).toEqual([]);
        expect(await hover('def id', 4)).not.toContain('above the limit');
        const lowered = server.published.length;
        await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: { cajal: { maxTensor: 1000 } } });
        const diagnostics = await server.nextDiagnostics(uri, lowered);
        expect(diagnostics.map(d => d.code)).toEqual(['size/too-large', 'size/too-large']);
        expect(diagnostics[0].message).toContain('the limit is 1,000 entries');
    }, 30_000);
});

// Protocol misuse and broken framing (issue 17), over stdio with the real server: answered
// errors per LSP 3.17 where a message is valid JSON-RPC but not valid now, a logged framing
// error and exit code 1 (which editors see, and restart the server on) where the stream
// itself is broken, and a cap on document size with a diagnostic instead of a crash.
import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import type { Hover } from 'vscode-languageserver-protocol';
import { serverBin } from '../../../test/executables.js';
import { positionOf, startServer } from './lsp-client.js';

const INVALID_REQUEST = -32600;

describe('protocol misuse: answered errors, the server stays up', () => {
    test('initialize sent twice: the second is refused with InvalidRequest; later requests are answered', async () => {
        const server = await startServer();
        try {
            const second = await server.request('initialize', { processId: null, rootUri: null, capabilities: {} }).then(() => undefined, (error: { code: number; message: string }) => error);
            expect(second?.code).toBe(INVALID_REQUEST);
            expect(second?.message).toBe('Invalid request: initialize may be sent only once.');
            const uri = 'file:///virtual/protocol/twice.cajal';
            const text = 'def not (x : Bool) : Bool = if x then false else true\n';
            expect(await server.open(uri, text)).toEqual([]);
            const hover = await server.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'not', 1) });
            expect((hover.contents as { value: string }).value).toContain('not : Bool -o Bool');
        } finally {
            await server.close();
        }
    }, 30_000);

    test('a 10 MB didChange: a server/too-large diagnostic instead of a crash; a smaller edit is checked again', async () => {
        const server = await startServer();
        try {
            const uri = 'file:///virtual/protocol/huge.cajal';
            expect(await server.open(uri, 'def a : Bool = true\n')).toEqual([]);
            const huge = `def a : Bool = true\n${'def b : Bool = false -- padding padding padding padding\n'.repeat(180_000)}`;
            expect(huge.length).toBeGreaterThan(10_000_000);
            const started = Date.now();
            const diagnostics = await server.change(uri, huge, 2);
            expect(Date.now() - started).toBeLessThan(5_000);
            expect(diagnostics.map(d => [d.code, d.message])).toEqual([['server/too-large', 'This file is 10 MB, above the limit of 8 MB for checking in the editor, so it is not checked.']]);
            // The server is up and answers; the worker never saw the text.
            const other = 'file:///virtual/protocol/other.cajal';
            expect((await server.open(other, 'def c : Bool = 3\n')).map(d => d.code)).toEqual(['type/mismatch']);
            expect((await server.change(uri, 'def a : Bool = 3\n', 3)).map(d => d.code)).toEqual(['type/mismatch']);
            expect(server.child.exitCode).toBeNull();
        } finally {
            await server.close();
        }
    }, 60_000);

    test('shutdown: later requests are refused with InvalidRequest, notifications ignored; exit then exits 0', async () => {
        const server = await startServer();
        await server.request('shutdown', null);
        const after = await server.request('textDocument/hover', { textDocument: { uri: 'file:///x.cajal' }, position: { line: 0, character: 0 } })
            .then(() => undefined, (error: { code: number; message: string }) => error);
        expect(after?.code).toBe(INVALID_REQUEST);
        expect(after?.message).toContain("after 'shutdown' only 'exit' is valid");
        await server.connection.sendNotification('exit');
        expect(await server.exited).toBe(0);
        server.connection.dispose();
    }, 30_000);

    test('shutdown without exit, then the client closes the stream: the server exits cleanly (0)', async () => {
        const server = await startServer();
        await server.request('shutdown', null);
        server.child.stdin!.end();
        expect(await server.exited).toBe(0);
        server.connection.dispose();
    }, 30_000);
});

describe('the give-up rule for a checker thread that keeps stopping', () => {
    test('after 3 stops within 15 minutes the open documents are not given to the new thread; each says why; an edit checks it again', async () => {
        const server = await startServer({ env: { CAJAL_LSP_TEST_HOOKS: '1' } });
        try {
            const uri = 'file:///virtual/protocol/crashing.cajal';
            const text = 'def f (x : Bool) (y : Bool) : Bool = x\n';
            expect((await server.open(uri, text)).map(d => d.code)).toEqual(['linearity/unused']);
            for (let stop = 1; stop <= 2; stop++) {
                const since = server.published.length;
                await server.connection.sendNotification('cajal/test/stopThread');
                // Replayed and checked again by the new thread.
                expect((await server.nextDiagnostics(uri, since)).map(d => d.code)).toEqual(['linearity/unused']);
            }
            const since = server.published.length;
            await server.connection.sendNotification('cajal/test/stopThread');
            const diagnostics = await server.nextDiagnostics(uri, since);
            expect(diagnostics.map(d => d.code)).toEqual(['server/not-checked']);
            expect(diagnostics[0].message).toBe('The Cajal checker stopped 3 times within 15 minutes while this file was open (last exit code 3), so it is not checked; edit it to check it again, or restart the server.');
            expect(server.stderr()).toContain('not checking the 1 open document(s) any more until they are edited');
            // The server is up: a new document is checked, and the edited one again.
            expect((await server.open('file:///virtual/protocol/fresh.cajal', 'def c : Bool = 3\n')).map(d => d.code)).toEqual(['type/mismatch']);
            expect((await server.change(uri, 'def f (x : Bool) : Bool = x\n', 2))).toEqual([]);
            expect(server.child.exitCode).toBeNull();
        } finally {
            await server.close();
        }
    }, 60_000);
});

/** Writes raw bytes to a fresh server's stdin; resolves with its exit code and stderr. */
function rawSession(bytes: Buffer | string): Promise<{ code: number | null; stderr: string; seconds: number }> {
    const started = Date.now();
    return new Promise(resolve => {
        const child = spawn(process.execPath, [serverBin, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', chunk => { stderr += chunk.toString(); });
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('exit', code => { clearTimeout(timer); resolve({ code, stderr, seconds: (Date.now() - started) / 1000 }); });
        child.stdin.write(bytes); // the stream stays open: the server must notice by itself
    });
}

describe('broken framing: a logged framing error and exit code 1, within seconds', () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{}}}';
    let seed = 17;
    const garbage = Buffer.from(Array.from({ length: 512 }, () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % 256; }));
    test.each([
        ['no Content-Length', `Content-Type: application/vscode-jsonrpc\r\n\r\n${body}`, 'a header without Content-Length'],
        ['a non-numeric length', `Content-Length: twelve\r\n\r\n${body}`, 'Content-Length is not a number: "twelve"'],
        ['too small a length', `Content-Length: 10\r\n\r\n${body}`, 'LSP framing error: '],
        ['too large a length', `Content-Length: 999999999999\r\n\r\n${body}`, 'Content-Length 999999999999 is above the limit of 256 MB'],
        ['512 garbage bytes', garbage, 'a byte that cannot be in a header']
    ])('%s', async (_name, bytes, logged) => {
        const run = await rawSession(bytes);
        expect(run.stderr).toContain(logged);
        expect(run.stderr).toContain('; exiting (exit code 1).');
        expect(run.code).toBe(1);
        expect(run.seconds).toBeLessThan(15);
    }, 30_000);
});

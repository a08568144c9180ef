// Multi-file workspaces, the Node IPC transport and the deep-nesting stack, against the real server.
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
    createProtocolConnection, IPCMessageReader, IPCMessageWriter, InitializeRequest, InitializedNotification,
    DidOpenTextDocumentNotification, PublishDiagnosticsNotification, ShutdownRequest, ExitNotification,
    type Diagnostic, type Hover, type LocationLink, type PublishDiagnosticsParams
} from 'vscode-languageserver-protocol/node';
import { serverBin } from '../../../test/executables.js';
import { fileUri, positionOf, startServer, type ServerSession } from './lsp-client.js';

describe('a multi-file workspace', () => {
    let folder: string;
    let server: ServerSession;
    const BASE = 'module base\n\n--| Exclusive or.\ndef xor (a : Bool) (b : Bool) : Bool = if a then (if b then false else true) else b\n';
    const USER = 'import base\n\ndef main : Bool = xor true false\n';

    beforeAll(async () => {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-lsp-workspace-'));
        fs.writeFileSync(path.join(folder, 'base.cajal'), BASE);
        fs.writeFileSync(path.join(folder, 'user.cajal'), USER);
        server = await startServer({ workspaceFolder: folder });
    });
    afterAll(async () => {
        await server.close();
        fs.rmSync(folder, { recursive: true, force: true });
    });

    test('imports resolve across files: no errors, hover and definition reach the other file', async () => {
        const userUri = fileUri(path.join(folder, 'user.cajal'));
        expect(await server.open(userUri, USER)).toEqual([]);
        const hover = await server.request<Hover>('textDocument/hover', { textDocument: { uri: userUri }, position: positionOf(USER, 'xor true') });
        const text = (hover.contents as { value: string }).value;
        expect(text).toContain('xor : Bool -o Bool -o Bool');
        expect(text).toContain('Exclusive or.');
        const links = await server.request<LocationLink[]>('textDocument/definition', { textDocument: { uri: userUri }, position: positionOf(USER, 'xor true') });
        expect(links[0].targetUri).toBe(fileUri(path.join(folder, 'base.cajal')));
        expect(links[0].targetSelectionRange.start).toEqual(positionOf(BASE, 'xor (a', 0));
    });

    /** The dependant's diagnostics once they satisfy `expected` (earlier builds may publish first). */
    async function dependantDiagnostics(uri: string, since: number, expected: (codes: string[]) => boolean): Promise<Diagnostic[]> {
        for (let seen = 0; seen < 5; seen++) {
            const diagnostics = await server.nextDiagnostics(uri, since);
            if (expected(diagnostics.map(d => String(d.code)))) return diagnostics;
            since = server.published.findLastIndex(p => p.uri === uri) + 1;
        }
        throw new Error('the dependant never got the expected diagnostics');
    }

    test('editing the dependency updates the diagnostics of its dependant', async () => {
        const userUri = fileUri(path.join(folder, 'user.cajal'));
        const baseUri = fileUri(path.join(folder, 'base.cajal'));
        await server.open(baseUri, BASE);
        // Rename xor to exclusive in base only: user's use no longer resolves.
        let since = server.published.length;
        await server.change(baseUri, BASE.replace('def xor', 'def exclusive'), 2);
        let userDiagnostics = await dependantDiagnostics(userUri, since, codes => codes.length > 0);
        expect(userDiagnostics.map(d => d.code)).toEqual(['name/unknown']);
        expect(userDiagnostics[0].range.start).toEqual(positionOf(USER, 'xor true'));
        // Changing its type makes the use ill-typed.
        since = server.published.length;
        await server.change(baseUri, BASE.replace('(b : Bool) : Bool', '(b : Bool) : Nat').replace('then false else true', 'then 0 else 1').replace('else b\n', 'else (if b then 1 else 0)\n'), 3);
        userDiagnostics = await dependantDiagnostics(userUri, since, codes => !codes.includes('name/unknown'));
        expect(userDiagnostics.map(d => d.code)).toEqual(['type/mismatch']);
        // Restoring it clears them.
        since = server.published.length;
        await server.change(baseUri, BASE, 4);
        userDiagnostics = await dependantDiagnostics(userUri, since, codes => !codes.includes('type/mismatch'));
        expect(userDiagnostics).toEqual([]);
    });

    test('rename of an imported global edits both files', async () => {
        const userUri = fileUri(path.join(folder, 'user.cajal'));
        const edit = await server.request<{ changes: Record<string, unknown[]> }>('textDocument/rename', { textDocument: { uri: userUri }, position: positionOf(USER, 'xor true'), newName: 'exclusiveOr' });
        expect(Object.keys(edit.changes).sort()).toEqual([fileUri(path.join(folder, 'base.cajal')), userUri].sort());
    });
});

describe('transports and stack', () => {
    test('the server also speaks LSP over Node IPC (--node-ipc), as vscode-languageclient uses it', async () => {
        const child = fork(serverBin, ['--node-ipc'], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
        const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
        const diagnostics = new Promise<PublishDiagnosticsParams>(resolve => connection.onNotification(PublishDiagnosticsNotification.type, resolve));
        connection.listen();
        const result = await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
        expect(result.capabilities.hoverProvider).toBeTruthy();
        await connection.sendNotification(InitializedNotification.type, {});
        await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: 'file:///virtual/ipc.cajal', languageId: 'cajal', version: 1, text: 'def f (x : Bool) (y : Bool) : Bool = x\n' } });
        expect((await diagnostics).diagnostics.map(d => d.code)).toEqual(['linearity/unused']);
        const exited = new Promise<number | null>(resolve => child.on('exit', resolve));
        await connection.sendRequest(ShutdownRequest.type);
        await connection.sendNotification(ExitNotification.type);
        expect(await exited).toBe(0);
        connection.dispose();
    });

    test('10,000-deep nesting is checked on the server thread (its type error is found)', async () => {
        const server = await startServer();
        try {
            const depth = 10_000;
            const text = `def deep : Bool = ${'('.repeat(depth)}zero${')'.repeat(depth)}\n\ndef ok : Bool = true\n`;
            const diagnostics = await server.open('file:///virtual/deep.cajal', text);
            expect(diagnostics.map(d => d.code)).toEqual(['type/mismatch']);
            const ifs = `def deepIf : Bool = ${'if true then '.repeat(depth)}zero${' else false'.repeat(depth)}\n`;
            const ifDiagnostics = await server.open('file:///virtual/deep-if.cajal', ifs);
            expect(ifDiagnostics.map(d => d.code)).toEqual(['type/mismatch']);
            expect(ifDiagnostics[0].range.start.character).toBe('def deepIf : Bool = '.length + 'if true then '.length * depth);
        } finally {
            await server.close();
        }
    });
});

describe('the supervisor', () => {
    test('when the server thread stops, a new one takes over with the open documents', async () => {
        const server = await startServer({ env: { CAJAL_LSP_TEST_HOOKS: '1' } });
        try {
            const uri = 'file:///virtual/supervised.cajal';
            const text = 'def f (x : Bool) (y : Bool) : Bool = x\n';
            expect((await server.open(uri, text)).map(d => d.code)).toEqual(['linearity/unused']);
            const since = server.published.length;
            await server.connection.sendNotification('cajal/test/stopThread');
            // The replayed document is checked again by the new thread and its diagnostics re-published.
            expect((await server.nextDiagnostics(uri, since)).map(d => d.code)).toEqual(['linearity/unused']);
            expect(server.stderr()).toContain('restarting');
            const hover = await server.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'f (x') });
            expect((hover.contents as { value: string }).value).toContain('f : Bool -o Bool -o Bool');
            expect(server.child.exitCode).toBeNull();
        } finally {
            await server.close();
        }
    });
});

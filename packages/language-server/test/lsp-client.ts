// A real LSP client for the end-to-end tests: starts `cajal-language-server --stdio` as a
// child process and speaks LSP to it with vscode-languageserver-protocol.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
    createProtocolConnection, StreamMessageReader, StreamMessageWriter,
    InitializeRequest, InitializedNotification, DidOpenTextDocumentNotification, DidChangeTextDocumentNotification,
    PublishDiagnosticsNotification, ShutdownRequest, ExitNotification,
    type ProtocolConnection, type Diagnostic, type PublishDiagnosticsParams, type InitializeResult
} from 'vscode-languageserver-protocol/node';
import { serverBin } from '../../../test/executables.js';


export interface ServerSession {
    connection: ProtocolConnection;
    child: ChildProcess;
    initializeResult: InitializeResult;
    stderr: () => string;
    /** Every publishDiagnostics the server sent, in order. */
    published: PublishDiagnosticsParams[];
    open(uri: string, text: string, version?: number): Promise<Diagnostic[]>;
    change(uri: string, text: string, version: number): Promise<Diagnostic[]>;
    /** Resolves with the next diagnostics published for `uri` (after `since`, a count of published messages). */
    nextDiagnostics(uri: string, since?: number): Promise<Diagnostic[]>;
    request<R>(method: string, params: unknown): Promise<R>;
    close(): Promise<void>;
    exited: Promise<number | null>;
}

export function fileUri(file: string): string {
    return pathToFileURL(file).toString();
}

/** Starts the server (the bin, or `script`) with a workspace folder (or none) and completes the initialize handshake. */
export async function startServer(options: { workspaceFolder?: string; capabilities?: Record<string, unknown>; env?: Record<string, string>; script?: string } = {}): Promise<ServerSession> {
    // script: another entry than the bin (the bundle test runs a copy of the bundle).
    const child = spawn(process.execPath, [options.script ?? serverBin, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let stderr = '';
    child.stderr!.on('data', chunk => { stderr += chunk.toString(); });
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const published: PublishDiagnosticsParams[] = [];
    const waiters: Array<{ uri: string; since: number; resolve: (d: Diagnostic[]) => void }> = [];
    connection.onNotification(PublishDiagnosticsNotification.type, params => {
        published.push(params);
        for (const waiter of [...waiters]) {
            if (waiter.uri === params.uri && published.length > waiter.since) {
                waiters.splice(waiters.indexOf(waiter), 1);
                waiter.resolve(params.diagnostics);
            }
        }
    });
    // The server may ask for configuration and register capabilities; answer like an editor would.
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => null));
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.listen();
    const folder = options.workspaceFolder;
    const initializeResult = await connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: folder ? fileUri(folder) : null,
        workspaceFolders: folder ? [{ uri: fileUri(folder), name: path.basename(folder) }] : null,
        capabilities: {
            textDocument: {
                hover: { contentFormat: ['markdown', 'plaintext'] },
                completion: { completionItem: { snippetSupport: true, labelDetailsSupport: true } },
                publishDiagnostics: { relatedInformation: true },
                semanticTokens: { requests: { full: true }, tokenTypes: [], tokenModifiers: [], formats: ['relative'] },
                rename: { prepareSupport: true },
                codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
                documentSymbol: { hierarchicalDocumentSymbolSupport: true },
                ...(options.capabilities ?? {})
            },
            workspace: { workspaceFolders: true, configuration: true }
        }
    });
    await connection.sendNotification(InitializedNotification.type, {});

    const nextDiagnostics = (uri: string, since = published.length): Promise<Diagnostic[]> => {
        const already = published.slice(since).find(p => p.uri === uri);
        if (already) return Promise.resolve(already.diagnostics);
        return new Promise(resolve => waiters.push({ uri, since, resolve }));
    };
    return {
        connection, child, initializeResult, published, exited,
        stderr: () => stderr,
        async open(uri, text, version = 1) {
            const since = published.length;
            await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'cajal', version, text } });
            return nextDiagnostics(uri, since);
        },
        async change(uri, text, version) {
            const since = published.length;
            await connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
            return nextDiagnostics(uri, since);
        },
        nextDiagnostics,
        request: <R>(method: string, params: unknown) => connection.sendRequest(method, params) as Promise<R>,
        async close() {
            if (child.exitCode === null) {
                await connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
                await connection.sendNotification(ExitNotification.type).catch(() => undefined);
                const timer = setTimeout(() => child.kill(), 5000);
                await exited;
                clearTimeout(timer);
            }
            connection.dispose();
        }
    };
}

/** The 0-based position of the `occurrence`-th match of `needle` in `text` (plus `delta` characters). */
export function positionOf(text: string, needle: string, delta = 0, occurrence = 1): { line: number; character: number } {
    let index = -1;
    for (let i = 0; i < occurrence; i++) {
        index = text.indexOf(needle, index + 1);
        if (index < 0) throw new Error(`'${needle}' (occurrence ${occurrence}) not found`);
    }
    index += delta;
    const before = text.slice(0, index).split('\n');
    return { line: before.length - 1, character: before[before.length - 1].length };
}

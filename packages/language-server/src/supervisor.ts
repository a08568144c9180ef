import { Transform, type TransformCallback } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import {
    IPCMessageReader, IPCMessageWriter, StreamMessageReader,
    type DidChangeTextDocumentParams, type DidCloseTextDocumentParams, type DidOpenTextDocumentParams,
    type Message, type MessageReader, type MessageWriter, type NotificationMessage, type RequestMessage, type ResponseMessage
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { isThreadMessage, type ThreadMessage } from './thread-messages.js';

export interface SupervisorOptions {
    argv: string[];
    startWorker: () => Worker;
}

/** LSP error code for a request the server could not finish (LSP 3.17 `RequestFailed`). */
const REQUEST_FAILED = -32803;
/** JSON-RPC's error code for a request that is not valid now (a second `initialize`, anything after `shutdown`). */
const INVALID_REQUEST = -32600;
/**
 * The give-up rule for a checker thread that keeps stopping: after QUARANTINE_AFTER stops
 * within RESTART_WINDOW_MS the open documents are no longer given to the new thread (each
 * gets a diagnostic saying why) until they are edited; after MAX_RESTARTS the supervisor
 * exits. The window is long because a large file may take minutes to crash a thread.
 */
const QUARANTINE_AFTER = 3;
const MAX_RESTARTS = 6;
const RESTART_WINDOW_MS = 15 * 60_000;
/** Documents above this (UTF-8 bytes) are not checked: the same cap as source files on disk. */
export const MAX_DOCUMENT_BYTES = 8_000_000;
/** A message above this, or a header above MAX_HEADER_BYTES, is a framing error. */
const MAX_MESSAGE_BYTES = 256_000_000;
const MAX_HEADER_BYTES = 8_192;

/** `8 MB` */
function megabytes(bytes: number): string {
    return `${Math.round(bytes / 1e6)} MB`;
}

/**
 * Checks the LSP base protocol's framing of the incoming stream (`Content-Length: N`, an
 * empty line, N bytes) and passes the bytes on unchanged. vscode-jsonrpc's reader waits
 * forever on a header that never ends or a length that never arrives, and silently drops
 * a header without a valid length; here each is a framing error (`onError`).
 */
export class FramingGuard extends Transform {
    private header = Buffer.alloc(0);
    /** Body bytes of the current message still to come. */
    private remaining = 0;

    constructor(private readonly onError: (message: string) => void) {
        super();
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
        let offset = 0;
        while (offset < chunk.length) {
            if (this.remaining > 0) {
                const count = Math.min(this.remaining, chunk.length - offset);
                this.remaining -= count;
                offset += count;
                continue;
            }
            const previous = this.header.length;
            this.header = Buffer.concat([this.header, chunk.subarray(offset)]);
            const end = this.header.indexOf('\r\n\r\n');
            if (end < 0) {
                // Fail as soon as the header cannot be one: garbage must not leave the server waiting.
                const garbage = this.header.findIndex(byte => (byte < 0x20 || byte > 0x7e) && byte !== 0x0d && byte !== 0x0a && byte !== 0x09);
                if (garbage >= 0) return this.fail(`a byte that cannot be in a header (0x${this.header[garbage].toString(16).padStart(2, '0')}) at offset ${garbage} of a header`, done);
                const lastLine = this.header.lastIndexOf('\r\n');
                const complete = lastLine < 0 ? [] : this.header.subarray(0, lastLine).toString('latin1').split('\r\n');
                const bad = complete.find(line => line.indexOf(':') <= 0);
                if (bad !== undefined) return this.fail(`a header line without 'Name: value': ${JSON.stringify(bad.slice(0, 40))}`, done);
                if (this.header.length > MAX_HEADER_BYTES) return this.fail(`no end of header (an empty line) within ${MAX_HEADER_BYTES} bytes`, done);
                break;
            }
            const problem = this.checkHeader(this.header.subarray(0, end).toString('latin1'));
            if (problem) return this.fail(problem, done);
            offset += end + 4 - previous;
            this.header = Buffer.alloc(0);
        }
        done(null, chunk);
    }

    /** Sets `remaining` from a valid header, else says what is wrong with it. */
    private checkHeader(text: string): string | undefined {
        let length: number | undefined;
        for (const line of text.split('\r\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) return `a header line without 'Name: value': ${JSON.stringify(line.slice(0, 40))}`;
            if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
            const value = line.slice(colon + 1).trim();
            if (!/^\d+$/.test(value)) return `Content-Length is not a number: ${JSON.stringify(value.slice(0, 40))}`;
            length = Number(value);
        }
        if (length === undefined) return 'a header without Content-Length';
        if (length > MAX_MESSAGE_BYTES) return `Content-Length ${length} is above the limit of ${megabytes(MAX_MESSAGE_BYTES)}`;
        this.remaining = length;
        return undefined;
    }

    private fail(message: string, done: TransformCallback): void {
        this.onError(message);
        done();
    }
}

/** Logs a framing error and exits with 1: the stream cannot be resynchronised, and the editor restarts a server that exits. */
function framingError(message: string): never {
    process.stderr.write(`cajal-language-server: LSP framing error: ${message}; exiting (exit code 1).\n`);
    process.exit(1);
}

/**
 * Where the supervisor's messages to the editor go: messages it makes, and the server
 * thread's, which come as JSON text (thread-messages.ts) and over stdio are sent as they are.
 */
interface Output {
    write(message: Message): void;
    writeJson(json: string): void;
}

/** LSP's framing on stdout, written in order as each message comes (no queue of its own, unlike vscode-jsonrpc's writer, which encodes asynchronously). */
function stdoutOutput(): Output {
    // A client that went away: the reader's close ends the process.
    process.stdout.on('error', () => undefined);
    const writeJson = (json: string): void => {
        const body = Buffer.from(json, 'utf-8');
        process.stdout.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
    };
    return { write: message => writeJson(JSON.stringify(message)), writeJson };
}

function writerOutput(writer: MessageWriter): Output {
    const write = (message: Message): void => { void writer.write(message).catch(() => undefined); };
    return { write, writeJson: json => write(JSON.parse(json) as Message) };
}

function transport(argv: string[]): { reader: MessageReader; output: Output } {
    if (argv.includes('--node-ipc')) {
        if (!process.send) {
            throw new Error('--node-ipc: this process was not started with an IPC channel (use --stdio instead).');
        }
        return { reader: new IPCMessageReader(process), output: writerOutput(new IPCMessageWriter(process)) };
    }
    const unknown = argv.filter(arg => arg.startsWith('--') && !['--stdio', '--node-ipc'].includes(arg) && !arg.startsWith('--clientProcessId'));
    if (unknown.length > 0) {
        process.stderr.write(`cajal-language-server: ignoring unknown option(s) ${unknown.join(' ')} (supported: --stdio, --node-ipc)\n`);
    }
    const guarded = process.stdin.pipe(new FramingGuard(framingError));
    return { reader: new StreamMessageReader(guarded), output: stdoutOutput() };
}

function isRequest(message: Message): message is RequestMessage {
    return 'method' in message && 'id' in message && (message as RequestMessage).id !== undefined;
}

function isNotification(message: Message): message is NotificationMessage {
    return 'method' in message && !('id' in message && (message as RequestMessage).id !== undefined);
}

/**
 * Relays LSP messages between the editor and the worker that runs the server, and keeps
 * what it needs to bring a new worker to the same state: the `initialize` parameters and
 * the text of every open document.
 */
export function runSupervisor(options: SupervisorOptions): void {
    const { reader, output } = transport(options.argv);
    let worker: Worker;
    let initializeParams: unknown;
    let exitRequested = false;
    /** Requests from the editor the current worker has not answered yet. */
    const pending = new Map<string | number, string>();
    /** Ids of replayed requests whose answers the editor must not see. */
    const swallowed = new Set<string | number>();
    const openDocuments = new Map<string, TextDocument>();
    /**
     * Open documents the worker is not given, with the diagnostic that says why: too large
     * to check, or open while the thread kept stopping. An edit that resolves it gives the
     * document to the worker again.
     */
    const withheld = new Map<string, { code: string; message: string }>();
    const restarts: number[] = [];
    let shutdownRequested = false;

    const send = (message: Message): void => output.write(message);

    const track = (message: Message): void => {
        if (!isNotification(message) && !isRequest(message)) return;
        const params = message.params;
        switch (message.method) {
            case 'initialize': initializeParams = params; break;
            case 'exit': exitRequested = true; break;
            case 'shutdown': shutdownRequested = true; break;
            case 'textDocument/didOpen': {
                const doc = (params as DidOpenTextDocumentParams).textDocument;
                openDocuments.set(doc.uri, TextDocument.create(doc.uri, doc.languageId, doc.version, doc.text));
                break;
            }
            case 'textDocument/didChange': {
                const change = params as DidChangeTextDocumentParams;
                const current = openDocuments.get(change.textDocument.uri);
                if (current) {
                    openDocuments.set(current.uri, TextDocument.update(current, change.contentChanges, change.textDocument.version ?? current.version + 1));
                }
                break;
            }
            case 'textDocument/didClose': openDocuments.delete((params as DidCloseTextDocumentParams).textDocument.uri); break;
        }
    };

    const start = (replay: boolean): void => {
        worker = options.startWorker();
        worker.stdout?.pipe(process.stderr);
        worker.stderr?.pipe(process.stderr);
        worker.on('message', (message: Message | ThreadMessage) => {
            if (isThreadMessage(message)) {
                if (message.method === 'textDocument/publishDiagnostics' && message.uri !== undefined && withheld.has(message.uri)) return;
                if (message.responseId !== undefined) {
                    pending.delete(message.responseId);
                    if (swallowed.delete(message.responseId)) return;
                }
                output.writeJson(message.json);
                return;
            }
            // The worker's (empty) diagnostics of a withheld document would hide why it is not checked.
            if (isNotification(message) && message.method === 'textDocument/publishDiagnostics' && withheld.has((message.params as { uri: string }).uri)) return;
            if ('id' in message && !('method' in message) && (message as ResponseMessage).id !== null) {
                const id = (message as ResponseMessage).id!;
                pending.delete(id);
                if (swallowed.delete(id)) return;
            }
            send(message);
        });
        worker.on('error', error => {
            process.stderr.write(`cajal-language-server: the server thread failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
        });
        worker.on('exit', code => {
            if (exitRequested) {
                process.exit(code);
            }
            restart(code);
        });
        if (replay && initializeParams !== undefined) {
            const id = `cajal-supervisor-initialize-${Date.now()}`;
            swallowed.add(id);
            worker.postMessage({ jsonrpc: '2.0', id, method: 'initialize', params: initializeParams });
            worker.postMessage({ jsonrpc: '2.0', method: 'initialized', params: {} });
            for (const document of openDocuments.values()) {
                if (withheld.has(document.uri)) continue;
                worker.postMessage({
                    jsonrpc: '2.0', method: 'textDocument/didOpen',
                    params: { textDocument: { uri: document.uri, languageId: document.languageId, version: document.version, text: document.getText() } }
                });
            }
        }
    };

    const restart = (code: number): void => {
        const now = Date.now();
        restarts.push(now);
        while (restarts.length > 0 && restarts[0] < now - RESTART_WINDOW_MS) restarts.shift();
        process.stderr.write(`cajal-language-server: the server thread stopped (exit code ${code}); restarting it.\n`);
        for (const [id, method] of pending) {
            if (!swallowed.delete(id)) {
                send({ jsonrpc: '2.0', id, error: { code: REQUEST_FAILED, message: `The Cajal server thread stopped while answering ${method}; it has been restarted.` } } as ResponseMessage);
            }
        }
        pending.clear();
        if (restarts.length >= MAX_RESTARTS) {
            process.stderr.write(`cajal-language-server: the server thread stopped ${restarts.length} times within ${RESTART_WINDOW_MS / 60_000} minutes; giving up.\n`);
            process.exit(1);
        }
        if (restarts.length >= QUARANTINE_AFTER) {
            // Slow or fast, a crash loop is most likely caused by an open document: stop checking them.
            const message = `The Cajal checker stopped ${restarts.length} times within ${RESTART_WINDOW_MS / 60_000} minutes while this file was open ` +
                `(last exit code ${code}), so it is not checked; edit it to check it again, or restart the server.`;
            process.stderr.write(`cajal-language-server: not checking the ${openDocuments.size} open document(s) any more until they are edited.\n`);
            for (const uri of openDocuments.keys()) withhold(uri, 'server/not-checked', message);
        }
        start(true);
    };

    /** Publishes why a document is not checked; the worker does not see it until released. */
    const withhold = (uri: string, code: string, message: string): void => {
        withheld.set(uri, { code, message });
        send({
            jsonrpc: '2.0', method: 'textDocument/publishDiagnostics',
            params: { uri, diagnostics: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 1, source: 'cajal', code, message }] }
        } as NotificationMessage);
    };

    /**
     * What the worker gets for a didOpen or didChange: nothing for a document above the size
     * cap (it gets a diagnostic instead), the whole text for one that is given back to it.
     */
    const documentMessage = (message: NotificationMessage): Message | undefined => {
        const uri = (message.params as { textDocument: { uri: string } }).textDocument.uri;
        const document = openDocuments.get(uri);
        if (!document) return message;
        const text = document.getText();
        const bytes = text.length * 3 <= MAX_DOCUMENT_BYTES ? text.length : Buffer.byteLength(text);
        const wasWithheld = withheld.has(uri);
        if (bytes > MAX_DOCUMENT_BYTES) {
            withhold(uri, 'server/too-large', `This file is ${megabytes(bytes)}, above the limit of ${megabytes(MAX_DOCUMENT_BYTES)} for checking in the editor, so it is not checked.`);
            // The worker forgets the text it had (its diagnostics for it are held back).
            return wasWithheld || message.method === 'textDocument/didOpen' ? undefined
                : { jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri } } } as NotificationMessage;
        }
        if (!wasWithheld) return message;
        withheld.delete(uri);
        if (message.method === 'textDocument/didOpen') return message;
        return {
            jsonrpc: '2.0', method: 'textDocument/didOpen',
            params: { textDocument: { uri, languageId: document.languageId, version: document.version, text } }
        } as NotificationMessage;
    };

    reader.listen((message: Message) => {
        if (isRequest(message)) {
            // LSP 3.17: initialize may be sent only once; after shutdown, only exit is valid.
            const refusal = message.method === 'initialize' && initializeParams !== undefined ? 'initialize may be sent only once'
                : shutdownRequested ? `the server is shut down (after 'shutdown' only 'exit' is valid), so '${message.method}' is not answered` : undefined;
            if (refusal) {
                send({ jsonrpc: '2.0', id: message.id, error: { code: INVALID_REQUEST, message: `Invalid request: ${refusal}.` } } as ResponseMessage);
                return;
            }
        } else if (isNotification(message) && shutdownRequested && message.method !== 'exit') {
            return;
        }
        track(message);
        if (isRequest(message)) {
            pending.set(message.id!, message.method);
        }
        let forwarded: Message | undefined = message;
        if (isNotification(message)) {
            if (message.method === 'textDocument/didOpen' || message.method === 'textDocument/didChange') forwarded = documentMessage(message);
            else if (message.method === 'textDocument/didClose') withheld.delete((message.params as { textDocument: { uri: string } }).textDocument.uri);
        }
        if (forwarded) worker.postMessage(forwarded);
    });
    reader.onError(error => framingError(error instanceof Error ? error.message : String(error)));
    // The client went away: a clean exit if it had asked for shutdown, else 1 (as for `exit` without `shutdown`).
    reader.onClose(() => process.exit(exitRequested || shutdownRequested ? 0 : 1));
    start(false);
}

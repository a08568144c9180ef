import type { Worker } from 'node:worker_threads';
import {
    IPCMessageReader, IPCMessageWriter, StreamMessageReader,
    type DidChangeTextDocumentParams, type DidCloseTextDocumentParams, type DidOpenTextDocumentParams,
    type Message, type MessageReader, type MessageWriter, type NotificationMessage, type RequestMessage, type ResponseMessage
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { FramingGuard, megabytes } from './framing-guard.js';
import { isThreadMessage, type ThreadMessage } from './thread-messages.js';
import { markStart, startTimelineEnabled } from './start-timeline.js';

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
    new Supervisor(options).run();
}

class Supervisor {
    private readonly reader: MessageReader;
    private readonly output: Output;
    private worker!: Worker;
    private initializeParams: unknown;
    private exitRequested = false;
    private shutdownRequested = false;
    /** Requests from the editor the current worker has not answered yet. */
    private readonly pending = new Map<string | number, string>();
    /** Ids of replayed requests whose answers the editor must not see. */
    private readonly swallowed = new Set<string | number>();
    private readonly openDocuments = new Map<string, TextDocument>();
    /**
     * Open documents the worker is not given, with the diagnostic that says why: too large
     * to check, or open while the thread kept stopping. An edit that resolves it gives the
     * document to the worker again.
     */
    private readonly withheld = new Map<string, { code: string; message: string }>();
    /** When the worker stopped, within the restart window. */
    private readonly restarts: number[] = [];

    constructor(private readonly options: SupervisorOptions) {
        ({ reader: this.reader, output: this.output } = transport(options.argv));
    }

    run(): void {
        markStart('listening');
        this.reader.listen(message => this.fromEditor(message));
        this.reader.onError(error => framingError(error instanceof Error ? error.message : String(error)));
        // The client went away: a clean exit if it had asked for shutdown, else 1 (as for `exit` without `shutdown`).
        this.reader.onClose(() => process.exit(this.exitRequested || this.shutdownRequested ? 0 : 1));
        this.start(false);
    }

    private send(message: Message): void {
        this.output.write(message);
    }

    /** A message from the editor: refused, dropped, or recorded and passed to the worker. */
    private fromEditor(message: Message): void {
        if (startTimelineEnabled && 'method' in message) markStart(`received ${(message as NotificationMessage).method}`);
        if (isRequest(message)) {
            // LSP 3.17: initialize may be sent only once; after shutdown, only exit is valid.
            const refusal = message.method === 'initialize' && this.initializeParams !== undefined ? 'initialize may be sent only once'
                : this.shutdownRequested ? `the server is shut down (after 'shutdown' only 'exit' is valid), so '${message.method}' is not answered` : undefined;
            if (refusal) {
                this.send({ jsonrpc: '2.0', id: message.id, error: { code: INVALID_REQUEST, message: `Invalid request: ${refusal}.` } } as ResponseMessage);
                return;
            }
        } else if (isNotification(message) && this.shutdownRequested && message.method !== 'exit') {
            return;
        }
        this.track(message);
        if (isRequest(message)) {
            this.pending.set(message.id!, message.method);
        }
        let forwarded: Message | undefined = message;
        if (isNotification(message)) {
            if (message.method === 'textDocument/didOpen' || message.method === 'textDocument/didChange') forwarded = this.documentMessage(message);
            else if (message.method === 'textDocument/didClose') this.withheld.delete((message.params as { textDocument: { uri: string } }).textDocument.uri);
        }
        if (forwarded) this.worker.postMessage(forwarded);
    }

    /** Records what a new worker must be brought to: the initialize parameters, the open documents' text. */
    private track(message: Message): void {
        if (!isNotification(message) && !isRequest(message)) return;
        const params = message.params;
        switch (message.method) {
            case 'initialize': this.initializeParams = params; break;
            case 'exit': this.exitRequested = true; break;
            case 'shutdown': this.shutdownRequested = true; break;
            case 'textDocument/didOpen': {
                const doc = (params as DidOpenTextDocumentParams).textDocument;
                this.openDocuments.set(doc.uri, TextDocument.create(doc.uri, doc.languageId, doc.version, doc.text));
                break;
            }
            case 'textDocument/didChange': {
                const change = params as DidChangeTextDocumentParams;
                const current = this.openDocuments.get(change.textDocument.uri);
                if (current) {
                    this.openDocuments.set(current.uri, TextDocument.update(current, change.contentChanges, change.textDocument.version ?? current.version + 1));
                }
                break;
            }
            case 'textDocument/didClose': this.openDocuments.delete((params as DidCloseTextDocumentParams).textDocument.uri); break;
        }
    }

    /** Starts a worker; a replacement (`replay`) is initialized again and given the open documents. */
    private start(replay: boolean): void {
        const worker = this.options.startWorker();
        this.worker = worker;
        worker.stdout?.pipe(process.stderr);
        worker.stderr?.pipe(process.stderr);
        worker.on('message', (message: Message | ThreadMessage) => this.fromWorker(message));
        worker.on('error', error => {
            process.stderr.write(`cajal-language-server: the server thread failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
        });
        worker.on('exit', code => {
            if (this.exitRequested) {
                process.exit(code);
            }
            this.restart(code);
        });
        if (replay && this.initializeParams !== undefined) this.replay(worker);
    }

    /** A message from the worker, passed on unless the editor must not see it. */
    private fromWorker(message: Message | ThreadMessage): void {
        if (isThreadMessage(message)) {
            if (startTimelineEnabled) markStart(message.method !== undefined ? `sent ${message.method}` : 'sent a response');
            if (message.method === 'textDocument/publishDiagnostics' && message.uri !== undefined && this.withheld.has(message.uri)) return;
            if (message.responseId !== undefined) {
                this.pending.delete(message.responseId);
                if (this.swallowed.delete(message.responseId)) return;
            }
            this.output.writeJson(message.json);
            return;
        }
        // The worker's (empty) diagnostics of a withheld document would hide why it is not checked.
        if (isNotification(message) && message.method === 'textDocument/publishDiagnostics' && this.withheld.has((message.params as { uri: string }).uri)) return;
        if ('id' in message && !('method' in message) && (message as ResponseMessage).id !== null) {
            const id = (message as ResponseMessage).id!;
            this.pending.delete(id);
            if (this.swallowed.delete(id)) return;
        }
        this.send(message);
    }

    /** Brings a new worker to the editor's state: initialized, with the open documents it may check. */
    private replay(worker: Worker): void {
        const id = `cajal-supervisor-initialize-${Date.now()}`;
        this.swallowed.add(id);
        worker.postMessage({ jsonrpc: '2.0', id, method: 'initialize', params: this.initializeParams });
        worker.postMessage({ jsonrpc: '2.0', method: 'initialized', params: {} });
        for (const document of this.openDocuments.values()) {
            if (this.withheld.has(document.uri)) continue;
            worker.postMessage({
                jsonrpc: '2.0', method: 'textDocument/didOpen',
                params: { textDocument: { uri: document.uri, languageId: document.languageId, version: document.version, text: document.getText() } }
            });
        }
    }

    /** After a worker stopped: its open requests fail, and a new one starts unless the thread keeps stopping. */
    private restart(code: number): void {
        const now = Date.now();
        const restarts = this.restarts;
        restarts.push(now);
        while (restarts.length > 0 && restarts[0] < now - RESTART_WINDOW_MS) restarts.shift();
        process.stderr.write(`cajal-language-server: the server thread stopped (exit code ${code}); restarting it.\n`);
        for (const [id, method] of this.pending) {
            if (!this.swallowed.delete(id)) {
                this.send({ jsonrpc: '2.0', id, error: { code: REQUEST_FAILED, message: `The Cajal server thread stopped while answering ${method}; it has been restarted.` } } as ResponseMessage);
            }
        }
        this.pending.clear();
        if (restarts.length >= MAX_RESTARTS) {
            process.stderr.write(`cajal-language-server: the server thread stopped ${restarts.length} times within ${RESTART_WINDOW_MS / 60_000} minutes; giving up.\n`);
            process.exit(1);
        }
        if (restarts.length >= QUARANTINE_AFTER) {
            // Slow or fast, a crash loop is most likely caused by an open document: stop checking them.
            const message = `The Cajal checker stopped ${restarts.length} times within ${RESTART_WINDOW_MS / 60_000} minutes while this file was open ` +
                `(last exit code ${code}), so it is not checked; edit it to check it again, or restart the server.`;
            process.stderr.write(`cajal-language-server: not checking the ${this.openDocuments.size} open document(s) any more until they are edited.\n`);
            for (const uri of this.openDocuments.keys()) this.withhold(uri, 'server/not-checked', message);
        }
        this.start(true);
    }

    /** Publishes why a document is not checked; the worker does not see it until released. */
    private withhold(uri: string, code: string, message: string): void {
        this.withheld.set(uri, { code, message });
        this.send({
            jsonrpc: '2.0', method: 'textDocument/publishDiagnostics',
            params: { uri, diagnostics: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 1, source: 'cajal', code, message }] }
        } as NotificationMessage);
    }

    /**
     * What the worker gets for a didOpen or didChange: nothing for a document above the size
     * cap (it gets a diagnostic instead), the whole text for one that is given back to it.
     */
    private documentMessage(message: NotificationMessage): Message | undefined {
        const uri = (message.params as { textDocument: { uri: string } }).textDocument.uri;
        const document = this.openDocuments.get(uri);
        if (!document) return message;
        const text = document.getText();
        const bytes = text.length * 3 <= MAX_DOCUMENT_BYTES ? text.length : Buffer.byteLength(text);
        const wasWithheld = this.withheld.has(uri);
        if (bytes > MAX_DOCUMENT_BYTES) {
            this.withhold(uri, 'server/too-large', `This file is ${megabytes(bytes)}, above the limit of ${megabytes(MAX_DOCUMENT_BYTES)} for checking in the editor, so it is not checked.`);
            // The worker forgets the text it had (its diagnostics for it are held back).
            return wasWithheld || message.method === 'textDocument/didOpen' ? undefined
                : { jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri } } } as NotificationMessage;
        }
        if (!wasWithheld) return message;
        this.withheld.delete(uri);
        if (message.method === 'textDocument/didOpen') return message;
        return {
            jsonrpc: '2.0', method: 'textDocument/didOpen',
            params: { textDocument: { uri, languageId: document.languageId, version: document.version, text } }
        } as NotificationMessage;
    }
}

import type { Worker } from 'node:worker_threads';
import {
    IPCMessageReader, IPCMessageWriter, StreamMessageReader, StreamMessageWriter,
    type DidChangeTextDocumentParams, type DidCloseTextDocumentParams, type DidOpenTextDocumentParams,
    type Message, type MessageReader, type MessageWriter, type NotificationMessage, type RequestMessage, type ResponseMessage
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

export interface SupervisorOptions {
    argv: string[];
    startWorker: () => Worker;
}

/** LSP error code for a request the server could not finish (LSP 3.17 `RequestFailed`). */
const REQUEST_FAILED = -32803;
/** Restarts allowed within {@link RESTART_WINDOW_MS} before the supervisor gives up. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

function transport(argv: string[]): { reader: MessageReader; writer: MessageWriter } {
    if (argv.includes('--node-ipc')) {
        if (!process.send) {
            throw new Error('--node-ipc: this process was not started with an IPC channel (use --stdio instead).');
        }
        return { reader: new IPCMessageReader(process), writer: new IPCMessageWriter(process) };
    }
    const unknown = argv.filter(arg => arg.startsWith('--') && !['--stdio', '--node-ipc'].includes(arg) && !arg.startsWith('--clientProcessId'));
    if (unknown.length > 0) {
        process.stderr.write(`cajal-language-server: ignoring unknown option(s) ${unknown.join(' ')} (supported: --stdio, --node-ipc)\n`);
    }
    return { reader: new StreamMessageReader(process.stdin), writer: new StreamMessageWriter(process.stdout) };
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
    const { reader, writer } = transport(options.argv);
    let worker: Worker;
    let initializeParams: unknown;
    let exitRequested = false;
    /** Requests from the editor the current worker has not answered yet. */
    const pending = new Map<string | number, string>();
    /** Ids of replayed requests whose answers the editor must not see. */
    const swallowed = new Set<string | number>();
    const openDocuments = new Map<string, TextDocument>();
    const restarts: number[] = [];

    const send = (message: Message): void => {
        void writer.write(message).catch(() => undefined);
    };

    const track = (message: Message): void => {
        if (!isNotification(message) && !isRequest(message)) return;
        const params = message.params;
        switch (message.method) {
            case 'initialize': initializeParams = params; break;
            case 'exit': exitRequested = true; break;
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
        worker.on('message', (message: Message) => {
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
        if (restarts.length > MAX_RESTARTS) {
            process.stderr.write(`cajal-language-server: the server thread stopped ${restarts.length} times within a minute; giving up.\n`);
            process.exit(1);
        }
        start(true);
    };

    reader.listen((message: Message) => {
        track(message);
        if (isRequest(message)) {
            pending.set(message.id!, message.method);
        }
        worker.postMessage(message);
    });
    reader.onClose(() => process.exit(exitRequested ? 0 : 1));
    start(false);
}

import type { MessagePort } from 'node:worker_threads';
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-languageserver/node';

/**
 * A message from the server thread to the supervisor (main.ts): the LSP message as its JSON
 * text, with what the supervisor needs to know about it. A message posted as an object is
 * copied by structured clone, which for a big answer cost more than making it: the semantic
 * tokens of a 20,000-line file (an array of 400,000 numbers) took ~230 ms to clone and
 * ~60 ms to write as JSON, and the supervisor then wrote it as JSON again. As text it is
 * made once, and the supervisor sends it to the editor as it is.
 */
export interface ThreadMessage {
    readonly json: string;
    /** The id of a response (not of a request from the server to the editor). */
    readonly responseId?: number | string;
    readonly method?: string;
    /** The document of a `textDocument/publishDiagnostics`. */
    readonly uri?: string;
}

export function isThreadMessage(value: unknown): value is ThreadMessage {
    return typeof value === 'object' && value !== null && typeof (value as ThreadMessage).json === 'string';
}

/** The server thread's writer: each message posted as a {@link ThreadMessage}. */
export class ThreadMessageWriter extends AbstractMessageWriter implements MessageWriter {
    private errorCount = 0;

    constructor(private readonly port: MessagePort) {
        super();
        port.on('close', () => this.fireClose());
        port.on('error', error => this.fireError(error));
    }

    write(message: Message): Promise<void> {
        try {
            const fields = message as { id?: number | string | null; method?: string; params?: { uri?: string } };
            const method = fields.method;
            this.port.postMessage({
                json: JSON.stringify(message),
                responseId: method === undefined && fields.id !== null ? fields.id : undefined,
                method,
                uri: method === 'textDocument/publishDiagnostics' ? fields.params?.uri : undefined
            } satisfies ThreadMessage);
            return Promise.resolve();
        } catch (error) {
            this.fireError(error, message, ++this.errorCount);
            return Promise.reject(error);
        }
    }

    end(): void { }
}

/**
 * The LSP base protocol's framing of the editor's stream, checked before vscode-jsonrpc reads
 * it (the supervisor's transport pipes stdin through it).
 */
import { Transform, type TransformCallback } from 'node:stream';

/** A message above this, or a header above MAX_HEADER_BYTES, is a framing error. */
const MAX_MESSAGE_BYTES = 256_000_000;
const MAX_HEADER_BYTES = 8_192;

/** `8 MB` */
export function megabytes(bytes: number): string {
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

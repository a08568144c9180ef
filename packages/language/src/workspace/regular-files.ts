/**
 * Reading files a user or a hostile workspace names: only regular files, and only up to a
 * size cap. A directory, a FIFO (which would block the reader forever), a device such as
 * /dev/zero (which never ends) or a socket is refused with a reason, as is a file above the
 * cap; the CLI, the checker's imports and the trainer's data files all read through here.
 */
import * as fs from 'node:fs';
import { formatBytes } from '../typing/tensor-sizes.js';

/**
 * Source files above this are refused (docs/cli.md): 8 MB, some 200,000 lines. The language
 * server's supervisor has the same cap for open documents (MAX_DOCUMENT_BYTES).
 */
export const MAX_SOURCE_BYTES = 8_000_000;

/** Why a file cannot be read, phrased to follow its name: "'m.cajal' is a directory". */
export class UnreadableFileError extends Error {
    constructor(readonly reason: string) {
        super(reason);
        this.name = 'UnreadableFileError';
    }
}

/** What a file that is not regular is, for messages. */
function kindOf(stat: fs.Stats): string {
    if (stat.isDirectory()) return 'is a directory';
    if (stat.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
    if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'is a device, not a regular file';
    if (stat.isSocket()) return 'is a socket, not a regular file';
    return 'is not a regular file';
}

function reasonOf(error: unknown): string {
    const code = (error as NodeJS.ErrnoException)?.code;
    switch (code) {
        case 'ENOENT': return 'does not exist';
        case 'EACCES': case 'EPERM': return 'cannot be read: permission denied';
        case 'EISDIR': return 'is a directory';
        case 'ELOOP': return 'is a symbolic link that loops';
        default: return `cannot be read: ${(error as Error)?.message ?? String(error)}`;
    }
}

/**
 * Checks that `file` is a regular file of at most `maxBytes` without reading it; throws
 * UnreadableFileError otherwise. Follows symbolic links (a link to /dev/zero is a device).
 */
export function checkRegularFile(file: string, maxBytes: number): fs.Stats {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch (error) {
        throw new UnreadableFileError(reasonOf(error));
    }
    return checkStat(stat, maxBytes);
}

function checkStat(stat: fs.Stats, maxBytes: number): fs.Stats {
    if (!stat.isFile()) throw new UnreadableFileError(kindOf(stat));
    if (stat.size > maxBytes) throw new UnreadableFileError(`is ${formatBytes(stat.size)}, above the limit of ${formatBytes(maxBytes)}`);
    return stat;
}

/**
 * The bytes of a regular file of at most `maxBytes`. Opened without blocking (a FIFO
 * swapped in after a check must not hang the reader) and checked on the open descriptor,
 * so what is read is what was checked.
 */
export function readRegularFile(file: string, maxBytes: number): Buffer {
    let fd: number;
    try {
        fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (error) {
        throw new UnreadableFileError(reasonOf(error));
    }
    try {
        const stat = checkStat(fs.fstatSync(fd), maxBytes);
        const buffer = Buffer.alloc(stat.size);
        let read = 0;
        while (read < stat.size) {
            const count = fs.readSync(fd, buffer, read, stat.size - read, read);
            if (count === 0) break; // the file shrank while being read
            read += count;
        }
        return buffer.subarray(0, read);
    } catch (error) {
        if (error instanceof UnreadableFileError) throw error;
        throw new UnreadableFileError(reasonOf(error));
    } finally {
        fs.closeSync(fd);
    }
}

/** A regular text file (UTF-8) of at most `maxBytes`. */
export function readRegularTextFile(file: string, maxBytes = MAX_SOURCE_BYTES): string {
    return readRegularFile(file, maxBytes).toString('utf-8');
}

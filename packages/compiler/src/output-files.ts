/**
 * Writing the files the tools produce (generated modules, weights, saved networks).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writes a file atomically and durably: into a temporary file beside it (creating the folder
 * when needed), flushed to disk, then renamed over the target. Readers never see half a file,
 * and a crash leaves the old file or the new one, never an empty one.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const fd = fs.openSync(temporary, 'w');
    try {
        if (typeof data === 'string') fs.writeSync(fd, data); else fs.writeSync(fd, data);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
}

/**
 * Writing the files the tools produce (generated modules, weights, saved networks, training
 * history, formatted sources). Every such write goes through `writeFileAtomic`, so that a
 * full disk, a folder without write permission or a read-only file system is one clear
 * line and never a half-written file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The file-system calls writeFileAtomic makes (tests replace them to inject ENOSPC and the like). */
export interface AtomicWriteFileSystem {
    mkdirSync(directory: string, options: { recursive: true }): unknown;
    openSync(file: string, flags: string): number;
    writeSync(fd: number, data: Uint8Array): number;
    fsyncSync(fd: number): void;
    closeSync(fd: number): void;
    renameSync(from: string, to: string): void;
    rmSync(file: string, options: { force: true }): void;
}

/** A write that failed for a reason the user can act on (ENOSPC, EACCES, EROFS, …): one line, no stack. */
export class OutputWriteError extends Error {
    constructor(message: string, readonly code: string | undefined) {
        super(message);
        this.name = 'OutputWriteError';
    }
}

/** The file-system error codes that are the user's situation, not a bug, in words. */
const PROBLEMS: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'read-only file system',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EISDIR: 'it is a folder',
    EEXIST: 'a part of the path is a file, not a folder',
    ENAMETOOLONG: 'the name is too long',
    EMFILE: 'too many open files',
    EIO: 'input/output error'
};

/** `error`'s reason in words when it is one of the user-actionable file-system errors, else undefined. */
export function writeProblem(error: unknown): string | undefined {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    return code !== undefined ? PROBLEMS[code] : undefined;
}

export interface AtomicWriteOptions {
    /** How a failure names the write: "cannot write ${what}: …" (default: the file). */
    readonly what?: string;
    /** Default node:fs. */
    readonly fileSystem?: AtomicWriteFileSystem;
}

/** The temporary files writeFileAtomic writes: `NAME.PID.RANDOM.tmp` beside the target. */
export const TEMPORARY_FILE = /^(.+)\.(\d+)\.([0-9a-z]+)\.tmp$/;

/**
 * Writes a file atomically and durably: into a temporary file beside it (creating the folder
 * when needed), flushed to disk, then renamed over the target. Readers never see half a file,
 * and a crash leaves the old file or the new one, never an empty one. A failure removes the
 * temporary file and throws OutputWriteError ("cannot write FILE: no space left on device")
 * for the file-system errors a user can act on; others propagate unchanged.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
    const io = options.fileSystem ?? fs;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf-8') : data;
    const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 10) || '0'}.tmp`;
    let created = false;
    try {
        io.mkdirSync(path.dirname(file), { recursive: true });
        const fd = io.openSync(temporary, 'w');
        created = true;
        try {
            for (let offset = 0; offset < bytes.byteLength;) offset += io.writeSync(fd, bytes.subarray(offset));
            io.fsyncSync(fd);
        } finally {
            io.closeSync(fd);
        }
        io.renameSync(temporary, file);
        created = false;
    } catch (error) {
        if (created) {
            try { io.rmSync(temporary, { force: true }); } catch { /* the original error is the one to report */ }
        }
        const problem = writeProblem(error);
        if (problem) throw new OutputWriteError(`cannot write ${options.what ?? file}: ${problem}`, (error as NodeJS.ErrnoException).code);
        throw error;
    }
}

function processAlive(pid: number): boolean {
    if (pid === process.pid) return true;
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
}

/**
 * Removes the temporaries writeFileAtomic (or the PyTorch engine's equivalent) left in
 * `directory` when a process was killed mid-write: files `NAME.PID.RANDOM.tmp` whose NAME is
 * one of `names` (the files the caller writes there) and whose process is gone. Returns the
 * names removed.
 */
export function removeStaleTemporaries(directory: string, names: readonly string[]): string[] {
    const removed: string[] = [];
    let entries: string[];
    try {
        entries = fs.readdirSync(directory);
    } catch {
        return removed;
    }
    for (const entry of entries) {
        const match = TEMPORARY_FILE.exec(entry);
        if (!match || !names.includes(match[1]) || processAlive(Number(match[2]))) continue;
        fs.rmSync(path.join(directory, entry), { force: true });
        removed.push(entry);
    }
    return removed;
}

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputWriteError, removeStaleTemporaries, writeFileAtomic, type AtomicWriteFileSystem } from '@cajal/compiler';

function temporaryDirectory(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-output-'));
}

function failure(code: string): NodeJS.ErrnoException {
    return Object.assign(new Error(`${code}: injected`), { code });
}

/**
 * node:fs with one call failing as the kernel would: ENOSPC from write (a disk that fills up
 * mid-file), EACCES or EROFS from open. Used where a test cannot make the real condition
 * (EROFS needs a read-only mount; the process tests make ENOSPC on a small tmpfs when root).
 */
function failing(call: 'openSync' | 'writeSync' | 'renameSync', code: string): AtomicWriteFileSystem {
    return {
        mkdirSync: (d, o) => fs.mkdirSync(d, o),
        openSync: (f, flags) => { if (call === 'openSync') throw failure(code); return fs.openSync(f, flags); },
        writeSync: (fd, data) => {
            if (call === 'writeSync') {
                fs.writeSync(fd, data.subarray(0, 3)); // part of it reached the disk
                throw failure(code);
            }
            return fs.writeSync(fd, data);
        },
        fsyncSync: fd => fs.fsyncSync(fd),
        closeSync: fd => fs.closeSync(fd),
        renameSync: (a, b) => { if (call === 'renameSync') throw failure(code); fs.renameSync(a, b); },
        rmSync: (f, o) => fs.rmSync(f, o)
    };
}

describe('writeFileAtomic: one clear line, nothing partial', () => {
    it.each([
        ['writeSync', 'ENOSPC', 'no space left on device'],
        ['openSync', 'EACCES', 'permission denied'],
        ['openSync', 'EROFS', 'read-only file system'],
        ['renameSync', 'EDQUOT', 'disk quota exceeded']
    ] as const)('%s failing with %s is "cannot write …: %s", and the old file stays whole', (call, code, words) => {
        const directory = temporaryDirectory();
        const file = path.join(directory, 'weights.json');
        fs.writeFileSync(file, 'previous\n');
        let thrown: unknown;
        try {
            writeFileAtomic(file, 'the new content\n', { what: `weights to ${directory}`, fileSystem: failing(call, code) });
        } catch (error) {
            thrown = error;
        }
        expect(thrown).toBeInstanceOf(OutputWriteError);
        expect((thrown as Error).message).toBe(`cannot write weights to ${directory}: ${words}`);
        expect((thrown as OutputWriteError).code).toBe(code);
        expect(fs.readFileSync(file, 'utf-8')).toBe('previous\n');
        expect(fs.readdirSync(directory)).toEqual(['weights.json']);
    });

    it('names the file when no description is given, and lets errors that are bugs through unchanged', () => {
        const directory = temporaryDirectory();
        const file = path.join(directory, 'out.js');
        expect(() => writeFileAtomic(file, 'x', { fileSystem: failing('openSync', 'ENOSPC') })).toThrow(`cannot write ${file}: no space left on device`);
        expect(() => writeFileAtomic(file, 'x', { fileSystem: failing('writeSync', 'EBADF') })).toThrow('EBADF: injected');
        expect(fs.readdirSync(directory)).toEqual([]);
    });

    it('writes large data completely (writeSync may write less than asked)', () => {
        const directory = temporaryDirectory();
        const file = path.join(directory, 'big.bin');
        const data = new Uint8Array(3_000_000).map((_, i) => i % 251);
        let calls = 0;
        const short: AtomicWriteFileSystem = { ...failing('renameSync', 'none'), renameSync: fs.renameSync, writeSync: (fd, d) => { calls++; return fs.writeSync(fd, d.subarray(0, 1_000_000)); } };
        writeFileAtomic(file, data, { fileSystem: short });
        expect(calls).toBe(3);
        expect(Buffer.compare(fs.readFileSync(file), Buffer.from(data))).toBe(0);
    });

    it('removeStaleTemporaries removes only its own names of processes that are gone', () => {
        const directory = temporaryDirectory();
        const dead = 2 ** 22 + 12345; // above Linux's pid_max default range: no such process
        const stale = `weights.json.${dead}.abc123.tmp`;
        const live = `weights.json.${process.pid}.def456.tmp`;
        const foreign = `notes.txt.${dead}.abc.tmp`;
        for (const name of [stale, live, foreign, 'mine.tmp']) fs.writeFileSync(path.join(directory, name), 'x');
        expect(removeStaleTemporaries(directory, ['weights.json'])).toEqual([stale]);
        expect(fs.readdirSync(directory).sort()).toEqual([foreign, live, 'mine.tmp'].sort());
    });
});

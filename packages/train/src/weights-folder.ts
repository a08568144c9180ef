/**
 * A weights folder (`cajal train --out DIR`) as the tool's own: what it may remove, who
 * writes it now, and whether it can be written at all — all decided before training starts.
 *
 * - Ownership: the folder holds `.cajal-weights.json`, the tool's record of the snapshots it
 *   wrote there. Only the snapshots named in it (and the tool's own temporaries) are ever
 *   removed. A folder that exists, holds other files and has no record is refused; files a
 *   user adds later to an owned folder are left alone. A folder written before the record
 *   existed (nothing but the tool's own names in it) is adopted.
 * - One writer: `.cajal-train.lock` holds the pid of the run writing the folder; a second run
 *   refuses at once, naming it. A lock whose process is gone (kill -9) is taken over.
 * - Writability: taking the lock creates a file, so a folder that cannot be written is
 *   reported ("cannot write weights to DIR: permission denied") before any training.
 *
 * The PyTorch engine (python/cajal_torch.py) keeps the same record when it saves.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeStaleTemporaries, writeFileAtomic, writeProblem } from '@cajal/compiler';

export const MANIFEST = 'weights.json';
/** The tool's record of the snapshots it wrote into a weights folder. */
export const FOLDER_RECORD = '.cajal-weights.json';
export const FOLDER_RECORD_FORMAT = 'cajal-weights-folder/1';
export const LOCK = '.cajal-train.lock';
/** The files the tool writes directly in a weights folder (besides snapshots and the lock). */
export const OWN_FILES: readonly string[] = [MANIFEST, 'history.json', 'history.csv', 'history.svg', FOLDER_RECORD];
/** The snapshot folders the tool names: `snapshot-EPOCH-ID`. */
export const SNAPSHOT_NAME = /^snapshot-\d+-[0-9a-z]+$/;

/** A weights folder that cannot be used: one line for the user, no stack. */
export class WeightsFolderError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'WeightsFolderError';
    }
}

interface FolderRecord {
    readonly format: string;
    /** Snapshots this tool wrote here and has not removed yet. */
    readonly snapshots: string[];
}

/** The folder's record, or undefined when it has none (a record that is not the tool's is treated as none). */
export function readFolderRecord(directory: string): FolderRecord | undefined {
    let text: string;
    try {
        text = fs.readFileSync(path.join(directory, FOLDER_RECORD), 'utf-8');
    } catch {
        return undefined;
    }
    try {
        const record = JSON.parse(text) as Partial<FolderRecord>;
        if (record.format !== FOLDER_RECORD_FORMAT || !Array.isArray(record.snapshots)) return undefined;
        // Only names the tool gives: a record edited to name '../x' removes nothing outside.
        return { format: FOLDER_RECORD_FORMAT, snapshots: record.snapshots.filter(s => typeof s === 'string' && SNAPSHOT_NAME.test(s)) };
    } catch {
        return undefined;
    }
}

export function writeFolderRecord(directory: string, snapshots: readonly string[], what: string): void {
    writeFileAtomic(path.join(directory, FOLDER_RECORD), JSON.stringify({ format: FOLDER_RECORD_FORMAT, snapshots }) + '\n', { what });
}

/** How weights writes name the folder in messages. */
export function weightsWhat(directory: string): string {
    return `weights to ${directory}`;
}

/**
 * Removes the snapshots the record names except `keep` (the one weights.json names), then
 * records only `keep`. A snapshot in the folder that the record does not name is never touched.
 */
export function removeOldSnapshots(directory: string, keep: string | undefined): void {
    const record = readFolderRecord(directory);
    if (!record) return;
    for (const snapshot of record.snapshots) {
        if (snapshot !== keep) fs.rmSync(path.join(directory, snapshot), { recursive: true, force: true });
    }
    writeFolderRecord(directory, keep ? [keep] : [], weightsWhat(directory));
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
}

function cannotWrite(directory: string, error: unknown): never {
    const problem = writeProblem(error);
    if (problem) throw new WeightsFolderError(`cannot write weights to ${directory}: ${problem}.`);
    throw error;
}

/** Takes the folder's lock, or throws naming the live holder; takes over a lock whose process is gone. */
function takeLock(directory: string): string {
    const lock = path.join(directory, LOCK);
    for (let attempt = 0; attempt < 3; attempt++) {
        try {
            const fd = fs.openSync(lock, 'wx');
            try {
                fs.writeSync(fd, `${process.pid}\n`);
                fs.fsyncSync(fd);
            } finally {
                fs.closeSync(fd);
            }
            return lock;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
                try { fs.rmSync(lock, { force: true }); } catch { /* nothing was created */ }
                cannotWrite(directory, error);
            }
        }
        let held: string;
        try {
            held = fs.readFileSync(lock, 'utf-8');
        } catch {
            continue; // released meanwhile
        }
        const pid = Number.parseInt(held, 10);
        if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
            throw new WeightsFolderError(`${directory} is being written by another cajal train (pid ${pid}); wait for it to finish, or choose another folder with --out.`);
        }
        if (held === '' && attempt === 0) {
            // A lock being created this instant (its pid not yet written): look again.
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
            continue;
        }
        // Stale (its process is gone): move it aside under a name of our own, so that of two
        // runs taking it over at once only one succeeds, and check it is the one we read.
        const aside = `${lock}.${process.pid}.stale`;
        try {
            fs.renameSync(lock, aside);
        } catch {
            continue;
        }
        const moved = fs.readFileSync(aside, 'utf-8');
        if (moved !== held) {
            // Another run took the stale lock over first and this is its fresh lock: put it back.
            try { fs.linkSync(aside, lock); } catch { /* it has been replaced again */ }
        }
        fs.rmSync(aside, { force: true });
    }
    throw new WeightsFolderError(`${directory} is being written by another cajal train (its lock ${LOCK} keeps changing); wait for it to finish, or choose another folder with --out.`);
}

/** Whether every entry of a folder without a record is a name this tool writes (a folder of an older version). */
function onlyOwnEntries(directory: string, entries: readonly string[]): boolean {
    return entries.every(entry => {
        if (OWN_FILES.includes(entry) || entry === LOCK) return true;
        if (SNAPSHOT_NAME.test(entry)) return fs.statSync(path.join(directory, entry)).isDirectory();
        return false;
    }) && entries.includes(MANIFEST);
}

export interface WeightsFolderLease {
    readonly directory: string;
    /** Removes the lock (idempotent). */
    release(): void;
}

/**
 * Makes `directory` ready for a training run: creates it, takes its lock, checks it is the
 * tool's (see the module comment), removes stale temporaries and snapshots left by a killed
 * run. Throws WeightsFolderError with one clear line when the folder cannot be used.
 */
export function openWeightsFolder(directory: string): WeightsFolderLease {
    let stat: fs.Stats | undefined;
    try {
        stat = fs.statSync(directory);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') cannotWrite(directory, error);
    }
    if (stat && !stat.isDirectory()) throw new WeightsFolderError(`cannot write weights to ${directory}: it is a file, not a folder.`);
    try {
        fs.mkdirSync(directory, { recursive: true });
    } catch (error) {
        cannotWrite(directory, error);
    }
    const lock = takeLock(directory);
    let released = false;
    const release = () => {
        if (released) return;
        released = true;
        // Only our own lock: never one another run took over.
        try {
            if (fs.readFileSync(lock, 'utf-8') === `${process.pid}\n`) fs.rmSync(lock, { force: true });
        } catch { /* already gone */ }
    };
    try {
        removeStaleTemporaries(directory, OWN_FILES);
        if (!readFolderRecord(directory)) {
            const entries = fs.readdirSync(directory).filter(entry => entry !== LOCK);
            if (entries.length > 0 && !onlyOwnEntries(directory, entries)) {
                const foreign = entries.filter(entry => !OWN_FILES.includes(entry) && !SNAPSHOT_NAME.test(entry));
                const shown = (foreign.length > 0 ? foreign : entries).slice(0, 3).map(entry => `'${entry}'`).join(', ');
                throw new WeightsFolderError(`${directory} already holds files cajal train did not write (${shown}${entries.length > 3 ? ', …' : ''}); `
                    + 'nothing was changed. Choose a new or empty folder with --out.');
            }
            writeFolderRecord(directory, entries.filter(entry => SNAPSHOT_NAME.test(entry)), weightsWhat(directory));
        }
        // Snapshots a killed run wrote but never published.
        removeOldSnapshots(directory, currentSnapshot(directory));
    } catch (error) {
        release();
        throw error;
    }
    return { directory, release };
}

/** The snapshot weights.json names, if it names one the tool could have written. */
function currentSnapshot(directory: string): string | undefined {
    try {
        const manifest = JSON.parse(fs.readFileSync(path.join(directory, MANIFEST), 'utf-8')) as { snapshot?: unknown };
        return typeof manifest.snapshot === 'string' && SNAPSHOT_NAME.test(manifest.snapshot) ? manifest.snapshot : undefined;
    } catch {
        return undefined;
    }
}

/**
 * The files a train block's `data "…"` option reads, as the trainer reads them
 * (packages/train/src/data.ts): the path resolved against the directory of the file that
 * declares the block (`../x.csv` and absolute paths allowed), `{field}` in a `.npy` path
 * naming one file per field of the first group. The editor shows them before a run (hover,
 * document links) and the checker reports the ones that cannot be read (`data/unreadable`)
 * or lie outside the workspace folders (`data/outside-workspace`, editors only: the CLI has
 * no workspace), so `cajal check` and the editor agree with what `cajal train` will do.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LangiumDocument } from 'langium';
import * as ast from '../generated/ast.js';
import { UnreadableFileError, checkRegularFile } from '../workspace/regular-files.js';

/**
 * Text data files above this are refused: text beyond it is more than a JavaScript string
 * holds. A `.npy` array is read as bytes, up to twice as much (`MAX_NPY_DATA_BYTES`).
 */
export const MAX_TEXT_DATA_BYTES = 512 * 1024 * 1024;
export const MAX_NPY_DATA_BYTES = 2 * MAX_TEXT_DATA_BYTES;

/** The placeholder of a `.npy` path for the field's name: `"points_{field}.npy"`. */
export const FIELD_PLACEHOLDER = '{field}';

/** One file a data option reads. */
export interface DataFile {
    /** The path as written, with `{field}` replaced (what messages show). */
    readonly shown: string;
    /** The absolute path read. */
    readonly path: string;
    /** The field this file holds (a `.npy` path with `{field}`), else undefined. */
    readonly field?: string;
}

/** A data file and what reading it would find: its size, or why it cannot be read. */
export interface DataFileStatus extends DataFile {
    readonly bytes?: number;
    /** `does not exist`, `is a directory`, `is a FIFO (named pipe), not a regular file`, `is 2 GB, above the limit of …`. */
    readonly problem?: string;
}

/** The size cap of a data file, by its kind. */
export function maxDataFileBytes(file: string): number {
    return file.toLowerCase().endsWith('.npy') ? MAX_NPY_DATA_BYTES : MAX_TEXT_DATA_BYTES;
}

/**
 * The files a data file pattern names, resolved against `baseDirectory`: one per field for
 * a `.npy` pattern with `{field}`, else the one file.
 */
export function dataFilePaths(pattern: string, baseDirectory: string, fieldNames: readonly string[]): DataFile[] {
    if (pattern.toLowerCase().endsWith('.npy') && pattern.includes(FIELD_PLACEHOLDER)) {
        return fieldNames.map(field => {
            const shown = pattern.replaceAll(FIELD_PLACEHOLDER, field);
            return { shown, path: path.resolve(baseDirectory, shown), field };
        });
    }
    return [{ shown: pattern, path: path.resolve(baseDirectory, pattern) }];
}

/**
 * The directory data paths of a document are resolved against; undefined for a document not
 * on disk (untitled, in memory, or deleted): where its data will be is known once it is saved.
 */
export function dataBaseDirectory(document: LangiumDocument): string | undefined {
    return document.uri.scheme === 'file' && fs.existsSync(document.uri.fsPath) ? path.dirname(document.uri.fsPath) : undefined;
}

/** The files a data option reads and their state now (a `stat` each, nothing read); undefined for a built-in source. */
export function dataFilesOf(option: ast.DataOption, baseDirectory: string): DataFileStatus[] | undefined {
    if (option.file === undefined) return undefined;
    const fields = (option.groups[0]?.fields ?? []).map(field => field.name);
    return dataFilePaths(option.file, baseDirectory, fields).map(file => {
        try {
            return { ...file, bytes: checkRegularFile(file.path, maxDataFileBytes(file.path)).size };
        } catch (error) {
            if (error instanceof UnreadableFileError) return { ...file, problem: error.reason };
            throw error;
        }
    });
}

/** Whether `file` (absolute) lies inside `folder` (absolute). */
export function isInside(file: string, folder: string): boolean {
    const relative = path.relative(folder, file);
    return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_SOURCE_BYTES, UnreadableFileError, checkRegularFile, errorsOf, loadFiles, readRegularTextFile, type CheckedWorkspace } from '@cajal/language';
import { CliError, type CommandIO } from '../command.js';
import { collectDiagnostics, diagnosticsJson, writeDiagnostics, type CliDiagnostic } from './diagnostics.js';

/** A file name as the user should see it: relative to the working directory when inside it. */
export function displayPath(file: string, cwd: string): string {
    const relative = path.relative(cwd, file);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/**
 * Resolves file arguments against `cwd`, failing clearly on files that do not exist, are not
 * regular files (a directory, a FIFO, a device) or are above the source size cap.
 */
export function resolveInputFiles(files: string[], cwd: string): string[] {
    return files.map(file => {
        const absolute = path.resolve(cwd, file);
        try {
            checkRegularFile(absolute, MAX_SOURCE_BYTES);
        } catch (error) {
            if (!(error instanceof UnreadableFileError)) throw error;
            if (error.reason === 'does not exist') throw new CliError(`cannot read '${file}': no such file.`);
            throw new CliError(`cannot read '${file}': it ${error.reason}${error.reason.startsWith('is a') ? '; give .cajal files' : ''}.`);
        }
        try {
            fs.accessSync(absolute, fs.constants.R_OK);
        } catch {
            throw new CliError(`cannot read '${file}': permission denied.`);
        }
        return absolute;
    });
}

/** Reads a source file named on the command line, as `resolveInputFiles` checked it. */
export function readInputFile(absolute: string, cwd: string): string {
    try {
        return readRegularTextFile(absolute);
    } catch (error) {
        if (error instanceof UnreadableFileError) throw new CliError(`cannot read '${displayPath(absolute, cwd)}': it ${error.reason}.`);
        throw error;
    }
}

/** A loaded, checked program and its diagnostics (requested files first, then their imports). */
export interface LoadedProgram {
    readonly workspace: CheckedWorkspace;
    readonly diagnostics: CliDiagnostic[];
    readonly hasErrors: boolean;
}

/** Loads files (and the modules they import) and checks them, as `cajal check` does. */
export async function loadProgram(files: string[], io: CommandIO, maxTensorEntries?: number): Promise<LoadedProgram> {
    const absolute = resolveInputFiles(files, io.cwd);
    let workspace: CheckedWorkspace;
    try {
        workspace = await loadFiles(absolute, undefined, { maxTensorEntries });
    } catch (error) {
        // A file that changed into something unreadable since resolveInputFiles looked at it.
        if (error instanceof UnreadableFileError) throw new CliError(`cannot read a file: it ${error.reason}.`);
        throw error;
    }
    const ordered = [...workspace.requested, ...workspace.documents.filter(d => !workspace.requested.includes(d))];
    const diagnostics = collectDiagnostics(ordered, io.cwd);
    return { workspace, diagnostics, hasErrors: ordered.some(document => errorsOf(document).length > 0) };
}

/**
 * Prints a loaded program's diagnostics on stderr (and, with `json`, on stdout too when
 * there are errors). True when the program has errors: the command must stop with exit 1,
 * since no command runs or compiles an ill-typed program.
 */
export function reportDiagnostics(program: LoadedProgram, io: CommandIO, json: boolean): boolean {
    writeDiagnostics(io.stderr, program.diagnostics);
    if (program.hasErrors && json) io.stdout.write(diagnosticsJson(program.diagnostics));
    return program.hasErrors;
}

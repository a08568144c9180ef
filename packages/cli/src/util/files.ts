import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorsOf, loadFiles, type CheckedWorkspace } from '@cajal/language';
import { CliError, type CommandIO } from '../command.js';
import { collectDiagnostics, diagnosticsJson, writeDiagnostics, type CliDiagnostic } from './diagnostics.js';

/** A file name as the user should see it: relative to the working directory when inside it. */
export function displayPath(file: string, cwd: string): string {
    const relative = path.relative(cwd, file);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Resolves file arguments against `cwd`, failing clearly on files that do not exist or are not files. */
export function resolveInputFiles(files: string[], cwd: string): string[] {
    return files.map(file => {
        const absolute = path.resolve(cwd, file);
        let stat: fs.Stats;
        try {
            stat = fs.statSync(absolute);
        } catch {
            throw new CliError(`cannot read '${file}': no such file.`);
        }
        if (!stat.isFile()) {
            throw new CliError(`cannot read '${file}': it is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}; give .cajal files.`);
        }
        try {
            fs.accessSync(absolute, fs.constants.R_OK);
        } catch {
            throw new CliError(`cannot read '${file}': permission denied.`);
        }
        return absolute;
    });
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
    const workspace = await loadFiles(absolute, undefined, { maxTensorEntries });
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

import * as fs from 'node:fs';
import * as path from 'node:path';
import { URI, type LangiumDocument } from 'langium';
import { NodeFileSystem } from 'langium/node';
import type { Diagnostic } from 'vscode-languageserver';
import { createCajalCoreServices } from './cajal-module.js';
import type { CajalServices } from './cajal-module.js';
import * as ast from './generated/ast.js';
import { UnreadableFileError, readRegularTextFile } from './workspace/regular-files.js';

/** Documents loaded from disk and checked, with their diagnostics. */
export interface CheckedWorkspace {
    readonly services: CajalServices;
    /** The documents asked for, in order, followed by the modules they import. */
    readonly documents: LangiumDocument<ast.Module>[];
    readonly requested: LangiumDocument<ast.Module>[];
}

/** What a user may set about checking (the CLI's options, the language server's settings). */
export interface CheckSettings {
    /** The largest tensor a program may need, in entries (`size/too-large` above it). */
    readonly maxTensorEntries?: number;
}

/**
 * Loads Cajal files from disk (with every module they import, found as `name.cajal`
 * beside the importing file) and builds them with validation: the CLI's view of a program.
 */
export async function loadFiles(files: string[], services?: CajalServices, settings: CheckSettings = {}): Promise<CheckedWorkspace> {
    const cajal = services ?? createCajalCoreServices(NodeFileSystem).Cajal;
    if (settings.maxTensorEntries !== undefined) cajal.typing.TensorSizes.maxEntries = settings.maxTensorEntries;
    const documents = cajal.shared.workspace.LangiumDocuments;
    const requested: LangiumDocument<ast.Module>[] = [];
    const loaded = new Map<string, LangiumDocument<ast.Module>>();
    const queue = files.map(file => path.resolve(file));
    let first = true;
    while (queue.length > 0) {
        const file = queue.shift()!;
        const uri = URI.file(file);
        let document = loaded.get(uri.toString());
        if (!document) {
            let text: string;
            try {
                text = readRegularTextFile(file);
            } catch (error) {
                // An import that is not a regular file (a directory, a FIFO, /dev/zero) or too
                // large: its `import` line says so (CajalValidator.checkImports).
                if (error instanceof UnreadableFileError && !files.some(f => path.resolve(f) === file)) {
                    cajal.workspace.UnreadableFiles.set(uri.toString(), error.reason);
                    continue;
                }
                throw error;
            }
            document = cajal.shared.workspace.LangiumDocumentFactory.fromString<ast.Module>(text, uri);
            documents.addDocument(document);
            loaded.set(uri.toString(), document);
            for (const imp of document.parseResult.value.imports ?? []) {
                const beside = path.join(path.dirname(file), `${imp.module}.cajal`);
                if (imp.module && fs.existsSync(beside)) {
                    queue.push(beside);
                }
            }
        }
        if (first || files.some(f => path.resolve(f) === file)) {
            if (!requested.includes(document)) requested.push(document);
        }
        first = false;
    }
    const all = [...loaded.values()];
    await cajal.shared.workspace.DocumentBuilder.build(all, { validation: true });
    return { services: cajal, documents: all, requested };
}

/**
 * Parses and checks source text as the document `uri` (not read from disk), in `services`'
 * workspace: for programs tools write themselves, e.g. the nearest program of a learned
 * neuron, which is checked before it is shown.
 */
export async function checkSourceText(text: string, services: CajalServices, uri: URI): Promise<LangiumDocument<ast.Module>> {
    const document = services.shared.workspace.LangiumDocumentFactory.fromString<ast.Module>(text, uri);
    services.shared.workspace.LangiumDocuments.addDocument(document);
    await services.shared.workspace.DocumentBuilder.build([document], { validation: true });
    return document;
}

/** The errors (not warnings or hints) among a checked document's diagnostics. */
export function errorsOf(document: LangiumDocument): Diagnostic[] {
    return (document.diagnostics ?? []).filter(d => d.severity === 1);
}

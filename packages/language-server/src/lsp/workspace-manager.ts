import {
    DefaultWorkspaceManager, DocumentState, stream, UriUtils,
    type LangiumDocument, type LangiumDocumentFactory, type URI, type WorkspaceFolder
} from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import { ast } from '@cajal/language';
import { CancellationToken } from 'vscode-languageserver';
import { markStart } from '../start-timeline.js';

/** Lines that may be a `module name` header (a superset: any line starting so). */
const MODULE_HEADER = /^[ \t]*module[ \t]+([A-Za-z_][A-Za-z0-9_']*)/gm;

/**
 * Langium's workspace manager, except that the workspace's first build checks the files
 * open in the editor first, as rust-analyzer and tsserver do (docs/editors.md, "Files").
 * Langium parses every file of the folders, then takes the `didOpen` (its update cancels the
 * workspace's build and builds every file, each phase over all files), so the opened file's
 * first diagnostics waited for the whole folder. Here the files are read, and only the open
 * ones (with the editor's text, never the disk's) and the modules they import, transitively,
 * are parsed, indexed, linked and validated and their diagnostics published; then the rest
 * of the folder is built, as Langium builds a file new to the workspace (parsed in the build),
 * and only then is the workspace `ready` (the `didOpen`'s update and requests wait for that).
 * The `didOpen`'s update finds its document checked with the same text and does not check
 * it again (CajalDocumentBuilder.update).
 */
export class CajalWorkspaceManager extends DefaultWorkspaceManager {
    private readonly textDocuments: LangiumSharedServices['workspace']['TextDocuments'];
    private readonly documentFactory: LangiumDocumentFactory;
    /** The documents of the last startup that are open or imported by an open one, already parsed. */
    private firstDocuments = new Set<LangiumDocument>();

    constructor(services: LangiumSharedServices) {
        super(services);
        this.textDocuments = services.workspace.TextDocuments;
        this.documentFactory = services.workspace.LangiumDocumentFactory;
    }

    override async initializeWorkspace(folders: WorkspaceFolder[], cancelToken: CancellationToken = CancellationToken.None): Promise<void> {
        try {
            const documents = await this.performStartup(folders);
            // A file opened after it was read from disk: the factory's update parses the editor's text.
            for (const document of this.firstDocuments) {
                const open = this.textDocuments.get(document.uri);
                if (open && document.parseResult.value.$cstNode?.root.fullText !== open.getText()) {
                    await this.documentFactory.update(document, cancelToken);
                }
            }
            markStart(`workspace loaded: ${documents.length} files, ${this.firstDocuments.size} open or imported by one`);
            // The same options as an edit's check (validation included), so that the
            // `didOpen`'s update finds nothing left to do.
            const options = this.documentBuilder.updateBuildOptions;
            if (this.firstDocuments.size > 0) {
                await this.documentBuilder.build([...this.firstDocuments], options, cancelToken);
            }
            await this.documentBuilder.build(documents.filter(document => !this.firstDocuments.has(document)), options, cancelToken);
        } finally {
            // Not before the rest is built: the `didOpen`'s update, which waits for `ready`, would
            // cancel the rest's build at once (the workspace lock cancels the running write) and
            // build what was left itself, after its own resets (docs/editors.md, "Files").
            this._ready.resolve();
        }
    }

    /**
     * Langium's startup (the folders' files listed, additional documents loaded), except that
     * only the open files and the modules they import are parsed here; the others are added
     * unparsed, as Langium adds a file new to the workspace, and parsed by the build. Unlike
     * Langium's, it does not make the workspace `ready`: initializeWorkspace does, once the
     * folder is built.
     */
    protected override async performStartup(folders: WorkspaceFolder[]): Promise<LangiumDocument[]> {
        const documents: LangiumDocument[] = [];
        const collector = (document: LangiumDocument): void => {
            documents.push(document);
            if (!this.langiumDocuments.hasDocument(document.uri)) this.langiumDocuments.addDocument(document);
        };
        await this.loadAdditionalDocuments(folders, collector);
        const uris: URI[] = [];
        await Promise.all(folders.map(folder => this.getRootFolder(folder)).map(async entry => this.traverseFolder(entry, uris)));
        const unique = stream(uris).distinct(uri => uri.toString()).filter(uri => !this.langiumDocuments.hasDocument(uri)).toArray();
        this.firstDocuments = await this.loadOpenAndImported(unique, collector);
        const loaded = new Set([...this.firstDocuments].map(document => document.uri.toString()));
        for (const uri of unique) {
            if (loaded.has(uri.toString())) continue;
            // As DocumentBuilder.update adds a new file: parsed in the build's first phase.
            const document = this.documentFactory.fromModel({ $type: 'INVALID' }, uri);
            document.state = DocumentState.Changed;
            collector(document);
        }
        return documents;
    }

    /**
     * Parses the open files (the editor's text) and every file they import, directly or not.
     * An import is followed to every file that could be the module it names (`name.cajal`,
     * or a file with a line `module name`: ScopeProvider.resolveImport picks among them with
     * the index, which is not built yet), so the open files link as with the whole folder
     * indexed.
     */
    private async loadOpenAndImported(uris: URI[], collector: (document: LangiumDocument) => void): Promise<Set<LangiumDocument>> {
        const texts = new Map<string, string>();
        const byName = new Map<string, URI[]>();
        const named = (name: string, uri: URI): void => {
            const list = byName.get(name) ?? [];
            if (!list.includes(uri)) byName.set(name, [...list, uri]);
        };
        await Promise.all(uris.map(async uri => {
            const open = this.textDocuments.get(uri);
            let text: string;
            try {
                text = open ? open.getText() : await this.fileSystemProvider.readFile(uri);
            } catch {
                return; // Left to the build, which reports it as for any file.
            }
            texts.set(uri.toString(), text);
            named(UriUtils.basename(uri).replace(/\.cajal$/, ''), uri);
            for (const header of text.matchAll(MODULE_HEADER)) named(header[1], uri);
        }));
        const first = new Set<LangiumDocument>();
        const queued = new Set<string>();
        const queue = uris.filter(uri => this.textDocuments.get(uri) !== undefined && texts.has(uri.toString()));
        for (const uri of queue) queued.add(uri.toString());
        while (queue.length > 0) {
            const uri = queue.shift()!;
            const open = this.textDocuments.get(uri);
            const document = open ? this.documentFactory.fromTextDocument(open, uri) : this.documentFactory.fromString(texts.get(uri.toString())!, uri);
            collector(document);
            first.add(document);
            const module = document.parseResult.value;
            if (!ast.isModule(module)) continue;
            for (const imp of module.imports ?? []) {
                for (const imported of (imp.module ? byName.get(imp.module) : undefined) ?? []) {
                    if (!queued.has(imported.toString()) && texts.has(imported.toString())) {
                        queued.add(imported.toString());
                        queue.push(imported);
                    }
                }
            }
        }
        return first;
    }
}

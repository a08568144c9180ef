import { DefaultDocumentBuilder, DocumentState, OperationCancelled, type BuildOptions, type LangiumDocument, type LangiumSharedCoreServices, URI } from 'langium';
import { CancellationToken } from 'vscode-languageserver';

/** How long typing must pause before a changed document is re-checked. */
export const CHANGE_DEBOUNCE_MS = 30;

/**
 * Debounced, cancellable re-checking (a document new to the workspace is checked at once).
 * An edit resets the changed documents (and their dependants) at once, as Langium does, so
 * any request meanwhile waits for the new text to be checked rather than answering from
 * the old tree; the build itself starts only
 * after {@link CHANGE_DEBOUNCE_MS} without a further edit. The next edit cancels a pending
 * or running build through Langium's workspace lock, so a burst of keystrokes costs one
 * check, and a slow check never holds back fresher results. The wait ends early when the
 * build is cancelled (the lock runs the next edit's build only after this one returns) and
 * when a request waits for the build's result: it is answered against the newest text
 * without also waiting out the debounce.
 */
export class CajalDocumentBuilder extends DefaultDocumentBuilder {
    private updating = false;
    /** Changes of updates that were outdated before they started, for the next update to apply. */
    private readonly pendingChanged = new Map<string, URI>();
    private readonly pendingDeleted = new Map<string, URI>();
    /** Ends the debounce of the build waiting in it, if one is. */
    private endDebounce: (() => void) | undefined;

    /** Documents opened since the last update: only an open may find its document checked already. */
    private readonly opened = new Set<string>();

    constructor(services: LangiumSharedCoreServices, private readonly debounceMs = CHANGE_DEBOUNCE_MS) {
        super(services);
        // The LSP's text documents (the language core's provider has no events).
        const textDocuments = this.textDocuments as { onDidOpen?(listener: (event: { document: { uri: string } }) => void): unknown } | undefined;
        textDocuments?.onDidOpen?.(event => this.opened.add(URI.parse(event.document.uri).toString()));
    }

    override async update(changed: URI[], deleted: URI[], cancelToken?: CancellationToken): Promise<void> {
        for (const uri of changed) this.pendingChanged.set(uri.toString(), uri);
        for (const uri of deleted) this.pendingDeleted.set(uri.toString(), uri);
        // Each edit queues an update behind the workspace lock, and requests wait until the
        // queue is empty; under a burst of edits every update but the newest is already
        // cancelled when it starts. It is skipped, its documents left to the newest one, so
        // a request answers against the newest text without waiting for a thousand resets.
        if (cancelToken?.isCancellationRequested) return;
        const pending = [...this.pendingChanged.values()];
        // Only a `didOpen`: a settings change re-checks documents whose text is the same.
        const unchanged = pending.filter(uri => this.opened.has(uri.toString()) && this.checkedWithOpenText(uri));
        for (const uri of pending) this.opened.delete(uri.toString());
        const changedNow = pending.filter(uri => !unchanged.includes(uri));
        const deletedNow = [...this.pendingDeleted.values()];
        this.pendingChanged.clear();
        this.pendingDeleted.clear();
        // Only a re-check waits: a document new to the workspace (opened, not on disk in a
        // workspace folder) has no typing burst to wait out, and its first check is the
        // first thing the editor shows (the server's start to its first diagnostics).
        this.updating = deletedNow.length > 0 || changedNow.some(uri => this.langiumDocuments.hasDocument(uri));
        // A document opened with the text it was checked with keeps its check; its diagnostics are
        // sent again, as after a check (a client may have dropped them when the file was closed).
        for (const uri of unchanged) {
            await this.notifyDocumentPhase(this.langiumDocuments.getDocument(uri)!, DocumentState.Validated, cancelToken ?? CancellationToken.None);
        }
        try {
            await super.update(changedNow, deletedNow, cancelToken);
        } finally {
            this.updating = false;
        }
    }

    /**
     * Whether a document is checked, completely, with the text the editor has for it: the
     * `didOpen` of a workspace file its first build already checked with the editor's text
     * (CajalWorkspaceManager), or with the same text on disk, needs no second check.
     */
    private checkedWithOpenText(uri: URI): boolean {
        const document = this.langiumDocuments.getDocument(uri);
        const open = this.textDocuments?.get(uri);
        if (!document || !open || document.state < DocumentState.Validated || !this.buildState.get(uri.toString())?.completed) return false;
        if (document.parseResult.value.$cstNode?.root.fullText !== open.getText()) return false;
        // Positions are computed from the editor's document from now on, as after a re-parse.
        if (document.textDocument !== open) Object.defineProperty(document, 'textDocument', { value: open, configurable: true });
        return true;
    }

    protected override async buildDocuments(documents: LangiumDocument[], options: BuildOptions, cancelToken: CancellationToken): Promise<void> {
        if (this.updating && this.debounceMs > 0) {
            this.updating = false;
            await this.debounce(cancelToken);
            if (cancelToken.isCancellationRequested) {
                throw OperationCancelled;
            }
        }
        return super.buildDocuments(documents, options, cancelToken);
    }

    /** Waits {@link debounceMs}, or less: until the build is cancelled or a request waits for it. */
    private debounce(cancelToken: CancellationToken): Promise<void> {
        return new Promise(resolve => {
            const end = (): void => {
                clearTimeout(timer);
                cancelled.dispose();
                if (this.endDebounce === end) this.endDebounce = undefined;
                resolve();
            };
            const timer = setTimeout(end, this.debounceMs);
            const cancelled = cancelToken.onCancellationRequested(end);
            this.endDebounce = end;
        });
    }

    override waitUntil(state: DocumentState, cancelToken?: CancellationToken): Promise<void>;
    override waitUntil(state: DocumentState, uri?: URI, cancelToken?: CancellationToken): Promise<URI>;
    override waitUntil(state: DocumentState, uriOrToken?: URI | CancellationToken, cancelToken?: CancellationToken): Promise<URI | void> {
        this.endDebounce?.();
        return super.waitUntil(state, uriOrToken as URI, cancelToken);
    }
}

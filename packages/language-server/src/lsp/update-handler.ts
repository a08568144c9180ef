import { DefaultDocumentBuilder, OperationCancelled, type BuildOptions, type LangiumDocument, type LangiumSharedCoreServices, type URI } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';

/** How long typing must pause before a changed document is re-checked. */
export const CHANGE_DEBOUNCE_MS = 30;

/**
 * Debounced, cancellable re-checking. An edit resets the changed documents (and their
 * dependants) at once, as Langium does, so any request meanwhile waits for the new text
 * to be checked rather than answering from the old tree; the build itself starts only
 * after {@link CHANGE_DEBOUNCE_MS} without a further edit. The next edit cancels a pending
 * or running build through Langium's workspace lock, so a burst of keystrokes costs one
 * check, and a slow check never holds back fresher results.
 */
export class CajalDocumentBuilder extends DefaultDocumentBuilder {
    private updating = false;

    constructor(services: LangiumSharedCoreServices, private readonly debounceMs = CHANGE_DEBOUNCE_MS) {
        super(services);
    }

    override async update(changed: URI[], deleted: URI[], cancelToken?: CancellationToken): Promise<void> {
        this.updating = true;
        try {
            await super.update(changed, deleted, cancelToken);
        } finally {
            this.updating = false;
        }
    }

    protected override async buildDocuments(documents: LangiumDocument[], options: BuildOptions, cancelToken: CancellationToken): Promise<void> {
        if (this.updating && this.debounceMs > 0) {
            this.updating = false;
            await new Promise(resolve => setTimeout(resolve, this.debounceMs));
            if (cancelToken.isCancellationRequested) {
                throw OperationCancelled;
            }
        }
        return super.buildDocuments(documents, options, cancelToken);
    }
}

import { DefaultLangiumDocumentFactory, DocumentState, type AstNode, type LangiumDocument, type LangiumSharedCoreServices, type Mutable } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { reparseIncrementally } from '../parser/incremental-parse.js';

/**
 * Langium's document factory, except that a changed document re-parses only the
 * declarations the edit touched (see incremental-parse.ts) when it can, and the whole
 * text otherwise. Counts how each update was parsed, for tests and benchmarks.
 */
export class CajalDocumentFactory extends DefaultLangiumDocumentFactory {
    /** How updates were parsed; `reasons` counts why some were parsed in full. */
    readonly parseCounts = { incremental: 0, full: 0, reasons: {} as Record<string, number> };

    constructor(services: LangiumSharedCoreServices) {
        super(services);
    }

    override async update<T extends AstNode = AstNode>(document: Mutable<LangiumDocument<T>>, cancellationToken: CancellationToken): Promise<LangiumDocument<T>> {
        const textDocument = this.textDocuments?.get(document.uri.toString());
        const text = await this.getUpdatedText(document, textDocument, cancellationToken);
        const oldText = document.parseResult.value.$cstNode?.root.fullText;
        if (oldText !== undefined && oldText !== text) {
            const services = this.serviceRegistry.getServices(document.uri);
            const reparsed = reparseIncrementally(services, document.parseResult, text);
            if (typeof reparsed !== 'string') {
                this.parseCounts.incremental++;
                this.setText(document, textDocument, text);
                document.parseResult = reparsed as unknown as typeof document.parseResult;
                document.state = DocumentState.Parsed;
                return document;
            }
            this.parseCounts.full++;
            this.parseCounts.reasons[reparsed] = (this.parseCounts.reasons[reparsed] ?? 0) + 1;
        }
        return super.update(document, cancellationToken);
    }

    /** As Langium's `update` does: the document's text document follows the new text. */
    private setText(document: LangiumDocument, textDocument: LangiumDocument['textDocument'] | undefined, text: string): void {
        if (textDocument) {
            Object.defineProperty(document, 'textDocument', { value: textDocument });
        } else {
            const getter = this.createTextDocumentGetter(document.uri, text);
            Object.defineProperty(document, 'textDocument', { get: getter });
        }
    }
}

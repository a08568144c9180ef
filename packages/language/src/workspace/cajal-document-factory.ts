import { DefaultLangiumDocumentFactory, type AstNode, type LangiumDocument, type LangiumSharedCoreServices, type Mutable, type ParseResult, type URI } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { reparseIncrementally } from '../parser/incremental-parse.js';
import { forgetWaitingShifts } from '../langium-internals.js';

/**
 * Langium's document factory, except that a changed document re-parses only the
 * declarations the edit touched (see incremental-parse.ts) when it can, and the whole
 * text otherwise. Langium's `update` does everything else (the text document, the state);
 * this factory only overrides `parseAsync`, the step that turns the new text into a parse
 * result. Counts how each update was parsed, for tests and benchmarks.
 */
export class CajalDocumentFactory extends DefaultLangiumDocumentFactory {
    /** How updates were parsed; `reasons` counts why some were parsed in full. */
    readonly parseCounts = { incremental: 0, full: 0, reasons: {} as Record<string, number> };

    /** Documents being updated, by URI: their old parse is what `parseAsync` re-parses incrementally. */
    private readonly updating = new Map<string, LangiumDocument>();

    constructor(services: LangiumSharedCoreServices) {
        super(services);
    }

    override async update<T extends AstNode = AstNode>(document: Mutable<LangiumDocument<T>>, cancellationToken: CancellationToken): Promise<LangiumDocument<T>> {
        const key = document.uri.toString();
        this.updating.set(key, document);
        try {
            return await super.update(document, cancellationToken);
        } finally {
            this.updating.delete(key);
        }
    }

    /** Called by `update` only when the text changed; for new documents it parses in full. */
    protected override async parseAsync<T extends AstNode>(uri: URI, text: string, cancellationToken: CancellationToken): Promise<ParseResult<T>> {
        const document = this.updating.get(uri.toString());
        if (document?.parseResult.value.$cstNode) {
            const reparsed = reparseIncrementally(this.serviceRegistry.getServices(uri), document.parseResult, text);
            if (typeof reparsed !== 'string') {
                this.parseCounts.incremental++;
                return reparsed as unknown as ParseResult<T>;
            }
            this.parseCounts.full++;
            this.parseCounts.reasons[reparsed] = (this.parseCounts.reasons[reparsed] ?? 0) + 1;
            forgetWaitingShifts(document.parseResult.value.$cstNode);
        }
        return super.parseAsync<T>(uri, text, cancellationToken);
    }
}

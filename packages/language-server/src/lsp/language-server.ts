import { eagerLoad } from 'langium';
import { DefaultLanguageServer, type LangiumServices } from 'langium/lsp';
import { markStart } from '../start-timeline.js';

/**
 * Langium's language server, answering `initialize` before it makes the services the answer
 * does not need. Langium makes every service first (`eagerLoadServices`), so that each can
 * hear `onInitialize` and a wiring error shows at once; for Cajal most of that is the parser
 * (the token types and the fast parser's grammar tables: ~20–25 ms in a fresh thread), which
 * the answer does not use. Here the shared services and the languages' LSP providers (the
 * ones that listen to `onInitialize` and whose options the answer lists) are made first, and
 * the rest right after the answer is written: while the client reads it and sends
 * `initialized` and `didOpen`, which it does only after the answer, the checker thread makes
 * the parser instead of waiting (docs/editors.md, "Start-up"). A wiring error then shows a
 * moment later, on the thread's stderr, and again where the service is first used.
 */
export class CajalLanguageServer extends DefaultLanguageServer {
    protected override eagerLoadServices(): void {
        eagerLoad(this.services);
        const languages = this.services.ServiceRegistry.all as LangiumServices[];
        for (const language of languages) eagerLoad(language.lsp);
        // After the answer: the request's handler returns a promise, whose result is written in a microtask before this runs.
        setImmediate(() => {
            try {
                for (const language of languages) eagerLoad(language);
                markStart('services made');
            } catch (error) {
                process.stderr.write(`cajal-language-server: making the language services failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
            }
        });
    }
}

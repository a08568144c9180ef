/**
 * Cajal's language server answers `initialize` before it makes the parser (lsp/language-server.ts),
 * with the answer Langium's own language server gives, and makes the rest right after.
 */
import { describe, expect, test } from 'vitest';
import { EmptyFileSystem, inject, type LangiumCoreServices } from 'langium';
import { DefaultLanguageServer, createDefaultModule, createDefaultSharedModule, type LangiumServices } from 'langium/lsp';
import { CajalGeneratedModule, CajalGeneratedSharedModule, CajalModule, CajalParser, CajalSharedModule, registerValidationChecks } from '@cajal/language';
import { CajalLspModule, CajalLspSharedModule, createCajalServices } from '@cajal/language-server';

const PARAMS = { processId: null, rootUri: null, capabilities: { textDocument: { completion: { completionItem: { snippetSupport: true } } } } };

/** The server's services (as createCajalServices makes them), noting when the parser service is made. */
function servicesNotingTheParser(made: string[]) {
    const shared = inject(createDefaultSharedModule(EmptyFileSystem), CajalGeneratedSharedModule, CajalSharedModule, CajalLspSharedModule);
    const Cajal = inject(createDefaultModule({ shared }), CajalGeneratedModule, CajalModule, CajalLspModule, {
        parser: {
            LangiumParser: (services: LangiumCoreServices) => {
                made.push('parser');
                return new CajalParser(services);
            }
        }
    } as never) as LangiumServices;
    shared.ServiceRegistry.register(Cajal);
    registerValidationChecks(Cajal as never);
    return { shared, Cajal };
}

describe("the server's initialize", () => {
    test('is answered before the parser is made, which is made right after', async () => {
        const made: string[] = [];
        const { shared } = servicesNotingTheParser(made);
        const result = await shared.lsp.LanguageServer.initialize(PARAMS);
        expect(result.capabilities.completionProvider).toBeDefined();
        expect(made).toEqual([]);
        await new Promise(resolve => setImmediate(resolve));
        expect(made).toEqual(['parser']);
    });

    test("gives Langium's answer", async () => {
        const cajal = await createCajalServices(EmptyFileSystem).shared.lsp.LanguageServer.initialize(PARAMS);
        const langium = await new DefaultLanguageServer(createCajalServices(EmptyFileSystem).shared).initialize(PARAMS);
        expect(cajal).toEqual(langium);
        expect(cajal.capabilities.semanticTokensProvider).toBeDefined();
    });
});

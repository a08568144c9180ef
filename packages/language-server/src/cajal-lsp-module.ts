import {
    inject, type DefaultSharedCoreModuleContext, type Module
} from 'langium';
import {
    createDefaultModule, createDefaultSharedModule, type DefaultSharedModuleContext,
    type LangiumServices, type LangiumSharedServices, type PartialLangiumServices, type PartialLangiumSharedServices
} from 'langium/lsp';
import {
    CajalGeneratedModule, CajalGeneratedSharedModule, CajalModule, CajalSharedModule, registerValidationChecks,
    type CajalAddedServices
} from '@cajal/language';
import { CajalDocumentLinkProvider } from './lsp/data-links.js';
import { CajalHoverProvider } from './lsp/hover.js';
import { CajalCompletionProvider } from './lsp/completion.js';
import { CajalFormatter } from './lsp/formatter.js';
import { CajalSemanticTokenProvider } from './lsp/semantic-tokens.js';
import { CajalInlayHintProvider } from './lsp/inlay-hints.js';
import { CajalCodeActionProvider } from './lsp/code-actions.js';
import { CajalSignatureHelpProvider } from './lsp/signature-help.js';
import { CajalCodeLensProvider } from './lsp/code-lens.js';
import { CajalRenameProvider } from './lsp/rename.js';
import { CajalFoldingRangeProvider } from './lsp/folding.js';
import { CajalDocumentSymbolProvider } from './lsp/document-symbols.js';
import { CajalDocumentBuilder } from './lsp/update-handler.js';
import { CajalWorkspaceManager } from './lsp/workspace-manager.js';
import { CajalLanguageServer } from './lsp/language-server.js';
import { CajalNeurons } from './lsp/neurons.js';
import { CajalNodeKindProvider } from './lsp/node-kinds.js';
import { CajalDefinitionProvider, CajalDocumentHighlightProvider, CajalReferencesProvider } from './lsp/navigation.js';

/** Services the language server adds on top of the language core. */
export type CajalLspAddedServices = {
    neurons: {
        Neurons: CajalNeurons;
    };
};

export type CajalLspServices = LangiumServices & CajalAddedServices & CajalLspAddedServices;

export const CajalLspModule: Module<CajalLspServices, PartialLangiumServices & CajalLspAddedServices> = {
    lsp: {
        HoverProvider: services => new CajalHoverProvider(services),
        CompletionProvider: services => new CajalCompletionProvider(services),
        Formatter: () => new CajalFormatter(),
        SemanticTokenProvider: services => new CajalSemanticTokenProvider(services),
        InlayHintProvider: services => new CajalInlayHintProvider(services),
        CodeActionProvider: services => new CajalCodeActionProvider(services),
        SignatureHelp: services => new CajalSignatureHelpProvider(services),
        CodeLensProvider: services => new CajalCodeLensProvider(services),
        RenameProvider: services => new CajalRenameProvider(services),
        FoldingRangeProvider: services => new CajalFoldingRangeProvider(services),
        DocumentSymbolProvider: services => new CajalDocumentSymbolProvider(services),
        DefinitionProvider: services => new CajalDefinitionProvider(services),
        ReferencesProvider: services => new CajalReferencesProvider(services),
        DocumentHighlightProvider: services => new CajalDocumentHighlightProvider(services),
        DocumentLinkProvider: () => new CajalDocumentLinkProvider()
    },
    neurons: {
        Neurons: services => new CajalNeurons(services)
    }
};

export const CajalLspSharedModule: Module<LangiumSharedServices, PartialLangiumSharedServices> = {
    lsp: {
        NodeKindProvider: () => new CajalNodeKindProvider(),
        // Answers `initialize` before making the parser (lsp/language-server.ts).
        LanguageServer: services => new CajalLanguageServer(services)
    },
    workspace: {
        DocumentBuilder: services => new CajalDocumentBuilder(services),
        // The workspace's first build checks the files open in the editor first.
        WorkspaceManager: services => new CajalWorkspaceManager(services)
    }
};

/**
 * Creates the services of the language server: Langium's default LSP modules, the
 * language core's `CajalModule` and this package's LSP providers. Without a connection
 * (tests) the services work on in-memory documents.
 */
export function createCajalServices(context: DefaultSharedModuleContext | DefaultSharedCoreModuleContext): { shared: LangiumSharedServices; Cajal: CajalLspServices } {
    const shared = inject(
        createDefaultSharedModule(context as DefaultSharedModuleContext),
        CajalGeneratedSharedModule,
        CajalSharedModule,
        CajalLspSharedModule
    );
    const Cajal = inject(
        createDefaultModule({ shared }),
        CajalGeneratedModule,
        CajalModule,
        CajalLspModule
    );
    shared.ServiceRegistry.register(Cajal);
    registerValidationChecks(Cajal);
    return { shared, Cajal };
}

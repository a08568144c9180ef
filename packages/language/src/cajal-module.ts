import './polyfills.js';
import {
    EmptyFileSystem, inject, type LangiumCompletionParser, type LangiumCoreServices, type LangiumParser, type LangiumSharedCoreServices, type Module,
    type PartialLangiumCoreServices, type PartialLangiumSharedCoreServices, createDefaultCoreModule, createDefaultSharedCoreModule,
    type DefaultSharedCoreModuleContext
} from 'langium';
import { CajalGeneratedModule, CajalGeneratedSharedModule } from './generated/module.js';
import { CajalTokenBuilder } from './parser/cajal-token-builder.js';
import { CajalLexer } from './parser/cajal-lexer.js';
import { CajalLexerErrorMessageProvider, CajalParserErrorMessageProvider } from './parser/cajal-parser-messages.js';
import { CajalScopeComputation, CajalScopeProvider } from './references/cajal-scope.js';
import { CajalAstNodeLocator } from './references/cajal-node-locator.js';
import { CajalNameProvider } from './references/cajal-name-provider.js';
import { CajalTypeChecker } from './typing/type-checker.js';
import { CajalTensorSizes } from './typing/tensor-sizes.js';
import { CajalLinearityChecker } from './linearity/linearity-checker.js';
import { CajalValidator, registerValidationChecks } from './validation/cajal-validator.js';
import { CajalDocumentValidator } from './validation/cajal-document-validator.js';
import { CajalInterpreter } from './interpreter/interpreter.js';
import { CajalDocumentFactory } from './workspace/cajal-document-factory.js';
import { CajalIndexManager, CajalReferenceDescriptionProvider } from './workspace/cajal-index-manager.js';
import { CajalLinker } from './references/cajal-linker.js';
import { CajalCompletionParser } from './langium-internals.js';
import { CajalParser } from './parser/fast-parser.js';

/** Services the Cajal language adds to Langium's, grouped by concern. */
export type CajalAddedServices = {
    references: {
        ScopeProvider: CajalScopeProvider;
        Linker: CajalLinker;
    };
    workspace: {
        ReferenceDescriptionProvider: CajalReferenceDescriptionProvider;
        /** Files found but not read (not regular, too large), by URI, with the reason: for import errors. */
        UnreadableFiles: Map<string, string>;
    };
    typing: {
        TypeChecker: CajalTypeChecker;
        TensorSizes: CajalTensorSizes;
    };
    linearity: {
        LinearityChecker: CajalLinearityChecker;
    };
    validation: {
        CajalValidator: CajalValidator;
    };
    interpreter: {
        Interpreter: CajalInterpreter;
    };
};

export type CajalServices = LangiumCoreServices & CajalAddedServices;

export const CajalModule: Module<CajalServices, PartialLangiumCoreServices & CajalAddedServices> = {
    parser: {
        // A fast path for well-formed text (parser/fast-parser.ts), else Langium's parser without
        // its quadratic check on right-nested chains (langium-internals.ts), made when first needed.
        LangiumParser: services => new CajalParser(services) as unknown as LangiumParser,
        // And the completion parser without its quadratic costs in deep nesting (idem), made on the first completion.
        CompletionParser: services => new CajalCompletionParser(services) as unknown as LangiumCompletionParser,
        TokenBuilder: () => new CajalTokenBuilder(),
        Lexer: services => new CajalLexer(services),
        ParserErrorMessageProvider: () => new CajalParserErrorMessageProvider(),
        LexerErrorMessageProvider: () => new CajalLexerErrorMessageProvider()
    },
    references: {
        NameProvider: () => new CajalNameProvider(),
        ScopeComputation: services => new CajalScopeComputation(services),
        ScopeProvider: services => new CajalScopeProvider(services),
        Linker: services => new CajalLinker(services)
    },
    workspace: {
        AstNodeLocator: () => new CajalAstNodeLocator(),
        ReferenceDescriptionProvider: services => new CajalReferenceDescriptionProvider(services),
        UnreadableFiles: () => new Map<string, string>()
    },
    typing: {
        TypeChecker: services => new CajalTypeChecker(() => services.references.Linker),
        TensorSizes: services => new CajalTensorSizes(() => services.typing.TypeChecker)
    },
    linearity: {
        LinearityChecker: services => new CajalLinearityChecker(() => services.typing.TypeChecker)
    },
    validation: {
        DocumentValidator: services => new CajalDocumentValidator(services),
        CajalValidator: services => new CajalValidator(services)
    },
    interpreter: {
        Interpreter: services => new CajalInterpreter(services)
    }
};

/**
 * Workspace services shared by every document: incremental re-parsing of changed documents,
 * an index that describes references when asked.
 * The language server injects this module too (after Langium's LSP defaults).
 */
export const CajalSharedModule: Module<LangiumSharedCoreServices, PartialLangiumSharedCoreServices> = {
    workspace: {
        LangiumDocumentFactory: services => new CajalDocumentFactory(services),
        IndexManager: services => new CajalIndexManager(services)
    }
};

/**
 * Creates the Cajal services without any editor: for the CLI, the compiler and tests.
 * The language server adds its LSP services on top (see @cajal/language-server).
 */
export function createCajalCoreServices(context: DefaultSharedCoreModuleContext = EmptyFileSystem): { shared: LangiumSharedCoreServices; Cajal: CajalServices } {
    const shared = inject(createDefaultSharedCoreModule(context), CajalGeneratedSharedModule, CajalSharedModule);
    const Cajal: CajalServices = inject(createDefaultCoreModule({ shared }), CajalGeneratedModule, CajalModule);
    shared.ServiceRegistry.register(Cajal);
    registerValidationChecks(Cajal);
    return { shared, Cajal };
}

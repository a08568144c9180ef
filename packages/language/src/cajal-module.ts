import './polyfills.js';
import {
    EmptyFileSystem, inject, type LangiumCoreServices, type LangiumSharedCoreServices, type Module,
    type PartialLangiumCoreServices, createDefaultCoreModule, createDefaultSharedCoreModule, type DefaultSharedCoreModuleContext
} from 'langium';
import { CajalGeneratedModule, CajalGeneratedSharedModule } from './generated/module.js';
import { CajalTokenBuilder } from './parser/cajal-token-builder.js';
import { CajalLexer } from './parser/cajal-lexer.js';
import { CajalLexerErrorMessageProvider, CajalParserErrorMessageProvider } from './parser/cajal-parser-messages.js';
import { CajalScopeComputation, CajalScopeProvider } from './references/cajal-scope.js';
import { CajalAstNodeLocator } from './references/cajal-node-locator.js';
import { CajalTypeChecker } from './typing/type-checker.js';
import { CajalLinearityChecker } from './linearity/linearity-checker.js';
import { CajalValidator, registerValidationChecks } from './validation/cajal-validator.js';
import { CajalDocumentValidator } from './validation/cajal-document-validator.js';
import { CajalInterpreter } from './interpreter/interpreter.js';

/** Services the Cajal language adds to Langium's, grouped by concern. */
export type CajalAddedServices = {
    references: {
        ScopeProvider: CajalScopeProvider;
    };
    typing: {
        TypeChecker: CajalTypeChecker;
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
        TokenBuilder: () => new CajalTokenBuilder(),
        Lexer: services => new CajalLexer(services),
        ParserErrorMessageProvider: () => new CajalParserErrorMessageProvider(),
        LexerErrorMessageProvider: () => new CajalLexerErrorMessageProvider()
    },
    references: {
        ScopeComputation: services => new CajalScopeComputation(services),
        ScopeProvider: services => new CajalScopeProvider(services)
    },
    workspace: {
        AstNodeLocator: () => new CajalAstNodeLocator()
    },
    typing: {
        TypeChecker: services => new CajalTypeChecker(services.shared)
    },
    linearity: {
        LinearityChecker: services => new CajalLinearityChecker(services.shared, () => services.typing.TypeChecker)
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
 * Creates the Cajal services without any editor: for the CLI, the compiler and tests.
 * The language server adds its LSP services on top (see @cajal/language-server).
 */
export function createCajalCoreServices(context: DefaultSharedCoreModuleContext = EmptyFileSystem): { shared: LangiumSharedCoreServices; Cajal: CajalServices } {
    const shared = inject(createDefaultSharedCoreModule(context), CajalGeneratedSharedModule);
    const Cajal: CajalServices = inject(createDefaultCoreModule({ shared }), CajalGeneratedModule, CajalModule);
    shared.ServiceRegistry.register(Cajal);
    registerValidationChecks(Cajal);
    return { shared, Cajal };
}

import {
    AstUtils, DefaultDocumentValidator, DocumentValidator, interruptAndCheck, type AstNode, type LangiumDocument, type ValidationAcceptor, type ValidationCheck, type ValidationOptions
} from 'langium';
import { CancellationToken, type Diagnostic } from 'vscode-languageserver';
import type { CajalServices } from '../cajal-module.js';
import { Codes } from '../problems.js';
import * as ast from '../generated/ast.js';
import { NESTING_MESSAGE_START } from '../parser/cajal-lexer.js';
import { UNBALANCED_MESSAGE_MARK } from '../parser/unbalanced-guard.js';

/**
 * Gives Langium's own diagnostics the project's stable codes: lexing and parsing errors
 * become `parse`, unresolved references `name/unknown` with a plainer message.
 */
export class CajalDocumentValidator extends DefaultDocumentValidator {
    /**
     * Declarations whose checks last reported nothing, with the size limit they were checked
     * against. Such a declaration, unless the linker reports it changed since (see
     * cajal-linker.ts: its globals resolve as before, so its cached typing holds), would
     * report nothing again: it is not validated. A declaration with problems is always validated
     * again (its diagnostics' positions move with edits above it), as is every declaration
     * after a full re-link, and every training block: its checks follow the definitions its
     * model uses down to their externs (`externsUsed`), beyond what it links to itself.
     */
    private readonly clean = new WeakMap<AstNode, string>();
    /** How many declarations the last validation ran checks on: for tests and benchmarks. */
    lastValidatedDeclarations = 0;

    constructor(private readonly services: CajalServices) {
        super(services);
    }

    /**
     * Visits the module and its top-level nodes only. Cajal's checks are registered per
     * declaration and cover everything inside it (type and linearity checking work on whole
     * declarations and are cached per declaration), so walking every term of a large file on
     * each edit would only look for checks that are not there.
     */
    protected override validateSingleNodeOptions(node: AstNode): { validateNode: boolean; validateChildren: boolean } {
        return { validateNode: true, validateChildren: ast.isModule(node) };
    }

    protected override async validateAstNodes(root: AstNode, options: ValidationOptions, acceptor: ValidationAcceptor, cancelToken = CancellationToken.None): Promise<void> {
        const registry = this.validationRegistry;
        const categories = options.categories;
        // Only a validation that runs every category of Cajal's checks takes what changed:
        // a partial one (e.g. 'slow' only) validates everything it is asked for, and leaves it.
        const types = [ast.Module.$type, ast.Definition.$type, ast.Extern.$type, ast.Training.$type];
        const used = [...registry.getAllValidationCategories(AstUtils.getDocument(root))]
            .filter(category => types.some(type => !registry.getChecks(type, [category]).isEmpty()));
        if (!ast.isModule(root) || (categories && !used.every(category => categories.includes(category)))) {
            return super.validateAstNodes(root, options, acceptor, cancelToken);
        }
        const linker = this.services.references.Linker;
        const relinked = linker.takeRelinked(root) ?? 'all';
        // What a clean record holds for: the size limit (and the checks, all of them).
        const conditions = `${this.services.typing.TensorSizes.maxEntries}`;
        let validated = 0;
        const validator = this.services.validation.CajalValidator;
        // Each kind of declaration's checks, listed once per validation rather than per declaration.
        const checksByType = new Map<string, ValidationCheck[]>();
        const checksOf = (type: string): ValidationCheck[] => {
            let checks = checksByType.get(type);
            if (!checks) checksByType.set(type, checks = registry.getChecks(type, categories).toArray());
            return checks;
        };
        try {
            validator.linkedSinceLastValidation = relinked;
            try {
                for (const check of registry.getChecks(root.$type, categories)) {
                    await check(root, acceptor, cancelToken);
                }
            } finally {
                validator.linkedSinceLastValidation = 'all';
            }
            for (const declaration of root.declarations) {
                if (relinked !== 'all' && !relinked.has(declaration) && !ast.isTraining(declaration) && this.clean.get(declaration) === conditions) continue;
                await interruptAndCheck(cancelToken);
                validated++;
                let reported = 0;
                const counting: ValidationAcceptor = (severity, message, info) => {
                    reported++;
                    acceptor(severity, message, info);
                };
                for (const check of checksOf(declaration.$type)) {
                    await check(declaration, counting, cancelToken);
                }
                if (reported === 0) this.clean.set(declaration, conditions);
                else this.clean.delete(declaration);
            }
        } catch (error) {
            linker.restoreRelinked(root, relinked);
            throw error;
        }
        this.lastValidatedDeclarations = validated;
    }

    override async validateDocument(document: LangiumDocument, options?: ValidationOptions, cancelToken?: CancellationToken): Promise<Diagnostic[]> {
        let diagnostics = await super.validateDocument(document, options, cancelToken);
        diagnostics = withoutNestingCascades(document, diagnostics);
        for (const diagnostic of diagnostics) {
            const langiumCode = (diagnostic.data as { code?: string } | undefined)?.code;
            if (langiumCode === DocumentValidator.LexingError || langiumCode === DocumentValidator.ParsingError) {
                diagnostic.code = Codes.parse;
            } else if (langiumCode === DocumentValidator.LinkingError) {
                diagnostic.code = Codes.unknownName;
                const name = typeof diagnostic.message === 'string' ? /named '([^']*)'/.exec(diagnostic.message)?.[1] : undefined;
                if (name !== undefined) {
                    diagnostic.message = `Unknown name '${name}': it is not a variable in scope, nor a definition or extern of this module or its imports.`;
                }
            }
        }
        return diagnostics;
    }
}

/**
 * A declaration cut short by a guard (cajal-lexer.ts, unbalanced-guard.ts) keeps its head, which
 * then lacks a body; the parser's complaint about that adds nothing to the guard's message.
 */
function withoutNestingCascades(document: LangiumDocument, diagnostics: Diagnostic[]): Diagnostic[] {
    const guards = diagnostics.filter(d => (d.data as { code?: string } | undefined)?.code === DocumentValidator.LexingError
        && typeof d.message === 'string' && (d.message.startsWith(NESTING_MESSAGE_START) || d.message.includes(UNBALANCED_MESSAGE_MARK)));
    if (guards.length === 0) return diagnostics;
    const module = document.parseResult.value as ast.Module;
    const spans = guards.map(guard => {
        const offset = document.textDocument.offsetAt(guard.range.start);
        const declarations = module.declarations ?? [];
        const index = declarations.findLastIndex(d => (d.$cstNode?.offset ?? Infinity) <= offset);
        const start = index >= 0 ? declarations[index].$cstNode!.offset : 0;
        const end = declarations[index + 1]?.$cstNode?.offset ?? document.textDocument.getText().length;
        return { start, end };
    });
    return diagnostics.filter(d => {
        if ((d.data as { code?: string } | undefined)?.code !== DocumentValidator.ParsingError) return true;
        const offset = document.textDocument.offsetAt(d.range.start);
        return !spans.some(span => offset >= span.start && offset <= span.end);
    });
}

import { DefaultDocumentValidator, DocumentValidator, type AstNode, type LangiumDocument, type ValidationOptions } from 'langium';
import type { CancellationToken, Diagnostic } from 'vscode-languageserver';
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
     * Visits the module and its top-level nodes only. Cajal's checks are registered per
     * declaration and cover everything inside it (type and linearity checking work on whole
     * declarations and are cached per declaration), so walking every term of a large file on
     * each edit would only look for checks that are not there.
     */
    protected override validateSingleNodeOptions(node: AstNode): { validateNode: boolean; validateChildren: boolean } {
        return { validateNode: true, validateChildren: ast.isModule(node) };
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

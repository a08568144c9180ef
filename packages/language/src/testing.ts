/**
 * `@cajal/language/testing` — helpers for tests of Cajal tools, kept out of the package's
 * main entry so that tools do not depend on them.
 */
import { URI, type LangiumDocument } from 'langium';
import type { Diagnostic } from 'vscode-languageserver';
import { createCajalCoreServices, type CajalServices } from './cajal-module.js';
import type * as ast from './generated/ast.js';
import { checkSourceText } from './workspace.js';

/** Parses and checks source text as if it were the file `name` (default: an in-memory file). */
export async function checkText(text: string, services?: CajalServices, name = `/virtual/${Math.random().toString(36).slice(2)}.cajal`): Promise<{ services: CajalServices; document: LangiumDocument<ast.Module>; diagnostics: Diagnostic[] }> {
    const cajal = services ?? createCajalCoreServices().Cajal;
    const document = await checkSourceText(text, cajal, URI.file(name));
    return { services: cajal, document, diagnostics: document.diagnostics ?? [] };
}

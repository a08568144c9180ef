import { URI, type LangiumDocuments } from 'langium';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ast } from '@cajal/language';
import { TOP_LEVEL_KEYWORDS } from '@cajal/language/lexical';

/**
 * Langium completes by re-parsing all the text before the cursor with its completion parser,
 * so completion cost grew with the file (20,000 lines: ~0.9 s). A top-level declaration
 * starts the grammar afresh (a module is its header and imports, then declarations), so the
 * text from the start of the declaration the cursor is in is an equivalent input: it gives
 * the same grammar position at the cursor. This is that text, as a document of its own, and
 * the cursor's offset in it; undefined where the file's parse does not fit the text (then
 * Langium parses the whole prefix, as before).
 */
export function declarationPrefix(documents: LangiumDocuments, textDocument: TextDocument, offset: number): { document: TextDocument; offset: number } | undefined {
    const uri = URI.parse(textDocument.uri);
    if (!documents.hasDocument(uri)) return undefined;
    const document = documents.getDocument(uri)!;
    if (document.textDocument.version !== textDocument.version) return undefined;
    const module = document.parseResult.value;
    if (!ast.isModule(module)) return undefined;
    let start: number | undefined;
    for (const declaration of module.declarations) {
        const at = declaration.$cstNode?.offset;
        if (at === undefined || at >= offset) break;
        start = at;
    }
    if (start === undefined || start === 0) return undefined;
    const text = textDocument.getText();
    // The declaration's keyword must be where the parse says (else the parse is of other text).
    const keyword = /^[a-z]+/.exec(text.slice(start, start + 8))?.[0];
    if (!keyword || !TOP_LEVEL_KEYWORDS.has(keyword)) return undefined;
    return { document: TextDocument.create(textDocument.uri, textDocument.languageId, textDocument.version, text.slice(start, offset)), offset: offset - start };
}


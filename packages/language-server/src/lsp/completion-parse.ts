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
    const span = declarationSpanAt(documents, textDocument, offset);
    if (!span) return undefined;
    const text = textDocument.getText();
    return { document: TextDocument.create(textDocument.uri, textDocument.languageId, textDocument.version, text.slice(span.start, offset)), offset: offset - span.start };
}

/**
 * The declaration the offset lies in, as the parse of this very text shows it: from its
 * keyword (after the module header) to the next declaration's, or the end of the text.
 * Found by binary search (reading every declaration's position would apply every edit's
 * waiting position shift, see langium-internals.ts). Undefined where the parse is of other
 * text, or the offset is in the header.
 */
export function declarationSpanAt(documents: LangiumDocuments, textDocument: TextDocument, offset: number): { start: number; end: number } | undefined {
    const uri = URI.parse(textDocument.uri);
    if (!documents.hasDocument(uri)) return undefined;
    const document = documents.getDocument(uri)!;
    if (document.textDocument.version !== textDocument.version) return undefined;
    const module = document.parseResult.value;
    if (!ast.isModule(module)) return undefined;
    const declarations = module.declarations;
    const startOf = (i: number): number => declarations[i].$cstNode?.offset ?? NaN;
    // The last declaration starting before the offset.
    let low = 0, high = declarations.length - 1, found = -1;
    while (low <= high) {
        const middle = (low + high) >> 1;
        const at = startOf(middle);
        if (Number.isNaN(at)) return undefined;
        if (at < offset) { found = middle; low = middle + 1; } else high = middle - 1;
    }
    if (found < 0) return undefined;
    const start = startOf(found);
    if (start === 0) return undefined;
    const text = textDocument.getText();
    // The declaration's keyword must be where the parse says (else the parse is of other text).
    const keyword = /^[a-z]+/.exec(text.slice(start, start + 8))?.[0];
    if (!keyword || !TOP_LEVEL_KEYWORDS.has(keyword)) return undefined;
    const next = found + 1 < declarations.length ? startOf(found + 1) : text.length;
    return { start, end: Number.isNaN(next) ? text.length : next };
}

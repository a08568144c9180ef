import { GrammarUtils, URI, type LangiumDocument } from 'langium';
import type { DocumentLinkProvider } from 'langium/lsp';
import type { CancellationToken, DocumentLink, DocumentLinkParams, Range } from 'vscode-languageserver';
import { ast, dataBaseDirectory, dataFilesOf, formatBytes, type DataFileStatus } from '@cajal/language';

/**
 * The files a train block will read, shown before it runs (docs/training.md, "Data files"):
 * `data "…"` options resolved as `cajal train` resolves them (against the folder of the
 * declaring file; `../x.csv` and absolute paths allowed), one line per file with its absolute
 * path, its size, or why it cannot be read. Hover on the option and on the block use it.
 */
export function dataFilesMarkdown(option: ast.DataOption, document: LangiumDocument): string | undefined {
    if (option.file === undefined) return undefined;
    const base = dataBaseDirectory(document);
    if (base === undefined) return `Reads \`${option.file}\`, relative to this file's folder once it is saved.`;
    const files = dataFilesOf(option, base) ?? [];
    return `Reads ${files.length === 1 ? 'the file' : `${files.length} files`}:\n\n${files.map(fileLine).join('\n')}`;
}

function fileLine(file: DataFileStatus): string {
    const field = file.field ? ` (field \`${file.field}\`)` : '';
    const state = file.problem !== undefined ? `**${file.problem}**` : `regular file, ${formatBytes(file.bytes ?? 0)}`;
    return `- \`${file.path}\`${field}: ${state}`;
}

/** The range of the option's path inside its quotes. */
function pathRange(option: ast.DataOption): Range | undefined {
    const node = GrammarUtils.findNodeForProperty(option.$cstNode, 'file');
    if (!node) return undefined;
    const { start, end } = node.range;
    // The string token is on one line: its quotes are its first and last characters.
    return start.line === end.line && end.character - start.character >= 2
        ? { start: { line: start.line, character: start.character + 1 }, end: { line: end.line, character: end.character - 1 } }
        : node.range;
}

/**
 * Document links (textDocument/documentLink) on the paths of `data "…"` options: Ctrl-click
 * opens the file training will read. Only files that exist as regular files are linked (a
 * link to nothing would open an error); a `.npy` path with `{field}` links the first
 * field's file and names the others in the tooltip.
 */
export class CajalDocumentLinkProvider implements DocumentLinkProvider {
    getDocumentLinks(document: LangiumDocument, _params: DocumentLinkParams, _cancelToken?: CancellationToken): DocumentLink[] {
        const base = dataBaseDirectory(document);
        if (base === undefined) return [];
        const links: DocumentLink[] = [];
        const module = document.parseResult.value;
        const options = ast.isModule(module) ? module.declarations.filter(ast.isTraining).flatMap(training => training.options.filter(ast.isDataOption)) : [];
        for (const option of options) {
            const readable = (dataFilesOf(option, base) ?? []).filter(file => file.problem === undefined);
            const range = pathRange(option);
            if (readable.length === 0 || !range) continue;
            const others = readable.slice(1).map(file => file.path);
            links.push({
                range, target: URI.file(readable[0].path).toString(),
                tooltip: `${readable[0].path}${others.length > 0 ? ` (also ${others.join(', ')})` : ''}`
            });
        }
        return links;
    }
}

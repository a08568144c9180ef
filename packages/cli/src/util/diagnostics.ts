import type { AstNode, LangiumDocument } from 'langium';
import { AstUtils, URI } from 'langium';
import type { Diagnostic } from 'vscode-languageserver';
import type { Writer } from '../command.js';
import { displayPath } from './files.js';

export type Severity = 'error' | 'warning' | 'info';

/** A diagnostic as the CLI prints it (`check --json`): 1-based lines and columns. */
export interface CliDiagnostic {
    readonly file: string;
    readonly line: number;
    readonly column: number;
    readonly endLine: number;
    readonly endColumn: number;
    readonly severity: Severity;
    readonly code: string;
    readonly message: string;
    readonly related: ReadonlyArray<{ readonly file: string; readonly line: number; readonly column: number; readonly message: string }>;
}

function severityOf(diagnostic: Diagnostic): Severity {
    switch (diagnostic.severity) {
        case 1: return 'error';
        case 2: return 'warning';
        default: return 'info';
    }
}

function fileOf(uri: string, cwd: string): string {
    return displayPath(URI.parse(uri).fsPath, cwd);
}

/** Converts one LSP diagnostic of a document (0-based positions) to the CLI's form. */
export function toCliDiagnostic(document: LangiumDocument, diagnostic: Diagnostic, cwd: string): CliDiagnostic {
    const { start, end } = diagnostic.range;
    return {
        file: fileOf(document.uri.toString(), cwd),
        line: start.line + 1,
        column: start.character + 1,
        endLine: end.line + 1,
        endColumn: end.character + 1,
        severity: severityOf(diagnostic),
        code: diagnostic.code === undefined ? 'unknown' : String(diagnostic.code),
        message: typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value,
        related: (diagnostic.relatedInformation ?? []).map(info => ({
            file: fileOf(info.location.uri, cwd),
            line: info.location.range.start.line + 1,
            column: info.location.range.start.character + 1,
            message: info.message
        }))
    };
}

/** The diagnostics of the documents, document by document, each sorted by position. */
export function collectDiagnostics(documents: readonly LangiumDocument[], cwd: string): CliDiagnostic[] {
    return documents.flatMap(document => [...(document.diagnostics ?? [])]
        .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character)
        .map(diagnostic => toCliDiagnostic(document, diagnostic, cwd)));
}

/** A diagnostic at a syntax node (e.g. a run-time error), with the node's source range. */
export function diagnosticAtNode(node: AstNode, code: string, message: string, cwd: string, severity: Severity = 'error'): CliDiagnostic {
    const document = AstUtils.getDocument(node);
    const range = node.$cstNode?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return {
        file: fileOf(document.uri.toString(), cwd),
        line: range.start.line + 1,
        column: range.start.character + 1,
        endLine: range.end.line + 1,
        endColumn: range.end.character + 1,
        severity,
        code,
        message,
        related: []
    };
}

/** `file:line:col: severity[code]: message`, then one indented line per related location. */
export function formatDiagnostic(diagnostic: CliDiagnostic): string {
    // Multi-line messages (the parser's lists of expected tokens) stay indented under their line.
    const message = diagnostic.message.replace(/\r?\n/g, '\n    ');
    const lines = [`${diagnostic.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.severity}[${diagnostic.code}]: ${message}`];
    for (const related of diagnostic.related) {
        lines.push(`    ${related.file}:${related.line}:${related.column}: ${related.message}`);
    }
    return lines.join('\n') + '\n';
}

/** The `--json` document of `cajal check`. */
export function diagnosticsJson(diagnostics: readonly CliDiagnostic[]): string {
    return JSON.stringify({ diagnostics }) + '\n';
}

export function writeDiagnostics(writer: Writer, diagnostics: readonly CliDiagnostic[]): void {
    for (const diagnostic of diagnostics) writer.write(formatDiagnostic(diagnostic));
}

/** "2 errors, 1 warning" (empty when there is nothing to count). */
export function summarize(diagnostics: readonly CliDiagnostic[]): string {
    const count = (severity: Severity, noun: string) => {
        const n = diagnostics.filter(d => d.severity === severity).length;
        return n === 0 ? [] : [`${n} ${noun}${n === 1 ? '' : 's'}`];
    };
    return [...count('error', 'error'), ...count('warning', 'warning'), ...count('info', 'note')].join(', ');
}

import { createCajalCoreServices, type CajalServices } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import type { Diagnostic } from 'vscode-languageserver';

/** One service container for a test file: each checked text is a new document in it. */
let shared: CajalServices | undefined;
export function services(): CajalServices {
    shared ??= createCajalCoreServices().Cajal;
    return shared;
}

/** Checks `text` as a fresh in-memory file and returns its diagnostics. */
export async function diagnose(text: string): Promise<Diagnostic[]> {
    return (await checkText(text, services())).diagnostics;
}

/** Checks `text` and returns the document and services, for evaluation and type queries. */
export async function check(text: string) {
    return checkText(text, services());
}

/** A range as 1-based `line:column-endLine:endColumn`, the way the CLI prints positions. */
export function span(range: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
    return `${range.start.line + 1}:${range.start.character + 1}-${range.end.line + 1}:${range.end.character + 1}`;
}

/** The source text a range covers. */
export function covered(text: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
    const lines = text.split('\n');
    const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    return text.slice(offset(range.start), offset(range.end));
}

/** Diagnostics reduced to what tests compare: code, span, covered text. */
export function summary(text: string, diagnostics: Diagnostic[]): Array<{ code: string; span: string; text: string }> {
    return diagnostics.map(d => ({ code: String(d.code), span: span(d.range), text: covered(text, d.range) }));
}

// Finding declarations in Cajal source text without the language server, for commands run
// from the palette (no code-lens arguments): "the definition under the cursor, else main".
// Comments are blanked first (keeping offsets) so `-- def x` never counts.
import { DECLARATION_KEYWORDS, scanBlockComment, type DeclarationKeyword } from '@cajal/language/lexical';

export interface DeclarationSpan {
    kind: DeclarationKeyword;
    name: string;
    /** Offset of the keyword. */
    start: number;
    /** Offset where the next top-level declaration starts (or the end of the text). */
    end: number;
}

/** Replaces comments (line `--…`, nestable block `{- … -}`) and strings by spaces, keeping newlines. */
export function blankComments(text: string): string {
    const out = text.split('');
    let i = 0;
    const blank = (from: number, to: number) => {
        for (let k = from; k < to; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = ' ';
    };
    while (i < text.length) {
        if (text.startsWith('{-', i)) {
            const { end: j } = scanBlockComment(text, i);
            blank(i, j);
            i = j;
        } else if (text.startsWith('--', i)) {
            let j = i;
            while (j < text.length && text[j] !== '\n') j++;
            blank(i, j);
            i = j;
        } else if (text[i] === '"') {
            let j = i + 1;
            while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
            blank(i, Math.min(j + 1, text.length));
            i = j + 1;
        } else {
            i++;
        }
    }
    return out.join('');
}

const declarationPattern = new RegExp(`(^|[^A-Za-z0-9_'])(${[...DECLARATION_KEYWORDS].join('|')})\\s+([A-Za-z_][A-Za-z0-9_']*)`, 'g');

export function findDeclarations(text: string): DeclarationSpan[] {
    const clean = blankComments(text);
    const found: DeclarationSpan[] = [];
    for (const match of clean.matchAll(declarationPattern)) {
        const start = (match.index ?? 0) + match[1].length;
        found.push({ kind: match[2] as DeclarationSpan['kind'], name: match[3], start, end: text.length });
    }
    for (let k = 0; k + 1 < found.length; k++) found[k].end = found[k + 1].start;
    return found;
}

/**
 * Whether `offset` lies in a declaration: from its keyword up to the next one's keyword
 * (excluded — a cursor at column 1 of `def main` is in main), or to the end of the text.
 */
function contains(span: DeclarationSpan, offset: number, textLength: number): boolean {
    return offset >= span.start && (offset < span.end || (span.end === textLength && offset === textLength));
}

/** The definition to run or show: the one containing `offset`, else `main` if it exists. */
export function runnableDefinitionAt(text: string, offset: number): string | undefined {
    const declarations = findDeclarations(text);
    const here = declarations.find(d => d.kind === 'def' && contains(d, offset, text.length));
    if (here) return here.name;
    return declarations.find(d => d.kind === 'def' && d.name === 'main')?.name;
}

/** The training declaration to run: the one containing `offset`, else the only/first one. */
export function trainingAt(text: string, offset: number): string | undefined {
    const trainings = findDeclarations(text).filter(d => d.kind === 'train');
    return (trainings.find(d => contains(d, offset, text.length)) ?? trainings[0])?.name;
}

/** What Show Neuron shows at `offset`: the definition or extern (a learned neuron) containing it, if any. */
export function neuronDeclarationAt(text: string, offset: number): { name: string; kind: 'def' | 'extern' } | undefined {
    const here = findDeclarations(text).find(d => (d.kind === 'def' || d.kind === 'extern') && contains(d, offset, text.length));
    return here ? { name: here.name, kind: here.kind as 'def' | 'extern' } : undefined;
}

/** Whether `name` is declared as an extern in `text`. */
export function isExternIn(text: string, name: string): boolean {
    return findDeclarations(text).some(d => d.kind === 'extern' && d.name === name);
}

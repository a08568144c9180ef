// The editing features of the real server process, over stdio with a real LSP client.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type {
    CodeAction, CodeLens, CompletionItem, CompletionList, Diagnostic, DocumentSymbol, FoldingRange, Hover, InlayHint,
    Location, LocationLink, Range, SemanticTokens, SignatureHelp, SymbolInformation, TextEdit, WorkspaceEdit
} from 'vscode-languageserver-protocol';
import { positionOf, startServer, type ServerSession } from './lsp-client.js';

const LOGIC = `-- Boolean logic and counting.
module logic

--| Negation: the linear neuron [[0, 1], [1, 0]].
def not : Bool -o Bool = fun x => if x then false else true

--| Conjunction.
def and (x : Bool) (y : Bool) : Bool =
  if x then y else if y then false else false

def parity : Nat -o Bool = fun n => iter n { zero => true ; succ y => not y }

def add (m : Nat) (n : Nat) : Nat = iter n { zero => m ; succ y => succ y }

extern isEven : Real[28, 28] -o Bool = mlp(16)

def bothEven (a : Real[28, 28]) (b : Real[28, 28]) : Bool = and (isEven a) (isEven b)

def main : Bool = let t = true in and t (parity 4)
`;

let server: ServerSession;
const uri = 'file:///virtual/features/logic.cajal';
let counter = 0;

beforeAll(async () => {
    server = await startServer();
    const diagnostics = await server.open(uri, LOGIC);
    expect(diagnostics).toEqual([]);
});
afterAll(async () => { await server.close(); });

const at = (needle: string, delta = 0, occurrence = 1) => ({ textDocument: { uri }, position: positionOf(LOGIC, needle, delta, occurrence) });
const hover = async (needle: string, delta = 0, occurrence = 1, target = uri, text = LOGIC): Promise<string> => {
    const result = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri: target }, position: positionOf(text, needle, delta, occurrence) });
    return result ? (result.contents as { value: string }).value : '';
};

function applyEdits(text: string, edits: TextEdit[]): string {
    const offsets = (position: { line: number; character: number }): number => {
        const lines = text.split('\n');
        let offset = 0;
        for (let i = 0; i < position.line; i++) offset += lines[i].length + 1;
        return offset + position.character;
    };
    const sorted = [...edits].sort((a, b) => offsets(b.range.start) - offsets(a.range.start));
    let result = text;
    for (const edit of sorted) {
        result = result.slice(0, offsets(edit.range.start)) + edit.newText + result.slice(offsets(edit.range.end));
    }
    return result;
}

describe('hover', () => {
    test('on a definition: type, linear neuron shape, doc comment and the labelled matrix', async () => {
        const text = await hover('def and', 4);
        expect(text).toContain('and : Bool -o Bool -o Bool');
        expect(text).toContain('linear neuron, weight matrix [4, 2] (8 weights), input Bool (2) → output Bool -o Bool (4)');
        expect(text).toContain('Conjunction.');
        // Rows a↦b of Bool -o Bool, columns x = true/false: and true = id, and false = const false.
        expect(text).toContain('| | true | false |');
        expect(text).toContain('| **true↦true** | 1 | 0 |');
        expect(text).toContain('| **false↦false** | 1 | 1 |');
    });

    test('on a use of a global: the same as on its definition', async () => {
        const text = await hover('not y', 1);
        expect(text).toContain('not : Bool -o Bool');
        expect(text).toContain('Negation');
        expect(text).toContain('| **true** | 0 | 1 |');
    });

    test('on a function an iter step makes polynomial: its matrix is exact on basis inputs only, applications substitute', async () => {
        const twiceUri = 'file:///virtual/features/twice.cajal';
        const text = 'def twice (f : Bool -o Bool) (x : Bool) : Bool = iter (2 : Nat[3]) { zero => x ; succ y => f y }\ndef linear (x : Bool) : Bool = x\n';
        const diagnostics = await server.open(twiceUri, text);
        expect(diagnostics.map(d => d.code)).toEqual(['linearity/iter-replicates']);
        expect(diagnostics[0].message).toContain('exact only on basis inputs; applying it substitutes the argument');
        const polynomial = await hover('def twice', 4, 1, twiceUri, text);
        expect(polynomial).toContain('Polynomial in `f`');
        expect(polynomial).toContain('exact only on basis inputs. Applying `twice` substitutes the argument');
        expect(await hover('def linear', 4, 1, twiceUri, text)).not.toContain('Polynomial');
    });

    test('on iter: a recurrent neuron unrolled k-1 steps with its state shape', async () => {
        const text = await hover('iter n { zero => true', 1);
        expect(text).toContain('Bool');
        expect(text).toContain('recurrent neuron, unrolled 9 steps');
        expect(text).toContain('state shape [2]');
    });

    test('on an extern: a linked network with input and output shapes and its parameter count', async () => {
        const text = await hover('extern isEven', 8);
        expect(text).toContain('isEven : Real[28, 28] -o Bool');
        expect(text).toContain('linked network, input Real[28, 28] shape [28, 28] → output Bool shape [2]');
        // mlp(16): 784·16 + 16 + 16·2 + 2 weights and biases.
        expect(text).toContain(`${(784 * 16 + 16 + 16 * 2 + 2).toLocaleString('en-US')} parameters`);
    });

    test('on the recurrent experiments\' externs: the per-image kernel step, the digit reader and the fixed blended dilation', async () => {
        const dilationUri = 'file:///virtual/features/dilation.cajal';
        const text = [
            'extern step : Real[28, 28] -o Real[28, 28] = hyperconv(8, 16, kernel = 5, pool = 3, pooling = last, window = 13)',
            'extern readDigit : Real[28, 28] -o Nat = cnn(8, 16, kernel = 5, pool = 3, pooling = last, output = raw)',
            'extern grow : Real[28, 28] -o Real[28, 28] = dilation(3, 1, blend = 0.7)',
            'extern bad : Real[28, 28] -o Real[10] = hyperconv(8)',
            ''
        ].join('\n');
        const diagnostics = await server.open(dilationUri, text);
        expect(diagnostics.map(d => d.message)).toEqual(['hyperconv: the per-image kernel step maps a one-channel image to one of the same size: its type must be Real[28, 28] -o Real[28, 28].']);
        expect(diagnostics[0].range.start.line).toBe(3);
        const step = await hover('extern step', 8, 1, dilationUri, text);
        expect(step).toContain(`${(208 + 3216 + 1296 * 169 + 169).toLocaleString('en-US')} parameters`);
        expect(step).toContain('per-image kernel step');
        expect(await hover('extern readDigit', 8, 1, dilationUri, text)).toContain(`${(208 + 3216 + 1296 * 10 + 10).toLocaleString('en-US')} parameters`);
        expect(await hover('extern grow', 8, 1, dilationUri, text)).toContain('(fixed, not trained)');
    });

    test('on externs: which reading, one network of all arguments or a network of its binders giving a function value', async () => {
        const readingsUri = 'file:///virtual/features/readings.cajal';
        const text = [
            'extern church (x : Real[28, 28]) : Bool -o Bool -o Bool = mlp(16)',
            'extern pairNet : Real[2] -o Real[3] -o Bool = mlp(4)',
            'extern wrong (x : Real[2]) : Real[2] -o Bool = mlp(4)',
            ''
        ].join('\n');
        const diagnostics = await server.open(readingsUri, text);
        expect(diagnostics.map(d => [d.range.start.line, d.range.start.character, d.code])).toEqual([[2, 29, 'extern/reading']]);
        const church = await hover('extern church', 8, 1, readingsUri, text);
        expect(church).toContain('church : Real[28, 28] -o Bool -o Bool -o Bool');
        // mlp(16) with an output of 8 numbers: 784·16 + 16 + 16·8 + 8.
        expect(church).toContain('linked network of its binders, input Real[28, 28] shape [28, 28] → output Bool -o Bool -o Bool shape [4, 2] '
            + `(a Bool -o Bool -o Bool matrix): a function value the program applies, ${(784 * 16 + 16 + 16 * 8 + 8).toLocaleString('en-US')} parameters`);
        const pair = await hover('extern pairNet', 8, 1, readingsUri, text);
        expect(pair).toContain('linked network of all 2 arguments (one network, inputs concatenated), inputs Real[2] shape [2], Real[3] shape [3] → output Bool shape [2]');
    });

    test('on a binder and on a use of a linear variable: its type, marked linear', async () => {
        const binder = await hover('fun n', 4);
        expect(binder).toContain('n : Nat');
        expect(binder).toContain('linear variable');
        expect(binder).toContain('one-hot');
        const use = await hover('not y', 4);
        expect(use).toContain('y : Bool');
        expect(use).toContain('linear variable');
        const inferredLet = await hover('let t', 4);
        expect(inferredLet).toContain('t : Bool');
    });

    test('on an expression: the type of the innermost term (a keyword of if, an application)', async () => {
        const conditional = await hover('if x then false', 0);
        expect(conditional).toContain('Bool');
        expect(conditional).toContain('bilinear gate');
        const lambda = await hover('fun x', 0);
        expect(lambda).toContain('Bool -o Bool');
        expect(lambda).toContain('weight matrix [2, 2]');
    });

    test('on a type: its dimension and shape', async () => {
        const text = await hover('Real[28, 28] -o', 0);
        expect(text).toContain('Real[28, 28]');
        expect(text).toContain('dimension 784');
    });
});

describe('navigation', () => {
    test('go to definition of a global and of a linear variable', async () => {
        const global = await server.request<LocationLink[]>('textDocument/definition', at('not y', 1));
        expect(global[0].targetSelectionRange.start).toEqual(positionOf(LOGIC, 'not :', 0));
        expect(global[0].targetUri).toBe(uri);
        const local = await server.request<LocationLink[]>('textDocument/definition', at('then y', 5));
        expect(local[0].targetSelectionRange.start).toEqual(positionOf(LOGIC, 'y : Bool', 0));
    });

    test('find references of a global includes every use', async () => {
        const refs = await server.request<Location[]>('textDocument/references', { ...at('def and', 4), context: { includeDeclaration: true } });
        const starts = refs.map(r => r.range.start).sort((a, b) => a.line - b.line || a.character - b.character);
        expect(starts).toEqual([positionOf(LOGIC, 'and (x', 0), positionOf(LOGIC, 'and (isEven', 0), positionOf(LOGIC, 'and t', 0)]);
    });

    test('document symbols: declarations with their types, parameters beneath', async () => {
        const symbols = await server.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
        expect(symbols.map(s => [s.name, s.detail])).toEqual([
            ['not', 'Bool -o Bool'], ['and', 'Bool -o Bool -o Bool'], ['parity', 'Nat -o Bool'], ['add', 'Nat -o Nat -o Nat'],
            ['isEven', 'Real[28, 28] -o Bool'], ['bothEven', 'Real[28, 28] -o Real[28, 28] -o Bool'], ['main', 'Bool']
        ]);
        expect(symbols[1].children?.map(c => [c.name, c.detail])).toEqual([['x', 'Bool'], ['y', 'Bool']]);
    });

    test('workspace symbols find globals by name', async () => {
        const symbols = await server.request<SymbolInformation[]>('workspace/symbol', { query: 'parit' });
        expect(symbols.map(s => s.name)).toContain('parity');
    });

    test('folding ranges cover multi-line declarations and comments', async () => {
        const text = 'def f (x : Bool) : Bool =\n  if x\n  then false\n  else true\n\n{- a\n   long\n   comment -}\ndef g : Bool = true\n';
        const foldUri = `file:///virtual/features/fold-${++counter}.cajal`;
        await server.open(foldUri, text);
        const ranges = await server.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri: foldUri } });
        expect(ranges.some(r => r.startLine === 0 && r.endLine >= 2)).toBe(true);
        expect(ranges.some(r => r.startLine === 5 && r.kind === 'comment')).toBe(true);
    });
});

describe('completion', () => {
    test('names in scope with their types, keywords and snippets', async () => {
        const text = 'def not : Bool -o Bool = fun x => if x then false else true\ndef f (flag : Bool) : Bool = \n';
        const completionUri = `file:///virtual/features/completion-${++counter}.cajal`;
        await server.open(completionUri, text);
        const result = await server.request<CompletionList | CompletionItem[]>('textDocument/completion', { textDocument: { uri: completionUri }, position: { line: 1, character: 29 } });
        const items = Array.isArray(result) ? result : result.items;
        const byLabel = new Map(items.map(item => [item.label, item]));
        expect(byLabel.get('flag')?.detail).toBe('Bool');
        expect(byLabel.get('not')?.detail).toBe('Bool -o Bool');
        expect(byLabel.has('if')).toBe(true);
        const snippet = items.find(item => item.kind === 15 /* Snippet */ && item.filterText === 'iter');
        expect(snippet?.insertText).toContain('zero =>');
        expect(items.some(item => item.kind === 15 && item.filterText === 'fun')).toBe(true);
    });
});

describe('semantic tokens', () => {
    test('linear variables, globals, externs, types and keywords get distinct token types', async () => {
        const legend = server.initializeResult.capabilities.semanticTokensProvider!.legend;
        const tokens = await server.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } });
        const lines = LOGIC.split('\n');
        let line = 0, character = 0;
        const decoded = new Map<string, string>();
        for (let i = 0; i < tokens.data.length; i += 5) {
            line += tokens.data[i];
            character = tokens.data[i] === 0 ? character + tokens.data[i + 1] : tokens.data[i + 1];
            const text = lines[line].slice(character, character + tokens.data[i + 2]);
            decoded.set(`${line}:${character}`, `${text}=${legend.tokenTypes[tokens.data[i + 3]]}`);
        }
        const typeAt = (needle: string, delta = 0, occurrence = 1) => {
            const p = positionOf(LOGIC, needle, delta, occurrence);
            return decoded.get(`${p.line}:${p.character}`);
        };
        expect(typeAt('x then false')).toBe('x=parameter');
        expect(typeAt('not y')).toBe('not=function');
        expect(typeAt('isEven a')).toBe('isEven=interface');
        expect(typeAt('Bool -o Bool = fun')).toBe('Bool=type');
        expect(typeAt('iter n')).toBe('iter=keyword');
        expect(typeAt('def not')).toBe('def=keyword');
        expect(typeAt('true ;')).toBe('true=enumMember');
    });
});

describe('formatting', () => {
    test('formats to the house layout, keeps comments, and is idempotent', async () => {
        const messy = '-- header comment\ndef   not:Bool-o Bool=fun x=>if x then false else true   -- trailing\n{- block -}\n\n\n\ndef and (x:Bool)(y : Bool):Bool=\nif x then y\n        else if y then false else false\n';
        const formatUri = `file:///virtual/features/format-${++counter}.cajal`;
        await server.open(formatUri, messy);
        const edits = await server.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri: formatUri }, options: { tabSize: 2, insertSpaces: true } });
        const formatted = applyEdits(messy, edits);
        expect(formatted).toBe('-- header comment\ndef not : Bool -o Bool = fun x => if x then false else true -- trailing\n{- block -}\n\ndef and (x : Bool) (y : Bool) : Bool =\n  if x then y\n  else if y then false else false\n');
        await server.change(formatUri, formatted, 2);
        const again = await server.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri: formatUri }, options: { tabSize: 2, insertSpaces: true } });
        expect(again).toEqual([]);
    });

    test('range formatting formats only the declaration under the range, as whole-file formatting would', async () => {
        expect(server.initializeResult.capabilities.documentRangeFormattingProvider).toBeTruthy();
        const messy = 'def   a:Bool=true\n\n\n\ndef b (x:Bool):Bool=\n        if x then false\n  else true\n-- about c\ndef c:Bool =   b   true\n';
        const formatUri = `file:///virtual/features/format-${++counter}.cajal`;
        await server.open(formatUri, messy);
        const inB = positionOf(messy, 'if x', 3);
        const options = { tabSize: 2, insertSpaces: true };
        const edits = await server.request<TextEdit[]>('textDocument/rangeFormatting', { textDocument: { uri: formatUri }, range: { start: inB, end: { line: inB.line, character: inB.character + 4 } }, options });
        const formatted = applyEdits(messy, edits);
        // `a`, the blank lines after it, the comment above `c` and `c` itself are untouched.
        expect(formatted).toBe('def   a:Bool=true\n\n\n\ndef b (x : Bool) : Bool =\n  if x then false\n  else true\n\n-- about c\ndef c:Bool =   b   true\n');
        for (const edit of edits) expect(edit.range.start.line).toBeGreaterThanOrEqual(4);
        // Formatting the rest, a range at a time, ends where whole-file formatting of the messy file does.
        await server.change(formatUri, formatted, 2);
        const inC = positionOf(formatted, 'b   true');
        const afterC = applyEdits(formatted, await server.request<TextEdit[]>('textDocument/rangeFormatting', { textDocument: { uri: formatUri }, range: { start: inC, end: inC }, options }));
        await server.change(formatUri, afterC, 3);
        const afterA = applyEdits(afterC, await server.request<TextEdit[]>('textDocument/rangeFormatting', { textDocument: { uri: formatUri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 3 } }, options }));
        expect(afterA).toBe('def a : Bool = true\n\ndef b (x : Bool) : Bool =\n  if x then false\n  else true\n\n-- about c\ndef c : Bool = b true\n');
        const wholeUri = `file:///virtual/features/format-${++counter}.cajal`;
        await server.open(wholeUri, messy);
        expect(applyEdits(messy, await server.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri: wholeUri }, options }))).toBe(afterA);
    });

    test('range formatting works on a declaration that parses while another one does not', async () => {
        // `f` is half-typed (no else branch); the parser reports that error at g's `def`.
        const broken = 'def f : Bool = if  true then false\n\ndef   g:Bool=(  true )\n\ndef h : Bool = (true\n';
        const formatUri = `file:///virtual/features/format-${++counter}.cajal`;
        const diagnostics = await server.open(formatUri, broken);
        expect(diagnostics.some(d => d.code === 'parse')).toBe(true);
        const options = { tabSize: 2, insertSpaces: true };
        const inG = positionOf(broken, 'true )');
        const edits = await server.request<TextEdit[]>('textDocument/rangeFormatting', { textDocument: { uri: formatUri }, range: { start: inG, end: inG }, options });
        expect(applyEdits(broken, edits)).toBe('def f : Bool = if  true then false\n\ndef g : Bool = (true)\n\ndef h : Bool = (true\n');
        // The broken declarations themselves are left alone, and so is the whole file.
        for (const needle of ['if  true', '(true\n']) {
            const at = positionOf(broken, needle);
            expect(await server.request<TextEdit[]>('textDocument/rangeFormatting', { textDocument: { uri: formatUri }, range: { start: at, end: at }, options })).toEqual([]);
        }
        expect(await server.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri: formatUri }, options })).toEqual([]);
    });

    test('a file that does not parse is left alone', async () => {
        const broken = 'def f : Bool = (true\n';
        const formatUri = `file:///virtual/features/format-${++counter}.cajal`;
        await server.open(formatUri, broken);
        const edits = await server.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri: formatUri }, options: { tabSize: 2, insertSpaces: true } });
        expect(edits).toEqual([]);
    });
});

describe('inlay hints and signature help', () => {
    test('inferred binder types are shown after unannotated binders', async () => {
        const hints = await server.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 30, character: 0 } } });
        const labels = hints.map(h => `${h.position.line}:${h.position.character}${h.label}`);
        const after = (needle: string, length: number) => { const p = positionOf(LOGIC, needle, length); return `${p.line}:${p.character}`; };
        expect(labels).toContain(`${after('fun x', 5)}: Bool`);
        expect(labels).toContain(`${after('fun n', 5)}: Nat`);
        expect(labels).toContain(`${after('succ y => not', 6)}: Bool`);
        expect(labels).toContain(`${after('let t', 5)}: Bool`);
        // Annotated parameters get none.
        expect(labels.some(l => l.startsWith(after('and (x', 6)))).toBe(false);
    });

    test('signature help for an application of a definition marks the current argument', async () => {
        const text = `${LOGIC}\ndef probe : Bool = and true \n`;
        const sigUri = `file:///virtual/features/signature-${++counter}.cajal`;
        await server.open(sigUri, text);
        const position = positionOf(text, 'and true ', 9);
        const help = await server.request<SignatureHelp | null>('textDocument/signatureHelp', { textDocument: { uri: sigUri }, position });
        expect(help?.signatures[0].label).toBe('and (x : Bool) (y : Bool) : Bool');
        expect(help?.activeParameter).toBe(1);
        const first = await server.request<SignatureHelp | null>('textDocument/signatureHelp', { textDocument: { uri: sigUri }, position: positionOf(text, 'and true ', 4) });
        expect(first?.activeParameter).toBe(0);
        const [start, end] = first!.signatures[0].parameters![0].label as [number, number];
        expect(first!.signatures[0].label.slice(start, end)).toBe('(x : Bool)');
    });
});

describe('rename', () => {
    test('renames a global across its uses', async () => {
        const edit = await server.request<WorkspaceEdit>('textDocument/rename', { ...at('def and', 4), newName: 'conj' });
        const edits = edit.changes![uri];
        expect(edits).toHaveLength(3);
        const renamed = applyEdits(LOGIC, edits);
        expect(renamed).toContain('def conj (x : Bool)');
        expect(renamed).toContain('conj (isEven a) (isEven b)');
        expect(renamed).toContain('in conj t (parity 4)');
        // Only the comment still says "and".
        expect(renamed.split('\n').filter(line => /\band\b/.test(line))).toEqual(['-- Boolean logic and counting.']);
    });

    test('renames a linear variable in its scope only', async () => {
        const edit = await server.request<WorkspaceEdit>('textDocument/rename', { ...at('fun n', 4), newName: 'count' });
        const renamed = applyEdits(LOGIC, edit.changes![uri]);
        expect(renamed).toContain('fun count => iter count {');
        expect(renamed).toContain('def add (m : Nat) (n : Nat)');
    });

    test('refuses keywords, invalid names and clashes', async () => {
        await expect(server.request('textDocument/rename', { ...at('def and', 4), newName: 'iter' })).rejects.toThrow(/keyword/);
        await expect(server.request('textDocument/rename', { ...at('def and', 4), newName: '1x' })).rejects.toThrow(/not a valid name/);
        await expect(server.request('textDocument/rename', { ...at('def and', 4), newName: 'not' })).rejects.toThrow(/already defined/);
        // Renaming the parameter y of `and` to x would clash with the other parameter.
        await expect(server.request('textDocument/rename', { ...at('(y : Bool) : Bool =', 1), newName: 'x' })).rejects.toThrow(/already/);
        // Renaming the step variable y to m would capture nothing but m is used in the base: shadowing is refused.
        await expect(server.request('textDocument/rename', { ...at('succ y => succ', 5), newName: 'm' })).rejects.toThrow();
    });

    test('prepareRename gives the name range, and nothing on a keyword', async () => {
        const range = await server.request<Range | null>('textDocument/prepareRename', at('def and', 5));
        expect(range).toEqual({ start: positionOf(LOGIC, 'and (x', 0), end: positionOf(LOGIC, 'and (x', 3) });
        const none = await server.request<Range | null>('textDocument/prepareRename', at('iter n', 1));
        expect(none).toBeNull();
    });
});

describe('code actions', () => {
    async function fixes(text: string, code: string): Promise<{ actions: CodeAction[]; diagnostic: Diagnostic; fixUri: string }> {
        const fixUri = `file:///virtual/features/fix-${++counter}.cajal`;
        const diagnostics = await server.open(fixUri, text);
        const diagnostic = diagnostics.find(d => d.code === code)!;
        expect(diagnostic).toBeDefined();
        const actions = await server.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: fixUri }, range: diagnostic.range, context: { diagnostics: [diagnostic] } });
        return { actions, diagnostic, fixUri };
    }

    async function applyAndCheck(text: string, action: CodeAction, fixUri: string): Promise<{ text: string; diagnostics: Diagnostic[] }> {
        const fixed = applyEdits(text, action.edit!.changes![fixUri]);
        const diagnostics = await server.change(fixUri, fixed, 2);
        return { text: fixed, diagnostics };
    }

    test('an unused Bool variable is consumed in both branches, and the error goes', async () => {
        const text = 'def f (x : Bool) (y : Bool) : Bool = x\n';
        const { actions, fixUri } = await fixes(text, 'linearity/unused');
        expect(actions[0].title).toContain("Consume 'y'");
        const result = await applyAndCheck(text, actions[0], fixUri);
        expect(result.text).toBe('def f (x : Bool) (y : Bool) : Bool = if y then x else x\n');
        expect(result.diagnostics).toEqual([]);
    });

    test('an unused Nat variable is consumed by an iter that changes nothing', async () => {
        const text = 'def f (b : Bool) (n : Nat) : Bool = b\n';
        const { actions, fixUri } = await fixes(text, 'linearity/unused');
        const result = await applyAndCheck(text, actions[0], fixUri);
        expect(result.text).toBe('def f (b : Bool) (n : Nat) : Bool = iter n { zero => b ; succ y => y }\n');
        expect(result.diagnostics).toEqual([]);
    });

    test('a branch mismatch is fixed by consuming the variable in the other branch', async () => {
        const text = 'def f (x : Bool) (y : Bool) : Bool = if x then y else false\n';
        const { actions, fixUri } = await fixes(text, 'linearity/branch-mismatch');
        expect(actions[0].title).toContain("'y'");
        const result = await applyAndCheck(text, actions[0], fixUri);
        expect(result.text).toBe('def f (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false\n');
        expect(result.diagnostics).toEqual([]);
    });

    test('a missing annotation is added with the type the use needs', async () => {
        const text = 'def not : Bool -o Bool = fun x => if x then false else true\ndef g : Bool = let h = fun x => not x in h true\n';
        const { actions, fixUri } = await fixes(text, 'type/cannot-infer');
        expect(actions[0].title).toBe("Annotate 'x' as Bool (as its use needs)");
        const result = await applyAndCheck(text, actions[0], fixUri);
        expect(result.text).toContain('let h = fun (x : Bool) => not x in h true');
        expect(result.diagnostics).toEqual([]);
    });

    test('a duplicate definition is renamed to a free name', async () => {
        const text = 'def f : Bool = true\ndef f2 : Bool = true\ndef f : Bool = false\n';
        const { actions, fixUri } = await fixes(text, 'name/duplicate');
        expect(actions[0].title).toBe("Rename this 'f' to 'f3'");
        const result = await applyAndCheck(text, actions[0], fixUri);
        expect(result.text).toBe('def f : Bool = true\ndef f2 : Bool = true\ndef f3 : Bool = false\n');
        expect(result.diagnostics).toEqual([]);
    });
});

describe('code lens and custom requests', () => {
    test('run and show-neuron lenses above runnable definitions, none above those needing an extern', async () => {
        const lenses = await server.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
        const commands = lenses.map(l => `${l.range.start.line}:${l.command!.command}:${(l.command!.arguments as string[])[1]}`);
        const line = (needle: string) => positionOf(LOGIC, needle).line;
        expect(commands).toContain(`${line('def and')}:cajal.run:and`);
        expect(commands).toContain(`${line('def and')}:cajal.showNeuron:and`);
        expect(commands.some(c => c.endsWith(':bothEven'))).toBe(false);
        expect(lenses.every(l => (l.command!.arguments as string[])[0] === uri)).toBe(true);
    });

    test('no run or show-neuron lens above a definition with an error of its own', async () => {
        const text = 'def good : Bool = true\n\ndef bad : Bool -o Bool = fun x => true\n\ndef other : Bool = good\n';
        const badUri = `file:///virtual/features/lens-errors-${++counter}.cajal`;
        await server.open(badUri, text);
        const lenses = await server.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: badUri } });
        const named = [...new Set(lenses.map(l => (l.command!.arguments as string[])[1]))];
        expect(named).toEqual(['good', 'other']);
    });

    test('a train lens above train blocks', async () => {
        const text = 'extern isEven : Real[28, 28] -o Bool = mlp(8)\n\ntrain parity {\n  data mnist (image, digit);\n  model isEven image;\n  target true;\n}\n';
        const trainUri = `file:///virtual/features/train-${++counter}.cajal`;
        await server.open(trainUri, text);
        const lenses = await server.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: trainUri } });
        expect(lenses.map(l => [l.range.start.line, l.command!.command, l.command!.arguments])).toEqual([[2, 'cajal.train', [trainUri, 'parity']]]);
    });

    test('cajal/neuron returns the labelled matrix of a closed definition', async () => {
        const neuron = await server.request<{ name: string; type: string; shape: number[]; weights: number; data: number[]; rows: string[]; cols: string[] }>('cajal/neuron', { uri, name: 'not' });
        expect(neuron).toEqual({ name: 'not', type: 'Bool -o Bool', shape: [2, 2], weights: 4, data: [0, 1, 1, 0], rows: ['true', 'false'], cols: ['true', 'false'] });
        const add = await server.request<{ shape: number[]; data: number[] }>('cajal/neuron', { uri, name: 'add' });
        expect(add.shape).toEqual([100, 10]);
        // Column m = 2, row flat(add 2)[n = 3 ↦ 5] = 5*10 + 3.
        expect(add.data[(5 * 10 + 3) * 10 + 2]).toBe(1);
        expect(add.data.reduce((a, b) => a + b, 0)).toBe(100 - 45); // overflowing sums fall off the top
    });

    test('cajal/neuron explains what it cannot compute', async () => {
        expect(await server.request('cajal/neuron', { uri, name: 'nothing' })).toEqual({ error: expect.stringContaining("no definition 'nothing'") });
        expect(await server.request('cajal/neuron', { uri, name: 'isEven' })).toEqual({ error: expect.stringContaining('extern') });
        expect(await server.request('cajal/neuron', { uri, name: 'bothEven' })).toEqual({ error: expect.stringContaining("'isEven'") });
    });

    test('cajal/compileTfjs returns an ES module and its declarations', async () => {
        const result = await server.request<{ files: Array<{ name: string; text: string }> }>('cajal/compileTfjs', { uri });
        expect(result.files.map(f => f.name)).toEqual(['logic.js', 'logic.d.ts']);
        expect(result.files[0].text).toContain('export function and(');
        expect(result.files[0].text).toContain('@tensorflow/tfjs');
        const broken = `file:///virtual/features/broken-${++counter}.cajal`;
        await server.open(broken, 'def f : Bool = zero\n');
        expect(await server.request('cajal/compileTfjs', { uri: broken })).toEqual({ error: expect.stringContaining('1:16: Expected Bool') });
    });
});

// After edits, semantic tokens and the outline are those of the same text opened afresh
// (issue 17): the server keeps each declaration's tokens while the incremental parser keeps
// the declaration, so a kept declaration whose names now link elsewhere, or that moved, must
// not keep stale tokens. Over stdio with the real server.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DocumentSymbol, SemanticTokens } from 'vscode-languageserver-protocol';
import { positionOf, startServer, type ServerSession } from './lsp-client.js';

let server: ServerSession;
let counter = 0;

beforeAll(async () => { server = await startServer(); }, 30_000);
afterAll(async () => { await server.close(); });

const BASE = `-- Semantic tokens after edits.
extern e : Bool -o Bool
def g (x : Bool) : Bool = if x then false else true
def user (x : Bool) : Bool = g (later x)
def later (x : Bool) : Bool = x   def same (y : Bool) : Bool = g (e y)
def h (n : Nat) : Nat = iter n { zero => 2 ; succ k => succ k }
def r : Real[2, 3] -o Real[2, 3] = fun v => v
`;

/** Each edit from the text before it, and what it tests. */
const EDITS: Array<{ what: string; edit: (text: string) => string }> = [
    { what: 'a body changed (the definition re-parsed, its users kept)', edit: t => t.replace('if x then false else true', 'if x then true else false') },
    { what: 'a line added at the top (a full parse: the header changed)', edit: t => t.replace('-- Semantic', '\n-- moved\n-- Semantic') },
    { what: 'a line break in the first definition (every later declaration moved, kept)', edit: t => t.replace('def g (x : Bool) : Bool = if', 'def g (x : Bool) : Bool =\n  if') },
    { what: 'a definition became an extern (a kept user now links to it)', edit: t => t.replace('def g (x : Bool) : Bool =\n  if x then true else false', 'extern g : Bool -o Bool') },
    { what: 'text added before a declaration on the same line (its columns moved)', edit: t => t.replace('x   def same', 'x  {- c -}  def same') },
    { what: 'a name that links nowhere', edit: t => t.replace('g (later x)', 'g (fresh x)') },
    { what: 'the name defined at the end', edit: t => `${t}def fresh (x : Bool) : Bool = x\n` },
    { what: 'the module header changed (a full parse)', edit: t => `module m\n${t}` }
];

async function tokensAndSymbols(uri: string) {
    const tokens = await server.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } });
    const symbols = await server.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    return { tokens: tokens.data, symbols };
}

/** The token type at a position ("g=function"), decoded from the relative encoding. */
function tokenAt(text: string, data: number[], position: { line: number; character: number }): string | undefined {
    const legend = server.initializeResult.capabilities.semanticTokensProvider!.legend;
    const lines = text.split('\n');
    let line = 0, character = 0;
    for (let i = 0; i < data.length; i += 5) {
        line += data[i];
        character = data[i] === 0 ? character + data[i + 1] : data[i + 1];
        if (line === position.line && character === position.character) return `${lines[line].slice(character, character + data[i + 2])}=${legend.tokenTypes[data[i + 3]]}`;
    }
    return undefined;
}

describe('semantic tokens and document symbols after edits', () => {
    test('equal those of a fresh open after each kind of edit', async () => {
        const uri = `file:///virtual/incremental/${++counter}.cajal`;
        let text = BASE;
        await server.open(uri, text);
        let before = await tokensAndSymbols(uri);
        expect(tokenAt(text, before.tokens, positionOf(text, 'g (later'))).toBe('g=function');
        expect(tokenAt(text, before.tokens, positionOf(text, 'same'))).toBe('same=function');
        let version = 1;
        for (const { what, edit } of EDITS) {
            const next = edit(text);
            expect(next, what).not.toBe(text);
            text = next;
            await server.change(uri, text, ++version);
            const after = await tokensAndSymbols(uri);
            await server.open(`file:///virtual/incremental/${++counter}-fresh.cajal`, text);
            const fresh = await tokensAndSymbols(`file:///virtual/incremental/${counter}-fresh.cajal`);
            expect(after.tokens, what).toEqual(fresh.tokens);
            expect(after.symbols, what).toEqual(fresh.symbols);
            before = after;
        }
        // The edits did what they should: the kept user's `g` is now an extern, `fresh` is a definition.
        expect(tokenAt(text, before.tokens, positionOf(text, 'g (fresh'))).toBe('g=interface');
        expect(tokenAt(text, before.tokens, positionOf(text, 'fresh x'))).toBe('fresh=function');
        expect(tokenAt(text, before.tokens, positionOf(text, 'same'))).toBe('same=function');
        expect(before.symbols.map(s => s.name)).toEqual(['e', 'g', 'user', 'later', 'same', 'h', 'r', 'fresh']);
    }, 60_000);
});

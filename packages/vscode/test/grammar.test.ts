// The TextMate grammar as VS Code runs it: vscode-textmate with the Oniguruma engine
// (the libraries VS Code itself uses) tokenizes the shipped examples.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const repo = path.resolve(import.meta.dirname, '..', '..', '..');
let grammar: textmate.IGrammar;

beforeAll(async () => {
    const wasm = fs.readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('vscode-oniguruma')), 'onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
    const registry = new textmate.Registry({
        onigLib: Promise.resolve({ createOnigScanner: patterns => new oniguruma.OnigScanner(patterns), createOnigString: text => new oniguruma.OnigString(text) }),
        loadGrammar: async () => textmate.parseRawGrammar(fs.readFileSync(path.join(repo, 'syntaxes', 'cajal.tmLanguage.json'), 'utf8'), 'cajal.tmLanguage.json')
    });
    grammar = (await registry.loadGrammar('source.cajal'))!;
});

/** Each line's tokens as [text, innermost scope]. */
function tokenize(text: string): [string, string][][] {
    let state = textmate.INITIAL;
    return text.split('\n').map(line => {
        const result = grammar.tokenizeLine(line, state);
        state = result.ruleStack;
        return result.tokens.map(token => [line.slice(token.startIndex, token.endIndex), token.scopes[token.scopes.length - 1]] as [string, string]);
    });
}

describe('the TextMate grammar', () => {
    it('nests block comments: text after an inner -} is still comment (examples/logic.cajal)', () => {
        const lines = fs.readFileSync(path.join(repo, 'examples', 'logic.cajal'), 'utf8').split('\n');
        const index = lines.findIndex(l => l.startsWith('{- Block comments {- nest -}'));
        expect(index).toBeGreaterThanOrEqual(0);
        const [comment, next] = tokenize(`${lines[index]}\n${lines[index + 1]}`);
        expect(comment.every(([, scope]) => scope.startsWith('comment.block') || scope.startsWith('punctuation.definition.comment')), JSON.stringify(comment)).toBe(true);
        expect(next[0]).toEqual(['def', 'keyword.control.cajal']);
    });

    it('keeps a comment open over lines until its own -} closes it', () => {
        const tokens = tokenize('{- outer\n{- inner -} still outer\n-} def');
        expect(tokens[1].map(([, scope]) => scope.startsWith('comment') || scope.startsWith('punctuation.definition.comment'))).not.toContain(false);
        expect(tokens[2].at(-1)).toEqual(['def', 'keyword.control.cajal']);
    });
});

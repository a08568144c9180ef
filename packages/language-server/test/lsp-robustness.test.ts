// Robustness: random edits (insertions, deletions, garbage, unbalanced brackets, very deep
// nesting) to the example files, sent to the real server process; after each edit a batch
// of requests. The server must answer every request (a result, or a protocol error that is
// not an internal failure) and never exit.
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DidChangeTextDocumentNotification, ResponseError, type Diagnostic, type DocumentSymbol, type Hover, type SemanticTokens } from 'vscode-languageserver-protocol/node';
import { positionOf, startServer, type ServerSession } from './lsp-client.js';
import { exampleFiles as allExampleFiles } from '../../../test/example-files.js';

const INTERNAL_ERROR = -32603;

function exampleFiles(): Array<{ name: string; text: string }> {
    return allExampleFiles().map(([name, text]) => ({ name, text }));
}

type Edit =
    | { kind: 'insert'; at: number; text: string }
    | { kind: 'delete'; at: number; length: number };

const FRAGMENTS = ['(', ')', '{', '}', '[', ']', ' if ', ' then ', ' else ', ' fun x => ', ' iter ', ' zero => ', ' ; succ ', ' let ', ' in ',
    ' def ', ' extern ', ' train ', ' -o ', ' : ', ' = ', ' => ', ',', ';', '{-', '-}', '--', '"', 'λ', '\\', '⊸', '⊗', '\n', 'true', 'x', '0', '99999999999999999999'];

const editArbitrary: fc.Arbitrary<Edit> = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...FRAGMENTS) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 8 }).map(parts => parts.join('')) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) })
);

function apply(text: string, edit: Edit): string {
    const at = text.length === 0 ? 0 : edit.at % (text.length + 1);
    return edit.kind === 'insert' ? text.slice(0, at) + edit.text + text.slice(at) : text.slice(0, at) + text.slice(at + edit.length);
}

let server: ServerSession;
let exitedEarly = false;

beforeAll(async () => {
    server = await startServer();
    void server.exited.then(() => { exitedEarly = true; });
});
afterAll(async () => { await server.close(); });

/** Sends requests of every kind at a position; each must be answered without an internal error. */
async function probe(uri: string, text: string, offset: number): Promise<void> {
    const before = text.slice(0, Math.min(offset, text.length)).split('\n');
    const position = { line: before.length - 1, character: before[before.length - 1].length };
    const textDocument = { uri };
    const requests: Array<[string, unknown]> = [
        ['textDocument/hover', { textDocument, position }],
        ['textDocument/completion', { textDocument, position }],
        ['textDocument/definition', { textDocument, position }],
        ['textDocument/references', { textDocument, position, context: { includeDeclaration: true } }],
        ['textDocument/signatureHelp', { textDocument, position }],
        ['textDocument/documentSymbol', { textDocument }],
        ['textDocument/semanticTokens/full', { textDocument }],
        ['textDocument/foldingRange', { textDocument }],
        ['textDocument/inlayHint', { textDocument, range: { start: { line: 0, character: 0 }, end: position } }],
        ['textDocument/codeLens', { textDocument }],
        ['textDocument/formatting', { textDocument, options: { tabSize: 2, insertSpaces: true } }],
        ['textDocument/prepareRename', { textDocument, position }],
        ['textDocument/codeAction', { textDocument, range: { start: position, end: position }, context: { diagnostics: [] } }]
    ];
    await Promise.all(requests.map(async ([method, params]) => {
        try {
            await server.request(method, params);
        } catch (error) {
            expect(error, `${method} failed`).toBeInstanceOf(ResponseError);
            expect((error as ResponseError<unknown>).code, `${method}: ${(error as Error).message}`).not.toBe(INTERNAL_ERROR);
        }
    }));
}

test('random edits of the examples never stop the server, and every request is answered', async () => {
    const examples = exampleFiles();
    expect(examples.length).toBeGreaterThan(0);
    let documentCounter = 0;
    await fc.assert(fc.asyncProperty(
        fc.constantFrom(...examples), fc.array(editArbitrary, { minLength: 1, maxLength: 6 }), fc.nat(),
        async (example, edits, probeAt) => {
            const uri = `file:///virtual/robust/${++documentCounter}-${path.basename(example.name)}`;
            let text = example.text;
            await server.open(uri, text);
            let version = 1;
            let diagnostics: Diagnostic[] = [];
            const tokensAndSymbols = async (of: string) => ({
                tokens: (await server.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri: of } })).data,
                symbols: await server.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: of } })
            });
            // Semantic tokens are cached per declaration: asked for after every edit, so later edits find them cached.
            await tokensAndSymbols(uri);
            for (const edit of edits) {
                text = apply(text, edit);
                // Diagnostics must come for every state of the text.
                diagnostics = await server.change(uri, text, ++version);
                await tokensAndSymbols(uri);
            }
            // And after the edits (re-checked incrementally) they are those of the text checked afresh, as are the tokens and the outline.
            const fresh = await server.open(`${uri}-fresh.cajal`, text);
            const withoutUris = (list: Diagnostic[]) => list.map(d => ({ ...d, relatedInformation: d.relatedInformation?.map(r => ({ ...r, location: { ...r.location, uri: '' } })) }));
            expect(withoutUris(diagnostics)).toEqual(withoutUris(fresh));
            expect(await tokensAndSymbols(uri)).toEqual(await tokensAndSymbols(`${uri}-fresh.cajal`));
            await probe(uri, text, text.length === 0 ? 0 : probeAt % (text.length + 1));
            expect(exitedEarly).toBe(false);
        }
    ), { numRuns: 60, seed: 20251122 });
}, 600_000);

test('unbalanced brackets, garbage and 10,000-deep nesting are answered too', async () => {
    const depth = 10_000;
    const texts = [
        `def f : Bool = ${'('.repeat(depth)}true`,
        `def f : Bool = ${')'.repeat(depth)}`,
        `def f : Bool = ${'{'.repeat(200)}${'['.repeat(200)}`,
        `def f : Bool = ${'fun x => '.repeat(depth)}x`,
        `def f : Bool = ${'let x = true in '.repeat(depth)}x`,
        `def f : Nat = ${'succ ('.repeat(depth)}zero${')'.repeat(depth)}`,
        `def f : Bool = ${'if true then '.repeat(depth)}true`,
        `${'{-'.repeat(depth)} never closed`,
        '\u0000\u0001\uffff\ud800 garbage ☃ def def def : : = = =>',
        `def f (x : ${'Bool -o '.repeat(depth)}Bool) : Bool = x`,
        `def g : Bool = ${'not '.repeat(depth)}true\ndef not : Bool -o Bool = fun x => if x then false else true`
    ];
    for (const [index, text] of texts.entries()) {
        const uri = `file:///virtual/robust/extreme-${index}.cajal`;
        const diagnostics = await server.open(uri, text);
        expect(Array.isArray(diagnostics)).toBe(true);
        await probe(uri, text, Math.floor(text.length / 2));
        await probe(uri, text, text.length);
        expect(exitedEarly).toBe(false);
    }
}, 600_000);

/** Sends edits without waiting for anything: a burst, as fast as a client can write them. */
function burst(uri: string, texts: readonly string[], firstVersion: number): void {
    texts.forEach((text, i) => {
        void server.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: firstVersion + i }, contentChanges: [{ text }] });
    });
}

test('burst mode: random edits sent without waiting; requests are answered, and the diagnostics are those of the newest text', async () => {
    const examples = exampleFiles();
    let documentCounter = 0;
    await fc.assert(fc.asyncProperty(
        fc.constantFrom(...examples), fc.array(editArbitrary, { minLength: 1, maxLength: 40 }), fc.nat(),
        async (example, edits, probeAt) => {
            const uri = `file:///virtual/burst/${++documentCounter}-${path.basename(example.name)}`;
            let text = example.text;
            await server.open(uri, text);
            const texts = edits.map(edit => (text = apply(text, edit)));
            const since = server.published.length;
            burst(uri, texts, 2);
            await probe(uri, text, text.length === 0 ? 0 : probeAt % (text.length + 1));
            // The diagnostics last published for the document become those of the final text
            // checked afresh (publishDiagnostics carries no version: wait for them, up to 10 s).
            const withoutUris = (list: Diagnostic[]) => list.map(d => ({ ...d, relatedInformation: d.relatedInformation?.map(r => ({ ...r, location: { ...r.location, uri: '' } })) }));
            const fresh = withoutUris(await server.open(`${uri}-fresh.cajal`, text));
            const latest = () => withoutUris(server.published.slice(since).filter(p => p.uri === uri).pop()?.diagnostics ?? [{ message: 'none yet' } as Diagnostic]);
            for (let waited = 0; waited < 10_000 && JSON.stringify(latest()) !== JSON.stringify(fresh); waited += 50) {
                await new Promise(resolve => setTimeout(resolve, 50));
            }
            expect(latest()).toEqual(fresh);
            expect(exitedEarly).toBe(false);
        }
    ), { numRuns: 30, seed: 20261129 });
}, 600_000);

test('burst mode: after 100 edits sent at once, a hover answers against the newest text, and outdated builds are skipped', async () => {
    // (How fast is a benchmark row, not a test: `node bench/run.mjs --only burst`.)
    const uri = 'file:///virtual/burst/latency.cajal';
    const base = 'def not (x : Bool) : Bool = if x then false else true\n';
    await server.open(uri, base);
    const publishedBefore = server.published.length;
    for (let round = 0; round < 5; round++) {
        const texts = Array.from({ length: 100 }, (_, i) => `${base}def v${round}x${i} : Bool = not true\n`);
        burst(uri, texts, 1000 * (round + 1));
        const newest = texts[texts.length - 1];
        const hover = await server.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(newest, `v${round}x99`, 1) });
        // Against the newest text: the name defined only by the last edit.
        expect((hover.contents as { value: string }).value).toContain(`v${round}x99 : Bool`);
    }
    await new Promise(resolve => setTimeout(resolve, 1000));
    // Every build that ran to the end publishes diagnostics: a build per edit would be 500.
    const publishes = server.published.slice(publishedBefore).filter(p => p.uri === uri).length;
    expect(publishes).toBeGreaterThanOrEqual(1); // a round's build may be overtaken by the next burst before it publishes
    expect(publishes, `${publishes} builds published for 500 edits`).toBeLessThan(100);
}, 60_000);

import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { AstUtils, URI, type AstNode, type CstNode, type FileSystemProvider, type LangiumDocument } from 'langium';
import { ast, CajalDocumentFactory, createCajalCoreServices, findLeafAt, type CajalParser } from '@cajal/language';

/**
 * Incremental checking must be invisible: after any sequence of edits, a document that was
 * re-parsed, re-linked and re-checked incrementally has the same tree, positions, errors and
 * diagnostics as the same text checked from scratch.
 */

const examplesDir = path.resolve(__dirname, '../../../../examples');
const examples = readdirSync(examplesDir).filter(name => name.endsWith('.cajal')).map(name => readFileSync(path.join(examplesDir, name), 'utf-8'));

/** A workspace whose files live in memory; `edit` replaces a file's text and rebuilds it. */
function workspace() {
    const files = new Map<string, string>();
    const fileSystemProvider: FileSystemProvider = {
        readFile: async uri => files.get(uri.toString()) ?? '',
        readFileSync: uri => files.get(uri.toString()) ?? '',
        stat: async uri => ({ uri, isFile: true, isDirectory: false }),
        statSync: uri => ({ uri, isFile: true, isDirectory: false }),
        exists: async uri => files.has(uri.toString()),
        existsSync: uri => files.has(uri.toString()),
        readBinary: async () => new Uint8Array(),
        readBinarySync: () => new Uint8Array(),
        readDirectory: async () => [],
        readDirectorySync: () => []
    };
    const { shared, Cajal } = createCajalCoreServices({ fileSystemProvider: () => fileSystemProvider });
    const factory = shared.workspace.LangiumDocumentFactory as CajalDocumentFactory;
    return {
        Cajal, factory,
        async open(name: string, text: string): Promise<LangiumDocument> {
            const uri = URI.parse(`file:///incremental/${name}`);
            files.set(uri.toString(), text);
            const document = await shared.workspace.LangiumDocuments.getOrCreateDocument(uri);
            await shared.workspace.DocumentBuilder.build([document], { validation: true });
            return document;
        },
        /** The document `name` with this text, parsed and checked from scratch. */
        async reopen(name: string, text: string): Promise<LangiumDocument> {
            const uri = URI.parse(`file:///incremental/${name}`);
            if (shared.workspace.LangiumDocuments.hasDocument(uri)) {
                await shared.workspace.DocumentBuilder.update([], [uri]);
            }
            return this.open(name, text);
        },
        /** A new file appearing in the workspace, as an editor reports it (an update, not a build). */
        async create(name: string, text: string): Promise<LangiumDocument> {
            const uri = URI.parse(`file:///incremental/${name}`);
            files.set(uri.toString(), text);
            await shared.workspace.DocumentBuilder.update([uri], []);
            return shared.workspace.LangiumDocuments.getDocument(uri)!;
        },
        async close(document: LangiumDocument): Promise<void> {
            await shared.workspace.DocumentBuilder.update([], [document.uri]);
        },
        async edit(document: LangiumDocument, text: string): Promise<void> {
            files.set(document.uri.toString(), text);
            await shared.workspace.DocumentBuilder.update([document.uri], []);
        }
    };
}

/** Everything a full parse determines: the AST with its properties and node ranges, every CST leaf, the errors. */
function dump(document: LangiumDocument): unknown {
    const nodes = AstUtils.streamAst(document.parseResult.value).map(node => {
        const properties: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(node)) {
            if (key.startsWith('$')) continue;
            if (typeof value === 'object' && value !== null && '$refText' in value) properties[key] = `ref:${(value as { $refText: string }).$refText}`;
            else if (typeof value !== 'object' || value === null) properties[key] = value;
            else if (Array.isArray(value)) properties[key] = value.map(v => typeof v === 'object' ? (v as AstNode).$type : v);
            else properties[key] = (value as AstNode).$type;
        }
        return { type: node.$type, property: node.$containerProperty, index: node.$containerIndex, range: node.$cstNode?.range, offset: node.$cstNode?.offset, length: node.$cstNode?.length, properties };
    }).toArray();
    const leaves: unknown[] = [];
    const visit = (cst: CstNode): void => {
        if ('content' in cst) {
            for (const child of (cst as { content: CstNode[] }).content) visit(child);
        } else {
            leaves.push([cst.offset, cst.length, cst.hidden, cst.range, cst.text, cst.astNode.$type]);
        }
    };
    visit(document.parseResult.value.$cstNode!);
    const { lexerErrors, parserErrors } = document.parseResult;
    return {
        nodes, leaves,
        lexerErrors: lexerErrors.map(e => [e.offset, e.line, e.column, e.length, e.message]),
        parserErrors: parserErrors.map(e => [e.message, e.token.startOffset, e.token.startLine, e.token.startColumn, e.token.endColumn,
            (e as { previousToken?: { startOffset: number; endLine?: number; endColumn?: number } }).previousToken?.endColumn])
    };
}

/** Snippets edits insert: whole declarations, tokens, comment and string openers, garbage. */
const snippets = [
    '\ndef extra (b : Bool) : Bool = b\n', 'def', 'def ', '\ndef', 'extern', 'train', 'import', 'module', ' x', 'true', 'false', 'if', 'then', 'else',
    '(', ')', '{-', '-}', '--', '--|', '"', ' = ', ':', ' -o ', 'Bool', 'Nat[3]', 'fun y => y', '\n', '\n\n', '  ', '@', '$', 'λ', ';', '{', '}',
    // Deep or unbalanced nesting, which the lexer's guards cut short per declaration.
    '('.repeat(300), ')'.repeat(80), 'if x then '.repeat(120), '(fun z => '.repeat(70)
];

const editArbitrary = fc.record({
    // A position anywhere in the text (fast-check's numbers favour the ends of a range).
    at: fc.integer({ min: 0, max: 1_000_003 }),
    remove: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 4, max: 40 })),
    insert: fc.oneof(fc.constantFrom(...snippets), fc.string({ maxLength: 3 }), fc.constant(''))
});

function applyEdit(text: string, edit: { at: number; remove: number; insert: string }): string {
    const at = (edit.at * 7919) % (text.length + 1);
    return text.slice(0, at) + edit.insert + text.slice(Math.min(text.length, at + edit.remove));
}

describe('incremental re-checking equals checking from scratch', () => {
    test('after random edit sequences on the examples: same tree, positions, errors and diagnostics', async () => {
        const incremental = workspace();
        const fresh = workspace();
        let counter = 0;
        await fc.assert(fc.asyncProperty(
            fc.nat({ max: examples.length - 1 }), fc.array(editArbitrary, { minLength: 1, maxLength: 6 }),
            async (which, edits) => {
                const name = `edited-${++counter}.cajal`;
                let text = examples[which];
                const document = await incremental.open(name, text);
                try {
                    for (const edit of edits) {
                        text = applyEdit(text, edit);
                        await incremental.edit(document, text);
                        const reference = await fresh.reopen(name, text);
                        expect(document.textDocument.getText()).toBe(text);
                        expect(dump(document)).toEqual(dump(reference));
                        expect(document.diagnostics).toEqual(reference.diagnostics);
                    }
                } finally {
                    // Keep the workspace small: every open document with errors is re-linked on each update.
                    await incremental.close(document);
                    await fresh.close(document);
                }
            }
        ), { numRuns: 300 });
        // The property must have exercised the incremental path, not only the fallback.
        expect(incremental.factory.parseCounts.incremental).toBeGreaterThan(400);
        expect(incremental.factory.parseCounts.full).toBeGreaterThan(20);
    }, 300_000); // 300 edit sequences: ~25 s on a quiet machine, minutes under load
});

describe('positions after edits, moved lazily', () => {
    test('after edits whose shifts wait and compose: positions as a fresh parse, and the leaf index finds the leaf covering each offset', async () => {
        const ws = workspace();
        // A chain of definitions, three of them on one line: an edit just before the first of
        // those re-parses it and reads the second (the parser's lookahead); the third's columns
        // move while it still waits for the line shift of an earlier edit.
        let text = chain(30).replace('\n\ndef g16 ', ' def g16 ').replace('\n\ndef g17 ', ' def g17 ');
        const document = await ws.open('leaves.cajal', text);
        const root = () => document.parseResult.value.$cstNode!;
        const before = (name: string) => text.indexOf(`def ${name} `);
        const edits: Array<[string, string]> = [['g5', '\n\n'], ['g15', '  '], ['g10', 'def inserted : Bool = true '], ['g20', '\n   '], ['g25', '']];
        for (const [name, insert] of edits) {
            const where = before(name);
            // '' joins the keyword's line to the one before.
            text = insert ? text.slice(0, where) + insert + text.slice(where) : text.slice(0, where - 2).trimEnd() + ' ' + text.slice(where);
            await ws.edit(document, text);
        }
        expect(ws.factory.parseCounts).toEqual({ incremental: edits.length, full: 0, reasons: {} });
        const leaves: CstNode[] = [];
        const visit = (node: CstNode): void => {
            if ('content' in node) for (const child of (node as { content: CstNode[] }).content) visit(child);
            else leaves.push(node);
        };
        visit(root());
        for (let offset = 0; offset <= text.length; offset++) {
            const covering = leaves.find(leaf => leaf.offset <= offset && offset < leaf.end);
            expect(findLeafAt(root(), offset), `offset ${offset}`).toBe(covering);
        }
        // The composed shifts give the positions a fresh parse gives.
        const fresh = await workspace().open('leaves.cajal', text);
        expect(dump(document)).toEqual(dump(fresh));
    });
});

describe('edits at the edges of declarations', () => {
    const base = '-- head\nmodule m\n\ndef a (x : Bool) : Bool = x\n\ndef b : Bool = a true\n\ndef c : Bool = b\n';
    const cases: Array<{ name: string; edit: (text: string) => string; path: 'incremental' | string }> = [
        { name: 'a body changed', edit: t => t.replace('a true', 'a false'), path: 'incremental' },
        { name: 'a line inserted inside a declaration (later lines move)', edit: t => t.replace('def b : Bool =', 'def b : Bool =\n '), path: 'incremental' },
        { name: 'a declaration added at the end', edit: t => t + '\ndef d : Bool = c\n', path: 'incremental' },
        { name: 'a declaration deleted', edit: t => t.replace('def b : Bool = a true\n\n', ''), path: 'incremental' },
        { name: 'an import added', edit: t => t.replace('module m\n', 'module m\nimport other\n'), path: 'header changed' },
        { name: 'an unclosed block comment opened in a declaration (it runs to the end)', edit: t => t.replace('a true', '{- a true'), path: 'next keyword swallowed' },
        { name: 'a line comment typed before a keyword (the declaration disappears)', edit: t => t.replace('def c', '-- def c'), path: 'incremental' },
        { name: 'a keyword glued to the text before it', edit: t => t.replace('a true\n\ndef c', 'a truedef c'), path: 'incremental' },
        { name: 'a bare keyword typed before a declaration', edit: t => t.replace('def b', 'def\ndef b'), path: 'incremental' },
        { name: 'a keyword turned into a name', edit: t => t.replace('def c', 'defc c'), path: 'incremental' },
        { name: 'an unclosed bracket', edit: t => t.replace('a true', 'a (true'), path: 'incremental' }
    ];
    test.each(cases)('$name: same result as from scratch ($path)', async ({ name, edit, path }) => {
        const incremental = workspace();
        const fresh = workspace();
        const document = await incremental.open('edge.cajal', base);
        const text = edit(base);
        expect(text, 'the edit applies').not.toBe(base);
        await incremental.edit(document, text);
        const reference = await fresh.open('edge.cajal', text);
        expect(dump(document), name).toEqual(dump(reference));
        expect(document.diagnostics).toEqual(reference.diagnostics);
        const { incremental: reparsed, reasons } = incremental.factory.parseCounts;
        if (path === 'incremental') expect({ reparsed, reasons }).toEqual({ reparsed: 1, reasons: {} });
        else expect({ reparsed, reasons }).toEqual({ reparsed: 0, reasons: { [path]: 1 } });
        // Langium's parser is made for text with errors only: well-formed re-parsed stretches take the fast path.
        const { lexerErrors, parserErrors } = reference.parseResult;
        expect((incremental.Cajal.parser.LangiumParser as unknown as CajalParser).langiumMade).toBe(lexerErrors.length + parserErrors.length > 0);
    });
});

describe('well-formed edits take the fast path', () => {
    test("edits before the last declaration re-parse without ever making Langium's parser; the first edit with an error makes it", async () => {
        const ws = workspace();
        const parser = ws.Cajal.parser.LangiumParser as unknown as CajalParser;
        let text = chain(40);
        const document = await ws.open('chain.cajal', text);
        const edits: Array<(t: string) => string> = [
            t => t.replace('g9 true', 'g9 false'),
            t => t.replace('def g20 ', 'def inserted (y : Bool) : Bool = g3 y -- a comment\n\ndef g20 '),
            t => t.replace('def g1 (x : Bool) : Bool', 'def g1 (x : Bool) (z : Bool) : Bool'),
            t => t.replace(/def g30 [^\n]*\n\n/, ''),
            t => t.replace('def g2 ', '{- a block\n comment -} def g2 ')
        ];
        for (const edit of edits) {
            text = edit(text);
            await ws.edit(document, text);
        }
        expect(ws.factory.parseCounts).toEqual({ incremental: edits.length, full: 0, reasons: {} });
        expect(parser.langiumMade).toBe(false);
        expect(dump(document)).toEqual(dump(await workspace().open('chain.cajal', text)));
        text = text.replace('g9 false', 'g9 (false');
        await ws.edit(document, text);
        expect(ws.factory.parseCounts.incremental).toBe(edits.length + 1);
        expect(parser.langiumMade).toBe(true);
        expect(document.parseResult.parserErrors.length).toBeGreaterThan(0);
        expect(dump(document)).toEqual(dump(await workspace().open('chain.cajal', text)));
    });
});

/** A chain of definitions, each using the one before: `g3` uses `g2`, which uses `g1`… */
function chain(count: number): string {
    const lines = ['def g0 (x : Bool) : Bool = x', ''];
    for (let i = 1; i < count; i++) lines.push(`def g${i} (x : Bool) : Bool = if x then g${i - 1} true else false`, '');
    return lines.join('\n');
}

describe('an edit re-checks only what depends on it', () => {
    test('a changed body re-checks its own definition; a changed signature also the definitions that use it', async () => {
        const ws = workspace();
        let text = chain(50);
        const document = await ws.open('chain.cajal', text);
        const checker = ws.Cajal.typing.TypeChecker;
        expect(document.diagnostics).toEqual([]);

        // Body of g20: `true` → `false` inside it. Only g20 is checked again.
        let before = checker.checkedDeclarations;
        text = text.replace('then g19 true', 'then g19 false');
        await ws.edit(document, text);
        expect(checker.checkedDeclarations - before).toBe(1);
        expect(ws.factory.parseCounts.full).toBe(0);
        expect(document.diagnostics).toEqual([]);

        // Signature of g20: its parameter becomes a Nat. g20 and its user g21 are checked again, and both errors appear.
        before = checker.checkedDeclarations;
        text = text.replace('def g20 (x : Bool)', 'def g20 (x : Nat)');
        await ws.edit(document, text);
        expect(checker.checkedDeclarations - before).toBe(2);
        const lines = new Set(document.diagnostics!.map(d => d.range.start.line));
        expect(lines).toEqual(new Set([40, 42])); // g20's `if x` and g21's `g20 true`

        // A new definition before g31: the inserted text starts inside g31's chunk (both begin
        // with `def `), so g31 is re-parsed and checked with the new one; nothing else is.
        before = checker.checkedDeclarations;
        text = text.replace('\ndef g31 ', '\ndef extra (b : Bool) : Bool = b\n\ndef g31 ');
        await ws.edit(document, text);
        expect(checker.checkedDeclarations - before).toBe(2);
        expect(ws.factory.parseCounts.full).toBe(0);
    });

    test('validation runs the checks of changed declarations only: re-parsed ones, users of a changed signature, and those with diagnostics', async () => {
        const ws = workspace();
        const fresh = workspace();
        let text = chain(50);
        const document = await ws.open('chain.cajal', text);
        const validator = ws.Cajal.validation.DocumentValidator as unknown as { lastValidatedDeclarations: number };
        const validated = () => validator.lastValidatedDeclarations;
        const sameAsFresh = async () => expect(document.diagnostics).toEqual((await fresh.reopen('chain.cajal', text)).diagnostics);
        expect(validated()).toBe(50);

        // A body: g20 only; g21's use of g20 now resolves to the re-parsed g20, of the same signature.
        text = text.replace('then g19 true', 'then g19 false');
        await ws.edit(document, text);
        expect(validated()).toBe(1);
        await sameAsFresh();

        // A signature: g20 and its user g21, which both get an error.
        text = text.replace('def g20 (x : Bool)', 'def g20 (x : Nat)');
        await ws.edit(document, text);
        expect(validated()).toBe(2);
        expect(new Set(document.diagnostics!.map(d => d.range.start.line))).toEqual(new Set([40, 42]));

        // Elsewhere, two lines added near the top (every later position moves): g1, and the two
        // declarations with diagnostics, which are validated every time (their positions move).
        text = text.replace('def g1 (x : Bool) : Bool = if', 'def g1 (x : Bool) : Bool =\n\n  if');
        await ws.edit(document, text);
        expect(validated()).toBe(3);
        expect(new Set(document.diagnostics!.map(d => d.range.start.line))).toEqual(new Set([42, 44]));
        await sameAsFresh();

        // The signature back: g20 and g21 again, and the errors are gone.
        text = text.replace('def g20 (x : Nat)', 'def g20 (x : Bool)');
        await ws.edit(document, text);
        expect(validated()).toBe(2);
        expect(document.diagnostics).toEqual([]);

        // Two new definitions using each other: the new ones (and g31,
        // whose chunk the insertion lands in); a cycle through a changed definition is found.
        text = text.replace('\ndef g31 ', '\ndef extra (b : Bool) : Bool = g30 (later b)\n\ndef later (b : Bool) : Bool = extra b\n\ndef g31 ');
        await ws.edit(document, text);
        expect(validated()).toBe(3);
        expect(document.diagnostics!.map(d => d.code).sort()).toEqual(['def/cycle', 'def/cycle']);
        await sameAsFresh();
        expect(ws.factory.parseCounts.full).toBe(0);
    });

    test('a cycle closed over several edits, each adding one reference, is found as a fresh check finds it', async () => {
        const ws = workspace();
        const fresh = workspace();
        let text = 'def a : Bool = true\n\ndef b : Bool = true\n\ndef c : Bool = true\n\ndef d : Bool = true\n';
        const document = await ws.open('cycle.cajal', text);
        // a → c goes against the order the first check found (c after a): then b → a, c → b close a → c → b → a.
        for (const [from, to] of [['def a : Bool = true', 'def a : Bool = c'], ['def c : Bool = true', 'def c : Bool = if b then d else d'], ['def b : Bool = true', 'def b : Bool = a']]) {
            text = text.replace(from, to);
            await ws.edit(document, text);
            expect(document.diagnostics).toEqual((await fresh.reopen('cycle.cajal', text)).diagnostics);
        }
        expect(document.diagnostics!.map(d => d.code)).toEqual(['def/cycle', 'def/cycle', 'def/cycle']);
        expect(ws.factory.parseCounts.full).toBe(0);
    });

    test('in a workspace: a signature change in an imported module re-checks its users there, a body change does not', async () => {
        const ws = workspace();
        let library = 'module lib\n\ndef id (x : Bool) : Bool = x\n\ndef other (x : Bool) : Bool = x\n';
        const libraryDocument = await ws.open('lib.cajal', library);
        const main = await ws.open('main.cajal', 'import lib\n\ndef main : Bool = id true\n\ndef unrelated : Bool = false\n');
        const checker = ws.Cajal.typing.TypeChecker;
        expect(main.diagnostics).toEqual([]);

        let before = checker.checkedDeclarations;
        library = library.replace('def id (x : Bool) : Bool = x', 'def id (x : Bool) : Bool = if x then true else false');
        await ws.edit(libraryDocument, library);
        expect(checker.checkedDeclarations - before).toBe(1); // lib's id only
        expect(main.diagnostics).toEqual([]);

        before = checker.checkedDeclarations;
        library = library.replace('def id (x : Bool) : Bool', 'def id (x : Nat) : Bool');
        await ws.edit(libraryDocument, library);
        expect(checker.checkedDeclarations - before).toBe(2); // lib's id and main's main
        expect(main.diagnostics!.map(d => d.code)).toEqual(['type/mismatch']);
    });
});

describe('linking after an edit of a module with imports', () => {
    const mainText = (count: number) => ['import lib', '', 'def m0 : Bool = id true',
        ...Array.from({ length: count - 1 }, (_, i) => `def m${i + 1} : Bool = id (other m${i})`)].join('\n') + '\n';

    test('re-resolves the uses in the re-parsed declaration and of the names it replaced, not every use of a global', async () => {
        const ws = workspace();
        await ws.open('lib.cajal', 'module lib\n\ndef id (x : Bool) : Bool = x\n\ndef other (x : Bool) : Bool = x\n');
        let text = mainText(40);
        const main = await ws.open('main.cajal', text);
        expect(main.diagnostics).toEqual([]);
        const linker = ws.Cajal.references.Linker;
        // A body edit: the re-parsed definition's three uses of globals, and those of m21, which uses its name.
        let before = linker.resolvedGlobalUses;
        text = text.replace('def m20 : Bool = id (other m19)', 'def m20 : Bool = other (id m19)');
        await ws.edit(main, text);
        expect(linker.resolvedGlobalUses - before).toBe(3 + 3);
        // A new definition named like an imported one shadows it: every declaration using `id` (all 40) is resolved again.
        before = linker.resolvedGlobalUses;
        text += 'def id (x : Bool) : Bool = if x then false else true\n';
        await ws.edit(main, text);
        expect(linker.resolvedGlobalUses - before).toBe(1 + 39 * 3);
        const fresh = await ws.open('fresh.cajal', text);
        const targets = (document: LangiumDocument) => AstUtils.streamAst(document.parseResult.value).filter(ast.isVar)
            .map(v => { const target = v.ref.ref; return `${v.ref.$refText}→${target ? `${AstUtils.getDocument(target).uri.path.split('/').pop()}:${(target as { name?: string }).name}` : 'none'}`; }).toArray();
        expect(targets(main)).toEqual(targets(fresh).map(t => t.replace('fresh.cajal', 'main.cajal')));
        expect(targets(main)).toContain('id→main.cajal:id');
        expect(main.diagnostics!.map(d => d.code)).toEqual(fresh.diagnostics!.map(d => d.code));
    });

    test('an edit of the imported module re-resolves every use in the importer (the names it brings may now be other nodes)', async () => {
        const ws = workspace();
        let library = 'module lib\n\ndef id (x : Bool) : Bool = x\n\ndef other (x : Bool) : Bool = x\n';
        const libraryDocument = await ws.open('lib.cajal', library);
        const main = await ws.open('main.cajal', mainText(10));
        const linker = ws.Cajal.references.Linker;
        const before = linker.resolvedGlobalUses;
        library = library.replace('def other (x : Bool) : Bool = x', 'def other (x : Bool) : Bool = id x');
        await ws.edit(libraryDocument, library);
        expect(linker.resolvedGlobalUses - before).toBe(1 + 1 + 9 * 3); // lib's re-parsed `other`, then all of main's uses
        const targetOf = (name: string) => AstUtils.streamAst(main.parseResult.value).filter(ast.isVar).find(v => v.ref.$refText === name)!.ref.ref;
        expect(targetOf('other')).toBe((libraryDocument.parseResult.value as ast.Module).declarations[1]);
    });
});

describe('validation visits declarations, not every term', () => {
    test('no check is registered below the top level (the validator would not run it)', () => {
        const { Cajal } = createCajalCoreServices();
        const registry = Cajal.validation.ValidationRegistry;
        const inner = Cajal.shared.AstReflection.getAllTypes().filter(type => !['Module', 'Import', 'Definition', 'Extern', 'Training', 'Declaration'].includes(type));
        expect(inner.length).toBeGreaterThan(10);
        for (const type of inner) {
            expect(registry.getChecks(type).toArray(), type).toEqual([]);
        }
    });
});

describe('importers are re-checked when an imported file changes', () => {
    test('a name added to an imported module that clashes with one of ours is reported, though we use nothing from it', async () => {
        const ws = workspace();
        let library = 'module lib\n\ndef id (x : Bool) : Bool = x\n';
        const libraryDocument = await ws.open('lib.cajal', library);
        const main = await ws.open('main.cajal', 'import lib\n\ndef other : Bool = true\n');
        expect(main.diagnostics).toEqual([]);
        library += '\ndef other : Bool = false\n';
        await ws.edit(libraryDocument, library);
        expect(main.diagnostics!.map(d => d.code)).toEqual(['name/duplicate']);
    });

    test('a missing imported file that appears clears the importer\'s error', async () => {
        const ws = workspace();
        const main = await ws.open('main.cajal', 'import helpers\n\ndef other : Bool = true\n');
        expect(main.diagnostics!.map(d => d.code)).toEqual(['name/unknown']);
        await ws.create('helpers.cajal', 'def help : Bool = true\n');
        expect(main.diagnostics).toEqual([]);
    });
});

describe('find references after edits elsewhere', () => {
    test('the uses of a local variable are all found after a declaration is inserted above it', async () => {
        const ws = workspace();
        // Two blank lines after `a`, so that the new declaration lands inside a's chunk and f is kept.
        let text = 'def a : Bool = true\n\n\ndef f (x : Bool) : Bool = if x then true else false\n';
        const document = await ws.open('refs.cajal', text);
        const binderOf = () => AstUtils.streamAst(document.parseResult.value).find(node => node.$type === 'Binder' && (node as unknown as { name: string }).name === 'x')!;
        const uses = () => ws.Cajal.references.References.findReferences(binderOf(), { includeDeclaration: false })
            .map(reference => `${reference.segment.range.start.line}:${reference.segment.range.start.character}`).toArray();
        expect(uses()).toEqual(['3:29']);
        text = text.replace('def a : Bool = true\n\n', 'def a : Bool = true\n\ndef b : Bool = false\n');
        await ws.edit(document, text);
        expect(ws.factory.parseCounts.incremental).toBe(1);
        expect(ws.Cajal.typing.TypeChecker.checkedDeclarations).toBe(4); // a and f; then a (re-parsed: the new text is in its chunk) and b, not f
        expect(uses()).toEqual(['4:29']);
    });
});

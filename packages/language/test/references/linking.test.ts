/**
 * The linker resolves each declaration's references in one walk down it (`linkDeclaration`,
 * `forEachReferenceInScope`) instead of asking the scope provider per reference. Langium's
 * lazy references (hover, go to definition, completion, rename) still go through `getScope`,
 * so the two must agree: here every reference of every example, and of texts that shadow
 * names, is compared with what `getScope` gives for it.
 */
import { describe, expect, test } from 'vitest';
import { URI, isOperationCancelled, type AstNode, type Reference } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { ast } from '@cajal/language';
import { exampleFiles } from '../../../../test/example-files.js';
import { referencesIn } from '../../src/syntax.js';
import { check, services } from '../helpers.js';

/** A node as tests compare it: its type and path (a failing comparison of AST nodes themselves prints the whole tree). */
function label(node: AstNode | undefined): string | undefined {
    return node && `${node.$type} ${services().workspace.AstNodeLocator.getAstNodePath(node)}`;
}

/** Each reference of a checked text: what the linker resolved, and what `getScope` finds for it. */
async function linkedAndScoped(text: string) {
    const { document } = await check(text);
    const module = document.parseResult.value;
    const scopeProvider = services().references.ScopeProvider;
    const infos = [...module.imports, ...module.declarations].flatMap(top => referencesIn(top));
    return {
        document,
        infos,
        rows: infos.map(info => {
            const reference = info.reference as Reference;
            const expected = scopeProvider.getScope(info).getElement(reference.$refText);
            const linked = reference.$nodeDescription;
            return {
                name: reference.$refText,
                target: label(reference.ref as AstNode | undefined),
                expectedTarget: label(expected?.node),
                error: reference.error?.message,
                description: linked && { name: linked.name, type: linked.type, uri: linked.documentUri.toString(), path: linked.path },
                expectedDescription: expected && { name: expected.name, type: expected.type, uri: expected.documentUri.toString(), path: expected.path }
            };
        })
    };
}

describe('linking a declaration in one walk', () => {
    test('resolves every reference of the examples to what getScope finds, in the order of the tree', async () => {
        let resolved = 0;
        let unresolved = 0;
        for (const [name, text] of exampleFiles()) {
            const { document, infos, rows } = await linkedAndScoped(text);
            // The document's references are its declarations' references in tree order (linking errors are reported in this order).
            expect(document.references.length, name).toBe(infos.length);
            expect(document.references.every((reference, i) => reference === infos[i].reference), name).toBe(true);
            for (const row of rows) {
                expect(row.target, `${name}: ${row.name}`).toBe(row.expectedTarget);
                expect(row.description, `${name}: ${row.name}`).toEqual(row.expectedDescription);
                if (row.expectedTarget) {
                    resolved++;
                    expect(row.error).toBeUndefined();
                } else {
                    unresolved++;
                    expect(row.error, `${name}: ${row.name}`).toBe(`Could not resolve reference to Referable named '${row.name}'.`);
                }
            }
        }
        expect(resolved).toBeGreaterThan(300);
        expect(unresolved).toBeGreaterThan(0);
    });

    test('an inner binder shadows an outer one and a global only where its scope begins', async () => {
        const text = [
            'def x : Bool = true',
            'def f (x : Bool) : Bool = let x = if x then false else true in x',
            'def g (y : Bool) : Bool -o Bool = \\x => let (y, z) = (x, y) in if z then y else false',
            'def h : Bool = x',
            ''
        ].join('\n');
        const { document, rows } = await linkedAndScoped(text);
        const [x, f, g] = document.parseResult.value.declarations as [ast.Definition, ast.Definition, ast.Definition];
        const fLet = f.body as ast.LetTerm;
        const gLambda = g.body as ast.Lambda;
        const gLet = gLambda.body as ast.LetPairTerm;
        for (const row of rows) expect(row.target, row.name).toBe(row.expectedTarget);
        expect(new Set(rows.map(row => row.target)).size).toBe(7);
        expect(rows.map(row => row.target)).toEqual([
            f.params[0], // the let's value: the let binder is not in scope there
            fLet.binder, // the let's body
            gLambda.binders[0], g.params[0], // the pair (x, y): the pair binders scope over the body only
            gLet.second, gLet.first, // if z then y
            x // a global
        ].map(label));
    });

    test('an unknown name is a linking error, a use of a global is not local', async () => {
        const text = 'def a (p : Bool) : Bool = if p then nothere else a p\n';
        const { document, rows } = await linkedAndScoped(text);
        expect(rows.map(row => [row.name, row.error])).toEqual([
            ['p', undefined], ['nothere', "Could not resolve reference to Referable named 'nothere'."], ['a', undefined], ['p', undefined]
        ]);
        const linker = services().references.Linker;
        const uses = linker.nonLocalUses(document.parseResult.value.declarations[0]);
        expect(uses.map(use => use.ref?.$refText)).toEqual(['nothere', 'a']);
    });

    test('a link cancelled part-way stops with Langium\'s cancellation, and the next link resolves every reference', async () => {
        const lines = ['def d0 (x : Bool) : Bool = x'];
        for (let i = 1; i < 100; i++) lines.push(`def d${i} (x : Bool) : Bool = if x then d${i - 1} x else nothere`);
        const shared = services().shared;
        const document = shared.workspace.LangiumDocumentFactory.fromString<ast.Module>(lines.join('\n'), URI.parse('memory:///cancelled-link.cajal'));
        shared.workspace.LangiumDocuments.addDocument(document);
        await shared.workspace.IndexManager.updateContent(document);
        // Cancelled once the linker has looked a few times (it looks before the first declaration, then every 16).
        let looks = 0;
        const token = { get isCancellationRequested() { return ++looks > 3; }, onCancellationRequested: () => ({ dispose() { } }) } as CancellationToken;
        const linker = services().references.Linker;
        const failure = await linker.link(document, token).then(() => undefined, (error: unknown) => error);
        expect(isOperationCancelled(failure)).toBe(true);
        expect(looks).toBe(4);
        await linker.link(document);
        const infos = document.parseResult.value.declarations.flatMap(top => referencesIn(top));
        expect(infos.length).toBe(1 + 99 * 4);
        expect(document.references.length).toBe(infos.length);
        const targets = infos.map(info => (info.reference as Reference).ref?.$type ?? (info.reference as Reference).error?.message);
        expect(targets.filter(target => target === 'Binder').length).toBe(1 + 99 * 2);
        expect(targets.filter(target => target === 'Definition').length).toBe(99);
        expect(targets.filter(target => target === "Could not resolve reference to Referable named 'nothere'.").length).toBe(99);
    });
});

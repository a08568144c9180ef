/**
 * The private fields of Langium that src/langium-internals.ts reads and writes, pinned against
 * the installed Langium: when an upgrade renames or drops one, this fails here, by name,
 * instead of the incremental parser or linker corrupting positions and links.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AstUtils, CompositeCstNodeImpl, CstNodeBuilder, LangiumCompletionParser, LangiumParser, LeafCstNodeImpl, RootCstNodeImpl, createCompletionParser, createLangiumParser, type AstNode, type CstNode, type Reference } from 'langium';
import { ast, createCajalCoreServices } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import {
    COMPLETION_PARSER_INTERNALS, COMPLETION_PARSER_REPLACED, type CajalCompletionParser, CajalLangiumParser, createCajalCompletionParser, LEAF_POSITION_FIELDS, PARSER_INTERNALS, RANGE_CACHE_FIELD, REFERENCE_FIELDS, ROOT_TEXT_FIELD, deferShift, isUnlinkedSingle, linkedTarget, resetReference, setResolution, shiftCstPositions, spliceRootChildren
} from '../src/langium-internals.js';

const services = createCajalCoreServices().Cajal;
const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const text = 'def id (x : Bool) : Bool = x\n\ndef twice : Bool = id true\n';

function leaves(node: CstNode): LeafCstNodeImpl[] {
    if (node instanceof CompositeCstNodeImpl) return node.content.flatMap(leaves);
    return node instanceof LeafCstNodeImpl ? [node] : [];
}

async function parsed() {
    const { document } = await checkText(text, services);
    const root = document.parseResult.value.$cstNode;
    if (!(root instanceof RootCstNodeImpl)) throw new Error('expected a root CST node');
    return { document, root, module: document.parseResult.value as ast.Module };
}

describe("Langium's private fields, as the adapter uses them", () => {
    it('CST leaves keep their position in the fields the adapter moves', async () => {
        const { root } = await parsed();
        for (const leaf of leaves(root)) {
            const fields = leaf as unknown as Record<string, unknown>;
            for (const field of LEAF_POSITION_FIELDS) expect(typeof fields[field], `LeafCstNodeImpl.${field}`).toBe('number');
            expect([fields._offset, fields._startLine, fields._startColumn, fields._endLine, fields._endColumn])
                .toEqual([leaf.offset, leaf.range.start.line, leaf.range.start.character, leaf.range.end.line, leaf.range.end.character]);
        }
    });

    it('composite nodes cache their range and the root keeps the text in the fields the adapter resets', async () => {
        const { root } = await parsed();
        expect(RANGE_CACHE_FIELD in root, `CompositeCstNodeImpl.${RANGE_CACHE_FIELD}`).toBe(true);
        expect((root as unknown as Record<string, unknown>)[ROOT_TEXT_FIELD], `RootCstNodeImpl.${ROOT_TEXT_FIELD}`).toBe(text);
    });

    it('references keep their resolution in the fields the adapter reads and resets', async () => {
        const { document, module } = await parsed();
        const reference = document.references.find(r => r.$refText === 'id') as Reference;
        expect(Object.keys(reference)).toEqual(expect.arrayContaining([...REFERENCE_FIELDS.single]));
        expect(linkedTarget(reference)).toBe(module.declarations[0]);
        resetReference(reference);
        expect(linkedTarget(reference)).toBeUndefined();
        expect(isUnlinkedSingle(reference)).toBe(true);
        expect(reference.ref).toBe(module.declarations[0]); // resolves again on demand
        expect(isUnlinkedSingle(reference)).toBe(false);
        // A resolution set by the adapter is what Langium's reference gives (here a node no scope would).
        resetReference(reference);
        setResolution(reference, module, undefined);
        expect(reference.ref === module).toBe(true);
        expect(isUnlinkedSingle(reference)).toBe(false);
    });

    it('moves a subtree by a shift: offsets, lines, and columns on the shifted line', async () => {
        const { root, module } = await parsed();
        const second = module.declarations[1].$cstNode!;
        const before = second.range;
        const offset = second.offset;
        shiftCstPositions(second, { offset: 3, lines: 1, line: before.start.line, columns: 2 });
        expect(second.offset).toBe(offset + 3);
        expect(second.range.start).toEqual({ line: before.start.line + 1, character: before.start.character + 2 });
        expect(root.content.includes(second)).toBe(true);
    });

    it('defers a shift of a child of the root until a position inside it is read, then applies it once', async () => {
        const { module } = await parsed();
        const second = module.declarations[1].$cstNode!;
        const leaf = leaves(second)[2];
        const fields = leaf as unknown as Record<string, number>;
        const before = { offset: leaf.offset, range: leaf.range };
        deferShift(second, { offset: 3, lines: 1, line: before.range.start.line, columns: 2 });
        deferShift(second, { offset: 1, lines: 0, line: before.range.start.line + 1, columns: 1 });
        expect(fields._offset, 'not moved before it is read').toBe(before.offset);
        expect(leaf.offset).toBe(before.offset + 4);
        expect(leaf.range.start).toEqual({ line: before.range.start.line + 1, character: before.range.start.character + 3 });
        expect(second.offset).toBe(leaves(second)[0].offset);
        expect(leaf.offset, 'applied once').toBe(before.offset + 4);
        // Every position getter of Langium's CST nodes is wrapped (an upgrade that moves them must be looked at).
        for (const prototype of [LeafCstNodeImpl.prototype, CompositeCstNodeImpl.prototype]) {
            for (const property of ['offset', 'end', 'range']) {
                const getter = Object.getOwnPropertyDescriptor(prototype, property)?.get as { settles?: boolean } | undefined;
                expect(getter?.settles, `${prototype.constructor.name}.${property}`).toBe(true);
            }
        }
    });

    it('splices the root\'s children and gives it the new text', async () => {
        const { root } = await parsed();
        const count = root.content.length;
        const newText = text + '\n';
        spliceRootChildren(root, count - 1, count, [], newText);
        expect(root.content.length).toBe(count - 1);
        expect(root.fullText).toBe(newText);
    });

    it('refuses, by name, an object without the field it expects', () => {
        const fake = { ref: undefined, $refText: 'x' } as unknown as Reference;
        expect(() => resetReference(fake)).toThrow("neither a '_ref' nor an '_items' field");
        expect(() => isUnlinkedSingle(fake)).toThrow("neither a '_ref' nor an '_items' field");
        expect(() => setResolution(fake, { $type: 'Binder' }, undefined)).toThrow("Langium's reference has no '_ref' field any more");
    });
});

describe("the parser without Langium's quadratic sub-rule check (CajalLangiumParser)", () => {
    const examples = [
        ...fs.readdirSync(path.join(repository, 'examples')).filter(f => f.endsWith('.cajal')).map(f => path.join(repository, 'examples', f)),
        ...['errors', 'train'].flatMap(d => fs.readdirSync(path.join(repository, 'examples', d)).map(f => path.join(repository, 'examples', d, f)))
    ].map(file => fs.readFileSync(file, 'utf-8'));
    const langiums = createLangiumParser(services);

    /** The CST as plain data: each node's kind, position and children, each leaf's token. */
    function cstShape(node: CstNode): unknown {
        if (node instanceof CompositeCstNodeImpl) return [node.offset, node.length, node.grammarSource?.$type, node.content.map(cstShape)];
        return [node.offset, node.length, node.hidden, (node as LeafCstNodeImpl).tokenType.name];
    }

    /** The AST as plain data, without the links between nodes and CST. */
    function astShape(value: unknown): unknown {
        if (Array.isArray(value)) return value.map(astShape);
        if (value === null || typeof value !== 'object') return value;
        if ('$refText' in value) return { ref: (value as { $refText: string }).$refText };
        return Object.fromEntries(Object.entries(value).filter(([key]) => !['$container', '$cstNode', '$document'].includes(key)).map(([key, v]) => [key, astShape(v)]));
    }

    /**
     * Each AST node's links, in Langium's pre-order: its type, its container's position in
     * that order, the property and index it is held at, and whether its CST node points back.
     */
    function links(root: AstNode): unknown[] {
        const nodes = AstUtils.streamAst(root).toArray();
        const position = new Map<AstNode, number>(nodes.map((node, i) => [node, i]));
        return nodes.map(node => [node.$type, node.$container ? position.get(node.$container) : -1, node.$containerProperty, node.$containerIndex, node.$cstNode?.astNode === node]);
    }

    function expectSameParse(text: string): void {
        const ours = (services.parser.LangiumParser as unknown as { langium: LangiumParser }).langium.parse(text);
        const theirs = langiums.parse(text);
        expect(cstShape(ours.value.$cstNode!), text).toEqual(cstShape(theirs.value.$cstNode!));
        expect(astShape(ours.value), text).toEqual(astShape(theirs.value));
        expect(links(ours.value), text).toEqual(links(theirs.value));
        expect(ours.parserErrors.map(e => e.message), text).toEqual(theirs.parserErrors.map(e => e.message));
    }

    it('is the parser the language uses, and the Langium code it replaces is still what it was written against', () => {
        // (By name: the services come from the built package, this file's import from src/.)
        // The service is the fast path (parser/fast-parser.ts), with this parser behind it.
        expect(services.parser.LangiumParser.constructor.name).toBe('CajalParser');
        const langiumParser = (services.parser.LangiumParser as unknown as { langium: LangiumParser }).langium;
        expect(langiumParser.constructor.name).toBe(CajalLangiumParser.name);
        // Langium 4.4's check, which CajalLangiumParser.subrule replaces: an upgrade that changes
        // it must be looked at (the override may no longer be needed, or no longer fit).
        expect(String(LangiumParser.prototype.subrule)).toMatch(/cstNode\.length > 0/);
        // The comments: taken by splicing them off the lexer's list, the trailing ones added from what is left.
        const prototype = LangiumParser.prototype as unknown as Record<string, unknown>;
        expect(String(prototype.extractHiddenTokens)).toMatch(/hiddenTokens\.splice\(0, i\)/);
        expect(String(LangiumParser.prototype.parse)).toMatch(/this\.doParse\(ruleMethod\);\s*this\.nodeBuilder\.addHiddenNodes\(lexerResult\.hidden\)/);
        expect(String(CstNodeBuilder.prototype.addHiddenNodes)).toMatch(/content\.indexOf\(current\)/);
        // The CST builder's first child of a composite (CajalCstNodeBuilder.appendChild).
        expect(String(CstNodeBuilder.prototype.appendChild)).toMatch(/child\.container = parent;\s*parent\.content\.push\(child\);/);
        // The tree building replaced: the deep linking walk at the end of the parse, the merge of
        // unassigned sub-rule results, and default values read through the parser's reflection,
        // which it reads for nothing else (so a view of it changes nothing more).
        expect(String(LangiumParser.prototype.parse)).toMatch(/linkContentToContainer\(result, \{ deep: true \}\);\s*return \{/);
        expect(String(prototype.assignWithoutOverride)).toMatch(/Object\.entries\(source\)/);
        expect(String(prototype.construct)).toMatch(/assignMandatoryProperties\(this\.astReflection, obj\)/);
        expect(String(LangiumParser).match(/this\.astReflection/g)).toHaveLength(2);
        const parser = langiumParser as unknown as Record<string, unknown>;
        for (const member of PARSER_INTERNALS) expect(parser[member], member).toBeDefined();
    });

    it("gives Langium's own parse (CST, AST, errors) on every shipped example", () => {
        for (const text of examples) expectSameParse(text);
    });

    it("gives Langium's own parse of every example cut anywhere (error recovery)", () => {
        fc.assert(fc.property(fc.integer({ min: 0, max: examples.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (i, where, insert) => {
            const text = examples[i];
            const cut = Math.floor(where * text.length);
            expectSameParse(insert ? text.slice(0, cut) + ' ( if then ' + text.slice(cut) : text.slice(0, cut));
        }), { numRuns: 200 });
    });

    it("gives Langium's own parse of comments everywhere: opening and closing the file, between and inside declarations", () => {
        const declarations = Array.from({ length: 50 }, (_, i) => `--| Doc ${i}.\ndef g${i} (x : Bool) {- in the head -} : Bool = -- after =\n  {- before the body -} x -- trailing ${i}\n`);
        expectSameParse(`-- opening\n{- block -}\n${declarations.join('\n')}\n-- closing\n{- last -}`);
        expectSameParse('-- only a comment');
        expectSameParse('def f : Bool = true -- no newline at the end');
        expectSameParse(`{- a broken ${'def'} -}\ndef f : Bool = ( -- unfinished\n\n-- after the error\ndef g : Bool = f\n`);
    });

    it("gives Langium's own parse of a deep else-if chain, with comments between the levels", () => {
        let text = 'def f (x : Bool) : Bool = ';
        for (let i = 0; i < 300; i++) text += `if true then x else -- level ${i}\n  `;
        expectSameParse(text + 'x\n');
    });
});

describe("the completion parser without Langium's quadratic costs in deep nesting", () => {
    const langiums = createCompletionParser(services);
    // The service is made before any completion: its parser is not (Chevrotain's grammar analysis waits for the first completion).
    const service = createCajalCoreServices().Cajal.parser.CompletionParser as unknown as CajalCompletionParser;
    const madeBeforeUse = service.made;
    const ours = services.parser.CompletionParser;
    const texts = [
        ...fs.readdirSync(path.join(repository, 'examples')).filter(f => f.endsWith('.cajal')).map(f => path.join(repository, 'examples', f)),
        ...fs.readdirSync(path.join(repository, 'examples', 'train')).map(f => path.join(repository, 'examples', 'train', f))
    ].map(file => fs.readFileSync(file, 'utf-8'));

    it('replaces the Langium code it was written against', () => {
        // Langium 4.4 copies the element stack at every consumed token: what the persistent list replaces.
        expect(String(LangiumCompletionParser.prototype.consume)).toMatch(/\[\.\.\.this\.elementStack, feature\]/);
        for (const member of COMPLETION_PARSER_REPLACED) expect(typeof (LangiumCompletionParser.prototype as unknown as Record<string, unknown>)[member], member).toBe('function');
        const parser = createCajalCompletionParser(services) as unknown as Record<string, unknown>;
        for (const member of COMPLETION_PARSER_INTERNALS) expect(parser[member], member).toBeDefined();
    });

    it('is made on the first completion, not with the services', () => {
        expect(madeBeforeUse).toBeUndefined();
        expect(service.parse('def f : Bool = ').tokenIndex).toBeGreaterThan(0);
        expect(service.made).toBeInstanceOf(LangiumCompletionParser);
    });

    it("gives Langium's element stack and token index at every cut of the shipped examples without syntax errors before the cut", () => {
        // Where the text before the cursor parses, recovery never runs, so the two must agree exactly.
        let compared = 0;
        fc.assert(fc.property(fc.integer({ min: 0, max: texts.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (i, where) => {
            const text = texts[i].slice(0, Math.floor(where * texts[i].length));
            const theirs = langiums.parse(text);
            const mine = ours.parse(text);
            expect(mine.tokenIndex, text).toBe(theirs.tokenIndex);
            if (theirs.tokenIndex < theirs.tokens.length - 1) return; // an error before the cursor: recovery differs by design
            compared++;
            expect(mine.elementStack, text.slice(-200)).toEqual(theirs.elementStack);
        }), { numRuns: 300 });
        expect(compared).toBeGreaterThan(100);
    });
});

/**
 * The private fields of Langium that src/langium-internals.ts reads and writes, pinned against
 * the installed Langium: when an upgrade renames or drops one, this fails here, by name,
 * instead of the incremental parser or linker corrupting positions and links.
 */
import { describe, expect, it } from 'vitest';
import { CompositeCstNodeImpl, LeafCstNodeImpl, RootCstNodeImpl, type CstNode, type Reference } from 'langium';
import { ast, createCajalCoreServices } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import {
    LEAF_POSITION_FIELDS, RANGE_CACHE_FIELD, REFERENCE_FIELDS, ROOT_TEXT_FIELD, linkedTarget, resetReference, shiftCstPositions, spliceRootChildren
} from '../src/langium-internals.js';

const services = createCajalCoreServices().Cajal;
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
        expect(reference.ref).toBe(module.declarations[0]); // resolves again on demand
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
    });
});

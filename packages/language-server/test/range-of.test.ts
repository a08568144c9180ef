// `rangeOf` reads a CST node's range from its bounding leaves instead of Langium's getter
// (which computes and caches every composite's range on the way down): it must give what
// Langium gives for every node, also in the trees error recovery leaves behind.
import { describe, expect, test } from 'vitest';
import { EmptyFileSystem, isCompositeCstNode, URI, type CstNode } from 'langium';
import { createCajalServices } from '@cajal/language-server';
import { rangeOf } from '../src/lsp/syntax-queries.js';
import { exampleFiles } from '../../../test/example-files.js';

const { shared } = createCajalServices(EmptyFileSystem);
let counter = 0;

/** Every node's range by `rangeOf` and by Langium's getter, of the text's CST; the count of composites compared. */
function compareAll(text: string): { ours: unknown[]; langium: unknown[]; composites: number } {
    const document = shared.workspace.LangiumDocumentFactory.fromString(text, URI.parse(`file:///range-of/${++counter}.cajal`));
    const nodes: CstNode[] = [];
    const stack: CstNode[] = [document.parseResult.value.$cstNode!];
    while (stack.length > 0) {
        const node = stack.pop()!;
        nodes.push(node);
        if (isCompositeCstNode(node)) stack.push(...node.content);
    }
    // Ours first, so that Langium's cached composite ranges cannot feed it.
    const ours = nodes.map(rangeOf);
    const langium = nodes.map(node => node.range);
    return { ours, langium, composites: nodes.filter(isCompositeCstNode).length };
}

describe('rangeOf', () => {
    const examples = exampleFiles();

    test.each(examples)('equals Langium\'s range for every node of %s', (_path, text) => {
        const { ours, langium, composites } = compareAll(text);
        expect(composites).toBeGreaterThan(0);
        expect(ours).toEqual(langium);
    });

    test('equals Langium\'s range in trees left by error recovery (examples cut short, broken tokens)', () => {
        let compared = 0;
        for (const [, text] of examples) {
            for (const fraction of [0.13, 0.37, 0.61, 0.89]) {
                const cut = text.slice(0, Math.floor(text.length * fraction));
                for (const broken of [cut, `${cut} ) ( : = def`, `${cut}\ndef`, cut.replace(/\)/g, '')]) {
                    const { ours, langium } = compareAll(broken);
                    expect(ours).toEqual(langium);
                    compared += ours.length;
                }
            }
        }
        expect(compared).toBeGreaterThan(1000);
    });
});

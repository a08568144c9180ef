/**
 * `propertyNode` (behind the name provider, and so the outline, references and rename) finds
 * what Langium's `GrammarUtils.findNodeForProperty` finds, for every node and property of
 * the examples, including the broken ones.
 */
import { describe, expect, test } from 'vitest';
import { AstUtils, GrammarUtils } from 'langium';
import { propertyNode } from '@cajal/language';
import { exampleFiles } from '../../../../test/example-files.js';
import { check, services } from '../helpers.js';

describe('propertyNode', () => {
    test('the same CST node as Langium\'s findNodeForProperty, for every property of every node of the examples', async () => {
        const reflection = services().shared.AstReflection;
        let compared = 0;
        let found = 0;
        for (const [name, text] of exampleFiles()) {
            const { document } = await check(text);
            for (const node of AstUtils.streamAst(document.parseResult.value)) {
                for (const property of [...Object.keys(reflection.getTypeMetaData(node.$type).properties), 'nonexistent']) {
                    const expected = GrammarUtils.findNodeForProperty(node.$cstNode, property);
                    expect(propertyNode(node, property), `${name}: ${node.$type}.${property}`).toBe(expected);
                    compared++;
                    if (expected) found++;
                }
            }
        }
        expect(found).toBeGreaterThan(1000);
        expect(compared).toBeGreaterThan(found);
    });

    test('the name provider gives the name leaf of declarations and binders', async () => {
        const { document } = await check('def f (x : Bool) : Bool = let y = x in y\n');
        const nameProvider = services().references.NameProvider;
        const names = AstUtils.streamAst(document.parseResult.value).map(node => nameProvider.getNameNode(node)?.text).filter(Boolean).toArray();
        expect(names).toEqual(['f', 'x', 'y']);
    });
});

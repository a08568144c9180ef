/**
 * The stream-free walks of syntax.ts (astNodesOf, referencesOf) give exactly what Langium's
 * AstUtils.streamAst and streamReferences give, in the same order, on every shipped example
 * (errors included: half-parsed trees) and on a deeply nested term.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AstUtils } from 'langium';
import { describe, expect, test } from 'vitest';
import { astNodesOf, referencesOf } from '../src/syntax.js';
import { check } from './helpers.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');
const files = (directory: string): string[] => fs.readdirSync(directory, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory() ? files(path.join(directory, entry.name)) : entry.name.endsWith('.cajal') ? [path.join(directory, entry.name)] : []);

async function expectSameWalk(text: string): Promise<number> {
    const { document } = await check(text);
    const root = document.parseResult.value;
    const nodes = astNodesOf(root);
    expect(nodes).toEqual(AstUtils.streamAst(root).toArray());
    for (const node of nodes) {
        const ours = referencesOf(node).map(info => [info.reference, info.container, info.property, info.index]);
        expect(ours).toEqual(AstUtils.streamReferences(node).toArray().map(info => [info.reference, info.container, info.property, info.index]));
    }
    return nodes.length;
}

describe('astNodesOf and referencesOf', () => {
    test("walk every example as Langium's streams do", async () => {
        const all = files(examples);
        expect(all.length).toBeGreaterThan(20);
        for (const file of all) expect(await expectSameWalk(fs.readFileSync(file, 'utf-8'))).toBeGreaterThan(1);
    });

    test('walk a 150-deep else-if chain in order (within the test thread\'s nesting budget)', async () => {
        const text = `def f (x : Bool) : Bool = ${'if true then x else '.repeat(150)}x\n`;
        expect(await expectSameWalk(text)).toBeGreaterThan(450);
    });
});

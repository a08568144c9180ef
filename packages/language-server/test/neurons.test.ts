/**
 * The externs a definition uses, through other definitions (what decides whether hover shows
 * its matrix): the walk caches every definition it finishes, so the answers must be the same
 * whichever definition is asked first, also on a definition cycle (an error, but hovered).
 */
import { describe, expect, test } from 'vitest';
import { EmptyFileSystem, URI, type LangiumDocument } from 'langium';
import { ast } from '@cajal/language';
import { createCajalServices } from '@cajal/language-server';

let counter = 0;

async function parse(text: string) {
    const { shared, Cajal } = createCajalServices(EmptyFileSystem);
    const document = shared.workspace.LangiumDocumentFactory.fromString(text, URI.parse(`file:///neurons/${++counter}.cajal`)) as LangiumDocument<ast.Module>;
    shared.workspace.LangiumDocuments.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document], { validation: true });
    const definitions = new Map(document.parseResult.value.declarations.filter(ast.isDefinition).map(d => [d.name, d]));
    return { neurons: Cajal.neurons.Neurons, definitions };
}

const PROGRAM = `extern e : Bool -o Bool
extern f : Bool -o Bool
def a (x : Bool) : Bool = b (c x)
def b (x : Bool) : Bool = d x
def c (x : Bool) : Bool = f x
def d (x : Bool) : Bool = e x
def p (x : Bool) : Bool = if x then false else true
def q (x : Bool) : Bool = p (p x)
def r (x : Bool) : Bool = s x
def s (x : Bool) : Bool = t (e x)
def t (x : Bool) : Bool = r x
def u (x : Bool) : Bool = t x
def w (x : Bool) : Bool = q (u x)
`;

/** Externs used by each definition, directly or through others, as written out by hand. */
const EXPECTED: Record<string, string[]> = {
    a: ['e', 'f'], b: ['e'], c: ['f'], d: ['e'], p: [], q: [],
    // r → s → t → r is a cycle; s uses e, so all three do, and u and w through t.
    r: ['e'], s: ['e'], t: ['e'], u: ['e'], w: ['e']
};

describe('externs used by a definition', () => {
    test('the same closure whichever definition is asked first, cycles included', async () => {
        const names = Object.keys(EXPECTED);
        // Every name first, then the rest in the program's order and in reverse.
        for (const first of names) {
            const { neurons, definitions } = await parse(PROGRAM);
            for (const name of [first, ...names, ...[...names].reverse()]) {
                const externs = neurons.externsUsedBy(definitions.get(name)!).map(e => e.name).sort();
                expect(externs, `${name} (after asking ${first} first)`).toEqual(EXPECTED[name]);
            }
        }
    });

    test('a chain of 3,000 definitions: the first answer caches every definition on the way, and later ones agree', async () => {
        const lines = ['extern e : Bool -o Bool', 'def g0 (x : Bool) : Bool = e x', 'def h (x : Bool) : Bool = x'];
        for (let i = 1; i < 3000; i++) lines.push(`def g${i} (x : Bool) : Bool = g${i - 1} (h x)`);
        const { neurons, definitions } = await parse(lines.join('\n'));
        expect(neurons.externsUsedBy(definitions.get('g2999')!).map(e => e.name)).toEqual(['e']);
        for (let i = 0; i < 3000; i += 7) expect(neurons.externsUsedBy(definitions.get(`g${i}`)!).map(e => e.name)).toEqual(['e']);
        expect(neurons.externsUsedBy(definitions.get('h')!)).toEqual([]);
    });
});

/**
 * Completion by position (Langium's expectCompletion on the language server's services):
 * types after `:`, terms elsewhere, terms of the expected type first.
 */
import { describe, expect, it } from 'vitest';
import { EmptyFileSystem } from 'langium';
import { expectCompletion } from 'langium/test';
import type { CompletionItem } from 'vscode-languageserver';
import { createCajalServices } from '@cajal/language-server';

const services = createCajalServices(EmptyFileSystem).Cajal;
const complete = expectCompletion(services);

const PRELUDE = `def not : Bool -o Bool = fun x => if x then false else true
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
def two : Nat = 2
def add (m : Nat) (n : Nat) : Nat = iter n { zero => m ; succ y => succ y }
`;

/** The items at `<|>`, in the order an editor shows them (by sort text, then label). */
async function itemsAt(text: string): Promise<CompletionItem[]> {
    let items: CompletionItem[] = [];
    await complete({ text, index: 0, assert: completion => { items = completion.items; } });
    return [...items].sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label) || a.label.localeCompare(b.label));
}
const labels = (items: CompletionItem[]) => items.map(item => item.label);
/** Items whose sort text marks them as fitting the expected type. */
const fitting = (items: CompletionItem[]) => labels(items.filter(item => item.sortText?.startsWith('0')));

describe('completion by position', () => {
    it('offers only types after a colon, with the sized types as snippets', async () => {
        for (const text of [`${PRELUDE}def f (flag : <|>`, `${PRELUDE}def f (flag : Bool) : <|>`, `${PRELUDE}extern g : Bool -o <|>`]) {
            const items = await itemsAt(text);
            expect(labels(items).sort()).toEqual(['Bool', 'Nat', 'Nat[k]', 'Real', 'Real[d1, …]']);
        }
        await complete({
            text: `${PRELUDE}def f (flag : <|>`, index: 0,
            assert: completion => expect(completion.items.find(i => i.label === 'Real[d1, …]')?.insertText).toBe('Real[${1:28}, ${2:28}]')
        });
    });

    it('offers terms in a body, those of the expected type first, not the definition being written', async () => {
        const items = await itemsAt(`${PRELUDE}def f (flag : Bool) (k : Nat) : Nat = <|>`);
        expect(labels(items)).not.toContain('Bool');
        expect(labels(items)).not.toContain('f');
        // Nat is expected: k and two (and zero, succ) first; add gives a Nat once applied; Bool things last.
        expect(fitting(items).sort()).toEqual(['k', 'succ', 'two', 'zero']);
        const order = labels(items);
        expect(order.indexOf('k')).toBeLessThan(order.indexOf('two'));
        expect(order.indexOf('add')).toBeLessThan(order.indexOf('flag'));
        expect(order.indexOf('add')).toBeLessThan(order.indexOf('not'));
        expect(order.indexOf('two')).toBeLessThan(order.indexOf('true'));
    });

    it('expects Bool where a Bool is wanted: an if condition, a Bool body, the argument of not', async () => {
        for (const text of [
            `${PRELUDE}def f (flag : Bool) (k : Nat) : Nat = if <|>`,
            `${PRELUDE}def f (flag : Bool) (k : Nat) : Bool = <|>`,
            `${PRELUDE}def f (flag : Bool) (k : Nat) : Bool = not <|>`,
            `${PRELUDE}def f (flag : Bool) (k : Nat) : Bool = and true <|>`
        ]) {
            const items = await itemsAt(text);
            expect(fitting(items).sort(), text).toEqual(['false', 'flag', 'true']);
            expect(labels(items).indexOf('flag'), text).toBeLessThan(labels(items).indexOf('k'));
        }
    });

    it('expects the branch type in then/else and a function where a function is wanted', async () => {
        const branch = await itemsAt(`${PRELUDE}def f (flag : Bool) (k : Nat) : Nat = if flag then <|>`);
        expect(fitting(branch).sort()).toEqual(['k', 'succ', 'two', 'zero']);
        const fn = await itemsAt(`${PRELUDE}def f : Bool -o Bool = <|>`);
        expect(fitting(fn).sort()).toEqual(['fun', 'fun … => …', 'not', 'λ']);
    });

    it('keeps the plain order where nothing is expected', async () => {
        const items = await itemsAt(`${PRELUDE}def f (flag : Bool) : Bool = let y = <|>`);
        expect(fitting(items)).toEqual([]);
        expect(labels(items)).toContain('flag');
        expect(labels(items)).toContain('two');
    });
});

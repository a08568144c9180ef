import { describe, expect, test } from 'vitest';
import { ast } from '@cajal/language';
import { check } from '../helpers.js';

async function parse(text: string) {
    const { document, diagnostics } = await check(text);
    expect(diagnostics.map(d => `${d.code}: ${d.message}`)).toEqual([]);
    return document.parseResult.value;
}

/** The body of the last definition of a module. */
async function body(text: string): Promise<ast.Term> {
    const module = await parse(text);
    return (module.declarations.at(-1) as ast.Definition).body;
}

/** A term printed with every construct's structure explicit. */
function shape(term: ast.Term): string {
    switch (term.$type) {
        case 'Var': return term.ref.$refText;
        case 'BoolLiteral': return String(term.value);
        case 'Zero': return 'zero';
        case 'Numeral': return String(term.value);
        case 'Succ': return `succ(${shape(term.argument)})`;
        case 'IfTerm': return `if(${shape(term.condition)}, ${shape(term.thenBranch)}, ${shape(term.elseBranch)})`;
        case 'Lambda': return `fun[${term.binders.map(b => b.name).join(' ')}](${shape(term.body)})`;
        case 'Application': return `app(${shape(term.function)}, ${shape(term.argument)})`;
        case 'Iter': return `iter(${shape(term.count)}, ${shape(term.base)}, ${term.stepBinder.name}. ${shape(term.step)})`;
        case 'LetTerm': return `let(${term.binder.name}, ${shape(term.value)}, ${shape(term.body)})`;
        case 'LetPairTerm': return `letpair(${term.first.name}, ${term.second.name}, ${shape(term.value)}, ${shape(term.body)})`;
        case 'Pair': return `pair(${shape(term.first)}, ${shape(term.second)})`;
        case 'Ascription': return `as(${shape(term.term)})`;
    }
}

describe('every construct parses', () => {
    test('module header, imports are optional; definitions with and without parameters, externs', async () => {
        const module = await parse([
            'module demo',
            'def not (x : Bool) : Bool = if x then false else true',
            'def k : Bool -o Bool = not',
            'extern net : Real[2, 3] -o Bool',
            'extern other : Real[4] -o Nat[3] = mlp(16, activation = tanh)'
        ].join('\n'));
        expect(module.name).toBe('demo');
        expect(module.declarations.map(d => d.$type)).toEqual(['Definition', 'Definition', 'Extern', 'Extern']);
        const other = module.declarations[3] as ast.Extern;
        expect(other.net?.architecture).toBe('mlp');
        expect(other.net?.args.map(a => `${a.key ?? ''}=${a.value}`)).toEqual(['=16', 'activation=tanh']);
    });

    test('application is left-associative and binds tighter than if/fun/let, which extend right', async () => {
        const defs = 'def f (a : Bool) (b : Bool) : Bool = if a then b else if b then false else false\n';
        expect(shape(await body(`${defs}def t : Bool = f true false`))).toBe('app(app(f, true), false)');
        expect(shape(await body(`${defs}def t : Bool = if true then f true false else f false true`)))
            .toBe('if(true, app(app(f, true), false), app(app(f, false), true))');
        expect(shape(await body(`${defs}def t : Bool -o Bool = fun x => f x true`))).toBe('fun[x](app(app(f, x), true))');
        expect(shape(await body(`${defs}def t : Bool = let y = true in f y false`))).toBe('let(y, true, app(app(f, y), false))');
    });

    test('the three lambda spellings, multiple binders, annotated binders', async () => {
        for (const lambda of ['fun', '\\', 'λ']) {
            expect(shape(await body(`def t : Bool -o Bool -o Bool = ${lambda} x y => if x then y else if y then false else false`)))
                .toBe('fun[x y](if(x, y, if(y, false, false)))');
        }
        const term = await body('def t : Bool -o Bool = fun (x : Bool) => x') as ast.Lambda;
        expect(term.binders[0].type?.$type).toBe('BoolType');
    });

    test('ASCII and Unicode type operators: -o / ⊸ right-associative, * / ⊗ left-associative and tighter', async () => {
        const module = await parse([
            'def a : Bool -o Bool -o Bool = fun x y => if x then y else y',
            'def b : Bool ⊸ Bool ⊸ Bool = fun x y => if x then y else y',
            'def c : Bool * Nat ⊗ Bool -o Bool = fun p => let (bn, b) = p in let (x, n) = bn in if x then (iter n { zero => b ; succ y => y }) else (iter n { zero => b ; succ y => y })'
        ].join('\n'));
        const types = module.declarations.map(d => (d as ast.Definition).returnType);
        const print = (t: ast.Type): string => {
            switch (t.$type) {
                case 'BoolType': return 'B';
                case 'NatType': return 'N';
                case 'RealType': return 'R';
                case 'FunctionType': return `(${print(t.domain)} -o ${print(t.codomain)})`;
                case 'ProductType': return `(${print(t.left)} * ${print(t.right)})`;
            }
        };
        expect(types.map(print)).toEqual(['(B -o (B -o B))', '(B -o (B -o B))', '(((B * N) * B) -o B)']);
    });

    test('Nat, Nat[k], numerals, zero, succ with an atomic argument', async () => {
        expect(shape(await body('def t : Nat[5] = succ (succ zero)'))).toBe('succ(succ(zero))');
        expect(shape(await body('def t : Nat = succ 3'))).toBe('succ(3)');
        const module = await parse('def t : Nat[7] = 6');
        expect(((module.declarations[0] as ast.Definition).returnType as ast.NatType).bound).toBe(7);
    });

    test('iter, with and without the final semicolon', async () => {
        expect(shape(await body('def t (n : Nat) : Bool = iter n { zero => true ; succ y => if y then false else true }')))
            .toBe('iter(n, true, y. if(y, false, true))');
        expect(shape(await body('def t (n : Nat) : Bool = iter n { zero => true ; succ y => y ; }'))).toBe('iter(n, true, y. y)');
    });

    test('pairs, pair patterns, let with an annotation, ascription, parentheses', async () => {
        expect(shape(await body('def t : Nat * Bool = let (a, b) = (true, 3) in (b, a)'))).toBe('letpair(a, b, pair(true, 3), pair(b, a))');
        expect(shape(await body('def t : Nat[4] = let x : Nat[4] = 3 in x'))).toBe('let(x, 3, x)');
        expect(shape(await body('def t : Nat[4] = ((3 : Nat[4]))'))).toBe('as(3)');
        expect(shape(await body('def t : (Bool * Bool) * Bool = ((true, false), true)'))).toBe('pair(pair(true, false), true)');
    });

    test('line comments, doc comments and nested block comments are ignored', async () => {
        const module = await parse([
            '-- a line comment',
            '--| a doc comment',
            'def a : Bool = {- a block {- nested {- twice -} -} comment -} true -- trailing',
            '{- a block comment',
            '   over lines, with -- inside -}',
            'def b : Bool = false'
        ].join('\n'));
        expect(module.declarations.map(d => d.name)).toEqual(['a', 'b']);
    });

    test('a train block with data, model, target and settings', async () => {
        const module = await parse([
            'extern isEven : Real[28, 28] -o Bool = mlp(64)',
            'def not (x : Bool) : Bool = if x then false else true',
            'def parity : Nat -o Bool = fun n => iter n { zero => true ; succ y => not y }',
            'train even { data mnist (x, d); model isEven x; target parity d; loss cross_entropy; lr 0.01; epochs 1; }'
        ].join('\n'));
        const training = module.declarations[3] as ast.Training;
        expect(training.options.map(o => o.$type)).toEqual(['DataOption', 'ModelOption', 'TargetOption', 'SettingOption', 'SettingOption', 'SettingOption']);
    });
});

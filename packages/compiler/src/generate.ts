/**
 * TensorFlow.js code generation: compiled programs → an ES module (+ `.d.ts`) that
 * imports `@tensorflow/tfjs` and `@cajal/runtime`. Per definition it exports a function
 * over `tf.Tensor`s with a leading batch axis, taking linked networks (externs) as its
 * last argument, plus type/shape metadata. Pure: returns text; writing files is the CLI's job.
 */
import { expandToNode, joinToNode, toString } from 'langium/generate';
import type { LangiumDocument } from 'langium';
import { ast, type CajalServices } from '@cajal/language';
import { containsIterate, type RuntimeEntryPoint } from '@cajal/ir';
import { ProgramCompiler, type IrNode, type Program, type ProgramOptions, type VarRef } from './program.js';

export interface GenerateOptions {
    /** Import specifier of the runtime (default '@cajal/runtime'). */
    runtimeImport?: string;
    /** Import specifier of TensorFlow.js (default '@tensorflow/tfjs'). */
    tfImport?: string;
    /** Shown in the header comment, e.g. the source file name. */
    source?: string;
    /** Constants with more entries are embedded as base64 float32 (default 64). */
    inlineLimit?: number;
}

export interface GeneratedModule {
    /** The ES module. */
    js: string;
    /** Its TypeScript declarations. */
    dts: string;
}

const RESERVED = new Set([
    'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
    'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super',
    'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'let', 'static', 'implements',
    'interface', 'package', 'private', 'protected', 'public', 'await', 'async', 'of', 'arguments', 'eval', 'undefined', 'NaN', 'Infinity',
    // names the generated module itself uses
    'tf', 'rt', 'metadata', 'externs', 'networks', 'batch', 'out'
]);

/** A JavaScript identifier for a Cajal name (`f'` → `f$`, reserved words get a trailing `$`). */
export function jsIdentifier(name: string): string {
    const base = name.replace(/'/g, '$');
    return RESERVED.has(base) ? `${base}$` : base;
}

/** An expression tree, rendered on one line when short and broken over lines otherwise. */
type Expr = string
    | { readonly call: string; readonly args: readonly Expr[] }
    | { readonly array: readonly Expr[] }
    | { readonly arrow: readonly string[]; readonly body: Expr };

function render(expr: Expr, indent: string): string {
    const flat = renderFlat(expr);
    if (flat.length + indent.length <= 110) return flat;
    if (typeof expr === 'string') return expr;
    const inner = indent + '    ';
    if ('arrow' in expr) return `(${expr.arrow.join(', ')}) =>\n${inner}${render(expr.body, inner)}`;
    if ('array' in expr) return `[\n${expr.array.map(a => inner + render(a, inner)).join(',\n')}\n${indent}]`;
    return `${expr.call}(\n${expr.args.map(a => inner + render(a, inner)).join(',\n')}\n${indent})`;
}

function renderFlat(expr: Expr): string {
    if (typeof expr === 'string') return expr;
    if ('arrow' in expr) return `(${expr.arrow.join(', ')}) => ${renderFlat(expr.body)}`;
    if ('array' in expr) return `[${expr.array.map(renderFlat).join(', ')}]`;
    return `${expr.call}(${expr.args.map(renderFlat).join(', ')})`;
}

const json = (value: unknown): string => JSON.stringify(value);
const varName = (ref: VarRef): string => `$v${ref.id}`;
/** A runtime function as generated code calls it; the name is checked against the contract's list. */
const rt = (entryPoint: RuntimeEntryPoint): string => `rt.${entryPoint}`;

class ModuleWriter {
    readonly constants: string[] = [];
    private readonly inlineLimit: number;

    constructor(options: GenerateOptions) {
        this.inlineLimit = options.inlineLimit ?? 64;
    }

    /** Identical constants (e.g. one definition applied in several places) are emitted once. */
    private readonly byContent = new Map<string, string>();

    private constant(shape: readonly number[], data: Float32Array): string {
        const key = `${shape.join(',')}:${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}`;
        const existing = this.byContent.get(key);
        if (existing) return existing;
        const id = this.constants.length;
        this.byContent.set(key, `$c${id}`);
        let literal: string;
        if (data.length <= this.inlineLimit) {
            literal = `[${Array.from(data, formatNumber).join(', ')}]`;
        } else {
            const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
            literal = `${rt('float32FromBase64')}(${json(Buffer.from(bytes).toString('base64'))})`;
        }
        this.constants.push(`const $c${id} = { shape: ${json(shape)}, data: ${literal}, cache: {} };`);
        return `$c${id}`;
    }

    expr(node: IrNode): Expr {
        switch (node.op) {
            case 'tensor': {
                const c = this.constant(node.shape, node.data);
                return { call: rt('applyTensor'), args: [`${rt('constantTensor')}(${c}.cache, ${c}.shape, ${c}.data)`, { array: node.inputs.map(i => this.expr(i)) }] };
            }
            case 'var': return varName(node.var);
            case 'network':
                return { call: rt('networkCall'), args: ['networks', json(node.name), { array: node.arguments.map(a => this.expr(a)) }, json(node.inputShapes), json(node.outputShape)] };
            case 'apply': return { call: rt('applyMatrix'), args: [this.expr(node.function), this.expr(node.argument), "'batched'"] };
            case 'gate': return { call: rt('gate'), args: [this.expr(node.condition), this.expr(node.then), this.expr(node.else)] };
            case 'iterate':
                return { call: rt('iterate'), args: [this.expr(node.count), this.expr(node.base), { arrow: [varName(node.binder)], body: this.expr(node.step) }] };
            case 'pair': return { call: rt('outer'), args: [this.expr(node.left), this.expr(node.right)] };
            case 'letPair':
                return {
                    call: rt('splitPair'),
                    args: [this.expr(node.pair), String(node.dims[0]), String(node.dims[1]), { arrow: [varName(node.first), varName(node.second)], body: this.expr(node.body) },
                        ...(containsIterate(node.body) ? [`'both'`] : [])]
                };
            case 'let': return { call: rt('bindValue'), args: [this.expr(node.value), { arrow: [varName(node.binder)], body: this.expr(node.body) }] };
            case 'succ': return { call: rt('succ'), args: [this.expr(node.argument)] };
            case 'lambda': return { call: rt('materialize'), args: [String(node.domainDim), { arrow: [varName(node.binder)], body: this.expr(node.body) }] };
        }
    }
}

function formatNumber(x: number): string {
    return Object.is(x, -0) ? '0' : String(x);
}

function parameterNames(program: Program): string[] {
    const used = new Set<string>();
    return program.inputs.map(input => {
        let name = jsIdentifier(input.name);
        while (used.has(name)) name = `${name}_`;
        used.add(name);
        return name;
    });
}

function metadataOf(program: Program): unknown {
    return {
        type: program.typeText, typeDesc: program.type,
        inputs: program.inputs.map(input => ({ name: input.name, type: input.type, shape: input.shape })),
        output: program.output, outputShape: program.outputShape,
        externs: program.externs.map(e => e.name)
    };
}

/** Generates the module text for compiled programs (one exported function each). */
export function generateTfjsModule(programs: readonly Program[], options: GenerateOptions = {}): GeneratedModule {
    const writer = new ModuleWriter(options);
    const functions = programs.map(program => {
        const params = parameterNames(program);
        const body = render(writer.expr(program.body), '        ');
        const flattened = program.inputs.map((input, i) => `const ${varName(input)} = ${rt('flatten')}(${params[i]});`);
        const batch = params.length === 0 ? '1' : `Math.max(${params.map(p => `${p}.shape[0]`).join(', ')})`;
        return expandToNode`
            /** ${program.name} : ${program.typeText} — inputs [batch, …shape], result [batch, ${program.outputShape.join(', ')}]. */
            export function ${jsIdentifier(program.name)}(${[...params, 'networks = {}'].join(', ')}) {
                ${rt('requireNetworks')}(${json(program.externs.map(e => e.name))}, networks);
                const batch = ${batch};
                return tf.tidy(() => {
                    ${joinToNode(flattened, { appendNewLineIfNotEmpty: true })}
                    const out = ${rt('toBatch')}(${body}, batch);
                    return out.reshape([out.shape[0], ${program.outputShape.join(', ')}]);
                });
            }
        `;
    });
    const externs = new Map<string, unknown>();
    for (const program of programs) for (const e of program.externs) externs.set(e.name, { type: e.type, inputShapes: e.inputShapes, outputShape: e.outputShape });
    const metadata = Object.fromEntries(programs.map(p => [p.name, metadataOf(p)]));
    const js = toString(expandToNode`
        // Generated by the Cajal compiler${options.source ? ` from ${options.source}` : ''}. Do not edit.
        // Each function takes tf.Tensors with a leading batch axis, then the linked networks
        // (one function per extern: a batch of each argument's shape → a batch of its output shape;
        // an extern of several arguments is one network called with all of them).
        import * as tf from ${json(options.tfImport ?? '@tensorflow/tfjs')};
        import * as rt from ${json(options.runtimeImport ?? '@cajal/runtime')};

        ${joinToNode(writer.constants, { appendNewLineIfNotEmpty: true })}
        /** Types and shapes of every definition, by Cajal name. */
        export const metadata = ${json(metadata)};

        /** Externs the definitions call, with the shapes their networks map between (one input shape per argument). */
        export const externs = ${json(Object.fromEntries(externs))};

        ${joinToNode(functions, { separator: '\n', appendNewLineIfNotEmpty: true })}
    `) + '\n';
    const dts = toString(expandToNode`
        // Generated by the Cajal compiler${options.source ? ` from ${options.source}` : ''}. Do not edit.
        import type * as tf from ${json(options.tfImport ?? '@tensorflow/tfjs')};
        import type { LinkedNetworks, TypeDesc } from ${json(options.runtimeImport ?? '@cajal/runtime')};

        export interface DefinitionMetadata {
            readonly type: string;
            readonly typeDesc: TypeDesc;
            readonly inputs: readonly { readonly name: string; readonly type: TypeDesc; readonly shape: readonly number[] }[];
            readonly output: TypeDesc;
            readonly outputShape: readonly number[];
            readonly externs: readonly string[];
        }
        export declare const metadata: { readonly [name: string]: DefinitionMetadata };
        export declare const externs: { readonly [name: string]: { readonly type: TypeDesc; readonly inputShapes: readonly (readonly number[])[]; readonly outputShape: readonly number[] } };

        ${joinToNode(programs, program => `/** ${program.name} : ${program.typeText} — result [batch, ${program.outputShape.join(', ')}]. */\nexport declare function ${jsIdentifier(program.name)}(${[...parameterNames(program).map(p => `${p}: tf.Tensor`), 'networks?: LinkedNetworks'].join(', ')}): tf.Tensor;`, { appendNewLineIfNotEmpty: true })}
    `) + '\n';
    return { js, dts };
}

/** Compiles every definition of a document (uncurried: parameters become inputs). */
export function compileDocumentPrograms(document: LangiumDocument, services: CajalServices, options: ProgramOptions = {}): Program[] {
    const module = document.parseResult.value as ast.Module;
    const compiler = new ProgramCompiler(services, options);
    return module.declarations.filter(ast.isDefinition).map(definition => compiler.compileDefinition(definition, options));
}

/** The TensorFlow.js module of a document's definitions. */
export function compileDocumentToTfjs(document: LangiumDocument, services: CajalServices, options: GenerateOptions & ProgramOptions = {}): GeneratedModule & { programs: Program[] } {
    const programs = compileDocumentPrograms(document, services, options);
    return { ...generateTfjsModule(programs, options), programs };
}

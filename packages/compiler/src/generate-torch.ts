/**
 * PyTorch code generation: compiled programs → one Python module that imports only `torch`.
 * Per definition a `torch.nn.Module` (a subclass of the module's `Definition`) whose forward
 * takes tensors with a leading batch axis and executes the IR op for op as @cajal/runtime's
 * `runProgram` does (the helpers, emitted into the module, mirror runtime/src/neurons.ts);
 * constant neurons are buffers with the layouts of spec §7 (the numbers of `--emit weights`);
 * externs are networks passed in, or built from their declared architectures by
 * `build_networks` with the parameter layout of the tfjs networks. Pure: returns text.
 */
import { AstUtils, type LangiumDocument } from 'langium';
import { ast, architectureRequest, externReading, resolveArchitecture, type CajalServices, type ResolvedArchitecture } from '@cajal/language';
import { compileDocumentPrograms } from './generate.js';
import type { IrNode, Program, ProgramOptions, VarRef } from './program.js';
import { containsIterate } from '@cajal/ir';
import { TORCH_RUNTIME } from './torch-runtime.js';

/** An extern's declared architecture, as the generated `Network` builds it. */
export interface TorchArchitecture {
    readonly architecture: string;
    readonly layers: readonly number[];
    readonly kernel: number;
    readonly dense: number;
    readonly pool: number;
    readonly pooling: string;
    readonly window: number;
    readonly element: readonly number[];
    readonly blend: number;
    readonly activation: string;
    /** Output normalisation: softmax, sigmoid or raw. */
    readonly output: string;
    readonly learnable: boolean;
    readonly parameters: number;
    readonly inputs: readonly (readonly number[])[];
    readonly outputShape: readonly number[];
}

export interface TorchGenerateOptions {
    /** Shown in the header comment, e.g. the source file name. */
    source?: string;
    /** Constants with more entries are embedded as hex float32 (default 64). */
    inlineLimit?: number;
    /** Declared architectures of externs, by name; externs without one must be passed in. */
    architectures?: Readonly<Record<string, TorchArchitecture>>;
}

/** The architecture description the generated module builds an extern's network from. */
export function torchArchitecture(resolved: ResolvedArchitecture): TorchArchitecture {
    return {
        architecture: resolved.architecture, layers: [...resolved.layers], kernel: resolved.kernel, dense: resolved.dense,
        pool: resolved.pool, pooling: resolved.pooling, window: resolved.window, element: [...resolved.element], blend: resolved.blend,
        activation: resolved.activation, output: resolved.output, learnable: resolved.learnable, parameters: resolved.parameters,
        inputs: resolved.signature.inputs.map(s => [...s]), outputShape: [...resolved.signature.output]
    };
}

const PYTHON_RESERVED = new Set([
    'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
    'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise',
    'return', 'try', 'while', 'with', 'yield', 'match', 'case', 'type', 'print', 'self',
    // names the generated module itself uses
    'torch', 'metadata', 'externs', 'definitions', 'build_networks', 'encode', 'decode', 'Definition', 'Network',
    'MissingNetworksError', 'batch', 'out', 'networks', 'like'
]);

/** A Python identifier for a Cajal name (`f'` → `f_`, `train.model` → `train_model`, reserved words and module names get a trailing `_`). */
export function pythonIdentifier(name: string): string {
    const base = name.replace(/[^A-Za-z0-9_]/g, '_');
    return PYTHON_RESERVED.has(base) || /^_v\d+$/.test(base) || base.startsWith('__') ? `${base}_` : base;
}

/** A Python literal of JSON data (True/False/None; JSON strings are valid Python strings). */
export function pythonLiteral(value: unknown): string {
    if (value === null || value === undefined) return 'None';
    if (value === true) return 'True';
    if (value === false) return 'False';
    if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `float(${JSON.stringify(String(value))})`;
    if (typeof value === 'string') return JSON.stringify(value);
    if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(', ')}]`;
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${pythonLiteral(v)}`).join(', ')}}`;
}

/** A dict literal with one entry per line (metadata, externs). */
function pythonDict(entries: Readonly<Record<string, unknown>>): string {
    const lines = Object.entries(entries).map(([k, v]) => `    ${JSON.stringify(k)}: ${pythonLiteral(v)},`);
    return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n}`;
}

/** An expression tree, rendered on one line when short and broken over lines (inside parentheses) otherwise. */
type Expr = string
    | { readonly call: string; readonly args: readonly Expr[] }
    | { readonly list: readonly Expr[] }
    | { readonly lambda: readonly string[]; readonly body: Expr };

function render(expr: Expr, indent: string): string {
    const flat = renderFlat(expr);
    if (flat.length + indent.length <= 110 || typeof expr === 'string') return flat;
    const inner = indent + '    ';
    if ('lambda' in expr) return `lambda ${expr.lambda.join(', ')}: (\n${inner}${render(expr.body, inner)}\n${indent})`;
    if ('list' in expr) return `[\n${expr.list.map(a => inner + render(a, inner)).join(',\n')}\n${indent}]`;
    return `${expr.call}(\n${expr.args.map(a => inner + render(a, inner)).join(',\n')}\n${indent})`;
}

function renderFlat(expr: Expr): string {
    if (typeof expr === 'string') return expr;
    if ('lambda' in expr) return `lambda ${expr.lambda.join(', ')}: ${renderFlat(expr.body)}`;
    if ('list' in expr) return `[${expr.list.map(renderFlat).join(', ')}]`;
    return `${expr.call}(${expr.args.map(renderFlat).join(', ')})`;
}

const varName = (ref: VarRef): string => `_v${ref.id}`;

/** A float32 value as a Python literal (JavaScript's shortest round-trip text is valid Python). */
function formatNumber(x: number): string {
    return x === 0 ? '0' : String(x);
}

class TorchModuleWriter {
    readonly constants: string[] = [];
    private readonly byContent = new Map<string, number>();
    private readonly inlineLimit: number;
    /** Constants the definition being written uses (buffers to register). */
    used = new Set<number>();

    constructor(options: TorchGenerateOptions) {
        this.inlineLimit = options.inlineLimit ?? 64;
    }

    /** Identical constants (one definition applied in several places) are emitted once. */
    private constant(shape: readonly number[], data: Float32Array): string {
        const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        const key = `${shape.join(',')}:${bytes.toString('base64')}`;
        let id = this.byContent.get(key);
        if (id === undefined) {
            id = this.constants.length;
            this.byContent.set(key, id);
            // Large constants as little-endian float32 hex: exact, and decoded without imports.
            const literal = data.length <= this.inlineLimit ? `[${Array.from(data, formatNumber).join(', ')}]` : JSON.stringify(bytes.toString('hex'));
            this.constants.push(`_C${id} = (${pythonLiteral(shape)}, ${literal})`);
        }
        this.used.add(id);
        return `self.c${id}`;
    }

    expr(node: IrNode): Expr {
        switch (node.op) {
            case 'tensor': return { call: '_contract', args: [this.constant(node.shape, node.data), { list: node.inputs.map(i => this.expr(i)) }] };
            case 'var': return varName(node.var);
            case 'network':
                return { call: '_network', args: ['networks', JSON.stringify(node.name), { list: node.arguments.map(a => this.expr(a)) }, pythonLiteral(node.inputShapes), pythonLiteral(node.outputShape)] };
            case 'apply': return { call: '_apply', args: [this.expr(node.function), this.expr(node.argument)] };
            case 'gate': return { call: '_gate', args: [this.expr(node.condition), this.expr(node.then), this.expr(node.else)] };
            case 'iterate': return { call: '_iterate', args: [this.expr(node.count), this.expr(node.base), { lambda: [varName(node.binder)], body: this.expr(node.step) }] };
            case 'pair': return { call: '_outer', args: [this.expr(node.left), this.expr(node.right)] };
            case 'letPair':
                return {
                    call: '_split_pair',
                    args: [this.expr(node.pair), String(node.dims[0]), String(node.dims[1]), { lambda: [varName(node.first), varName(node.second)], body: this.expr(node.body) },
                        ...(containsIterate(node.body) ? ['"both"'] : [])]
                };
            case 'let': return { call: '_bind', args: [this.expr(node.value), { lambda: [varName(node.binder)], body: this.expr(node.body) }] };
            case 'succ': return { call: '_succ', args: [this.expr(node.argument)] };
            case 'lambda': return { call: '_materialize', args: [String(node.domainDim), { lambda: [varName(node.binder)], body: this.expr(node.body) }, 'like'] };
        }
    }
}

function metadataOf(program: Program): unknown {
    return {
        name: program.name, type: program.typeText, typeDesc: program.type,
        inputs: program.inputs.map(input => ({ name: input.name, type: input.type, shape: input.shape })),
        output: program.output, outputShape: program.outputShape,
        externs: program.externs.map(e => e.name)
    };
}

function uniqueNames(names: readonly string[], used = new Set<string>()): string[] {
    return names.map(name => {
        let id = pythonIdentifier(name);
        while (used.has(id)) id = `${id}_`;
        used.add(id);
        return id;
    });
}

/** Generates the Python module text for compiled programs (one torch.nn.Module class each). */
export function generateTorchModule(programs: readonly Program[], options: TorchGenerateOptions = {}): string {
    const writer = new TorchModuleWriter(options);
    const classNames = uniqueNames(programs.map(p => p.name));
    const classes = programs.map((program, index) => {
        writer.used = new Set();
        const params = uniqueNames(program.inputs.map(i => i.name));
        const body = render(writer.expr(program.body), '        ');
        const buffers = [...writer.used].sort((a, b) => a - b).map(id => `        self.register_buffer("c${id}", _constant(*_C${id}))`);
        const lines = [
            `class ${classNames[index]}(Definition):`,
            `    """${program.name} : ${program.typeText} — inputs [batch, …shape], result [batch, ${program.outputShape.join(', ')}]."""`,
            '',
            `    metadata = metadata[${JSON.stringify(program.name)}]`,
            `    externs = (${program.externs.map(e => JSON.stringify(e.name) + ', ').join('')})`,
            ''
        ];
        if (buffers.length > 0) {
            lines.push('    def __init__(self, networks=None):', '        super().__init__(networks)', ...buffers, '');
        }
        lines.push(
            `    def forward(self${params.map(p => `, ${p}`).join('')}):`,
            `        batch = self._check((${params.map(p => `${p}, `).join('')}))`,
            '        networks = self.networks',
            '        like = self._like',
            ...program.inputs.map((input, i) => `        ${varName(input)} = _flatten(${params[i]})`),
            `        out = _to_batch(${body}, batch)`,
            `        return out.reshape(out.shape[0], ${program.outputShape.join(', ')})`
        );
        return lines.join('\n');
    });
    const externs = new Map<string, unknown>();
    for (const program of programs) {
        for (const e of program.externs) {
            externs.set(e.name, { type: e.type, inputShapes: e.inputShapes, outputShape: e.outputShape, architecture: options.architectures?.[e.name] ?? null });
        }
    }
    const metadata = Object.fromEntries(programs.map(p => [p.name, metadataOf(p)]));
    const text = [
        `# Generated by the Cajal compiler${options.source ? ` from ${options.source}` : ''}. Do not edit.`,
        '# Per definition a torch.nn.Module: construct it with the networks of its externs',
        '# ({name: module or callable}; build_networks() makes them from the declared architectures),',
        '# then call it on tensors with a leading batch axis; it returns [batch, *outputShape].',
        '# Runs on PyTorch 1.13 and 2.x; imports only torch.',
        'import torch',
        TORCH_RUNTIME.trimEnd(),
        '',
        '',
        ...writer.constants,
        ...(writer.constants.length > 0 ? [''] : []),
        '# Types and shapes of every definition, by Cajal name.',
        `metadata = ${pythonDict(metadata)}`,
        '',
        '# Externs the definitions call: the shapes their networks map between (one input shape per',
        '# argument) and the declared architecture (None: the caller passes the network).',
        `externs = ${pythonDict(Object.fromEntries(externs))}`,
        '',
        '',
        'def build_networks(names=None, seed=0):',
        '    """Networks of the declared architectures (Glorot-uniform kernels from torch.Generator(seed), zero biases)."""',
        '    generator = torch.Generator().manual_seed(seed)',
        '    result = {}',
        '    for name in (externs if names is None else names):',
        '        if externs[name]["architecture"] is None:',
        `            raise ValueError("extern '%s' declares no architecture: pass a network for it" % name)`,
        '        result[name] = Network(externs[name]["architecture"], generator)',
        '    return torch.nn.ModuleDict(result)',
        '',
        '',
        ...classes.flatMap(c => [c, '', '']),
        '# The definitions by Cajal name.',
        `definitions = {${programs.map((p, i) => `${JSON.stringify(p.name)}: ${classNames[i]}`).join(', ')}}`
    ];
    return text.join('\n') + '\n';
}

/** The declared architectures of the externs a document declares or uses (imported ones too), where they name a valid one. */
export function documentArchitectures(document: LangiumDocument): Record<string, TorchArchitecture> {
    const result: Record<string, TorchArchitecture> = {};
    const module = document.parseResult.value as ast.Module;
    const externs = new Set<ast.Extern>(module.declarations.filter(ast.isExtern));
    for (const node of AstUtils.streamAst(module)) {
        if (ast.isVar(node) && ast.isExtern(node.ref?.ref)) externs.add(node.ref.ref);
    }
    for (const extern of externs) {
        if (!extern.net?.architecture) continue;
        const resolved = resolveArchitecture(architectureRequest(extern.net), externReading(extern));
        if (resolved.ok) result[extern.name] = torchArchitecture(resolved.resolved);
    }
    return result;
}

/** The PyTorch module of a document's definitions. */
export function compileDocumentToTorch(document: LangiumDocument, services: CajalServices, options: TorchGenerateOptions & ProgramOptions = {}): { python: string; programs: Program[] } {
    const programs = compileDocumentPrograms(document, services, options);
    return { python: generateTorchModule(programs, { architectures: documentArchitectures(document), ...options }), programs };
}

/**
 * The compiler's entry points: a definition or a term to a run-time program, with the
 * warnings about what the program computes differently from the interpreter. Callers use
 * these (`TermCompiler` for several terms with one cache, `NeuronCompiler` / `neuronOf` for
 * closed definitions' tensors) rather than wiring the compiler's passes — `ProgramCompiler`,
 * the folder and its analysis — themselves.
 */
import type { ast, CajalServices } from '@cajal/language';
import { ProgramCompiler, type CompileWarning, type Program, type ProgramOptions } from './program.js';

/** A compiled program and the compiler's warnings about it (`compile/…` codes, docs/diagnostics.md). */
export interface CompiledProgram {
    readonly program: Program;
    readonly warnings: readonly CompileWarning[];
}

/**
 * Compiles a definition to a program whose inputs are its parameters (uncurried; with
 * `uncurry: false`, the definition as one value). Throws `CompileError` (with the node) for
 * what cannot be compiled.
 */
export function compileDefinition(definition: ast.Definition, services: CajalServices, options: ProgramOptions = {}): CompiledProgram {
    const compiler = new ProgramCompiler(services, options);
    const program = compiler.compileDefinition(definition, options);
    return { program, warnings: compiler.warnings };
}

/**
 * Compiles a term whose free variables are `inputs` (a training block's model or target,
 * whose data fields may be used any number of times) to a program named `name`.
 */
export function compileTerm(
    term: ast.Term, inputs: readonly ast.Binder[], services: CajalServices, options: ProgramOptions & { name?: string } = {}
): CompiledProgram {
    const compiler = new TermCompiler(inputs, services, options);
    const program = compiler.compile(term, options.name);
    return { program, warnings: compiler.warnings };
}

/**
 * Several terms over the same inputs (a training block's model and target) compiled with one
 * cache: the definitions they share are folded once, and a warning about a shared definition
 * is reported once. Like `NeuronCompiler`, it must not outlive an edit.
 */
export class TermCompiler {
    private readonly compiler: ProgramCompiler;

    constructor(private readonly inputs: readonly ast.Binder[], services: CajalServices, options: ProgramOptions = {}) {
        this.compiler = new ProgramCompiler(services, options);
    }

    /** `term` as a program named `name`; throws `CompileError` (with the node) for what cannot be compiled. */
    compile(term: ast.Term, name?: string): Program {
        return this.compiler.compileTerm(term, this.inputs, name);
    }

    /** The warnings about every term compiled so far (`compile/…` codes, docs/diagnostics.md). */
    get warnings(): readonly CompileWarning[] {
        return this.compiler.warnings;
    }
}

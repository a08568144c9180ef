import { AstUtils, type AstNode } from 'langium';
import { isEnumerable } from '@cajal/ir';
import { ast, declaredType } from '@cajal/language';
import { NeuronCompiler, type Neuron } from '@cajal/compiler';
import type { CajalLspServices } from '../cajal-lsp-module.js';

/** The `cajal/neuron` answer (see the interfaces of the project): the compiler's neuron. */
export type NeuronInfo = Neuron;

/** Hover shows a closed definition's matrix itself when it has at most this many entries. */
export const MATRIX_HOVER_LIMIT = 64;
/** Largest matrix whose entries `cajal/neuron` sends (larger ones come with `data: null`). */
export const NEURON_REQUEST_LIMIT = 1 << 16;

/**
 * Neurons of closed definitions, computed by the compiler in plain TypeScript. Results are
 * cached per definition node until the next change anywhere in the workspace: a matrix
 * depends on the bodies of the definitions it refers to, and the incremental parser keeps
 * unchanged definitions as the same nodes across edits.
 */
export class CajalNeurons {
    private cache = new WeakMap<ast.Definition, NeuronInfo | { error: string }>();
    private externCache = new WeakMap<ast.Definition, ast.Extern[]>();
    /** The neuron compiler, whose cache of definition tensors is shared by all requests. */
    private compiler: NeuronCompiler | undefined;

    constructor(private readonly services: CajalLspServices) {
        // Any change may change what a definition refers to (also in importers, which are
        // re-linked without being re-parsed): start afresh.
        services.shared.workspace.DocumentBuilder.onUpdate(() => {
            this.cache = new WeakMap();
            this.externCache = new WeakMap();
            this.compiler = undefined;
        });
    }

    /** Externs a definition depends on, directly or through other definitions. */
    externsUsedBy(definition: ast.Definition): ast.Extern[] {
        let externs = this.externCache.get(definition);
        if (!externs) {
            externs = this.computeExternsUsedBy(definition);
            this.externCache.set(definition, externs);
        }
        return externs;
    }

    private computeExternsUsedBy(definition: ast.Definition): ast.Extern[] {
        const seen = new Set<AstNode>([definition]);
        const externs = new Set<ast.Extern>();
        const queue: ast.Definition[] = [definition];
        while (queue.length > 0) {
            const current = queue.pop()!;
            for (const node of AstUtils.streamAllContents(current)) {
                if (!ast.isVar(node)) continue;
                const target = node.ref?.ref;
                if (ast.isExtern(target)) externs.add(target);
                else if (ast.isDefinition(target) && !seen.has(target)) {
                    seen.add(target);
                    const known = this.externCache.get(target);
                    if (known) known.forEach(e => externs.add(e));
                    else queue.push(target);
                }
            }
        }
        return [...externs];
    }

    /** True when the definition's type has no Real inside and it uses no extern: it compiles to a constant tensor we can print. */
    isRunnable(definition: ast.Definition): boolean {
        return isEnumerable(declaredType(definition)) && this.externsUsedBy(definition).length === 0;
    }

    neuronOf(definition: ast.Definition): NeuronInfo | { error: string } {
        const cached = this.cache.get(definition);
        if (cached) return cached;
        const result = this.computeNeuron(definition);
        this.cache.set(definition, result);
        return result;
    }

    private computeNeuron(definition: ast.Definition): NeuronInfo | { error: string } {
        const externs = this.externsUsedBy(definition);
        if (externs.length > 0) {
            return { error: `'${definition.name}' uses the extern${externs.length === 1 ? '' : 's'} ${externs.map(e => `'${e.name}'`).join(', ')}, a learned network: its neuron is known only once it is linked.` };
        }
        const document = AstUtils.getDocument(definition);
        const errors = (document.diagnostics ?? []).filter(d => d.severity === 1);
        if (errors.length > 0) {
            return { error: `'${definition.name}' cannot be compiled while its file has errors (${errors.length}).` };
        }
        try {
            this.compiler ??= new NeuronCompiler(this.services, { maxEntries: NEURON_REQUEST_LIMIT });
            const neuron = this.compiler.neuronOf(definition);
            return { name: neuron.name, type: neuron.type, shape: neuron.shape, weights: neuron.weights, data: neuron.data, rows: neuron.rows, cols: neuron.cols };
        } catch (error) {
            return { error: error instanceof Error ? error.message : String(error) };
        }
    }
}

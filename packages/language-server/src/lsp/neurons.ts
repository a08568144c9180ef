import { AstUtils } from 'langium';
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
        return this.externCache.get(definition) ?? this.computeExternsUsedBy(definition);
    }

    /**
     * A depth-first walk over the definitions it refers to, which caches the result of every
     * definition it finishes, not only of the one asked about: hovers on the names of a long
     * chain of definitions would otherwise each walk the rest of the chain again. A definition
     * on a cycle (an error, but the tree is still hovered) sees only part of its closure until
     * the walk returns to the first definition of the cycle, so its result is not cached.
     */
    private computeExternsUsedBy(definition: ast.Definition): ast.Extern[] {
        type Frame = { definition: ast.Definition; uses: ast.Definition[]; next: number; externs: Set<ast.Extern>; partial: boolean };
        const open = new Set<ast.Definition>();
        /** Results of this walk, also those not cached; `partial` those that missed part of a cycle. */
        const finished = new Map<ast.Definition, ast.Extern[]>();
        const partial = new Set<ast.Definition>();
        const enter = (target: ast.Definition): Frame => {
            open.add(target);
            const externs = new Set<ast.Extern>();
            const uses: ast.Definition[] = [];
            for (const node of AstUtils.streamAllContents(target)) {
                if (!ast.isVar(node)) continue;
                const referenced = node.ref?.ref;
                if (ast.isExtern(referenced)) externs.add(referenced);
                else if (ast.isDefinition(referenced)) uses.push(referenced);
            }
            return { definition: target, uses, next: 0, externs, partial: false };
        };
        const stack: Frame[] = [enter(definition)];
        let result: ast.Extern[] = [];
        while (stack.length > 0) {
            const frame = stack[stack.length - 1];
            if (frame.next < frame.uses.length) {
                const used = frame.uses[frame.next++];
                const known = this.externCache.get(used) ?? finished.get(used);
                if (known) {
                    known.forEach(e => frame.externs.add(e));
                    frame.partial ||= partial.has(used);
                } else if (open.has(used)) frame.partial = true;
                else stack.push(enter(used));
                continue;
            }
            stack.pop();
            open.delete(frame.definition);
            result = [...frame.externs];
            finished.set(frame.definition, result);
            if (frame.partial) partial.add(frame.definition);
            const caller = stack[stack.length - 1];
            if (caller) {
                result.forEach(e => caller.externs.add(e));
                caller.partial ||= frame.partial;
            }
            // The first definition's closure is whole: what the cycle's other members missed passed through it.
            if (!frame.partial || !caller) this.externCache.set(frame.definition, result);
        }
        return result;
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

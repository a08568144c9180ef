/**
 * Per-declaration facts the compiler needs about every term, computed bottom-up in one
 * iterative pass (no recursion, so very deep terms cost no stack): the free linear
 * variables of each term and whether it mentions an extern (a learned network), directly
 * or through a definition. Terms without externs have a constant denotation and can be
 * folded at compile time.
 */
import { AstUtils, type AstNode } from 'langium';
import { ast } from '@cajal/language';

export interface TermFacts {
    /** Binders referenced inside the term but bound outside it, in first-use order. */
    readonly free: readonly ast.Binder[];
    /** The name of an extern the term depends on, if any. */
    readonly extern?: string;
}

const NO_FACTS: TermFacts = { free: [] };

export class ProgramAnalysis {
    private readonly facts = new Map<AstNode, TermFacts>();
    private readonly analysed = new Set<AstNode>();
    /** Definitions being analysed, to stop at (already reported) definition cycles. */
    private readonly inProgress = new Set<ast.Definition>();

    factsOf(node: AstNode): TermFacts {
        const declaration = AstUtils.getContainerOfType(node, ast.isDeclaration) ?? node;
        this.analyse(declaration);
        return this.facts.get(node) ?? NO_FACTS;
    }

    /** The extern a definition depends on (transitively), or undefined when it is a constant. */
    externOfDefinition(definition: ast.Definition): string | undefined {
        return this.factsOf(definition).extern;
    }

    private analyse(declaration: AstNode): void {
        if (this.analysed.has(declaration)) return;
        if (ast.isDefinition(declaration)) {
            if (this.inProgress.has(declaration)) return;
            this.inProgress.add(declaration);
        }
        const nodes = AstUtils.streamAst(declaration).toArray();
        const free = new Map<AstNode, Set<ast.Binder>>();
        const externs = new Map<AstNode, string>();
        // Reverse pre-order visits every node after all of its descendants.
        for (let i = nodes.length - 1; i >= 0; i--) {
            const node = nodes[i];
            let own = free.get(node);
            if (ast.isVar(node)) {
                const target = node.ref?.ref;
                if (ast.isBinder(target)) {
                    own ??= new Set();
                    own.add(target);
                } else if (ast.isExtern(target)) {
                    externs.set(node, target.name);
                } else if (ast.isDefinition(target)) {
                    this.analyse(target);
                    const extern = this.facts.get(target)?.extern;
                    if (extern) externs.set(node, extern);
                }
            }
            const ownSet = own ? [...own].filter(binder => binder.$container !== node) : [];
            this.facts.set(node, { free: ownSet, extern: externs.get(node) });
            const parent = node.$container;
            if (parent && node !== declaration) {
                if (ownSet.length > 0) {
                    let parentSet = free.get(parent);
                    if (!parentSet) free.set(parent, parentSet = new Set());
                    for (const binder of ownSet) parentSet.add(binder);
                }
                const extern = externs.get(node);
                if (extern && !externs.has(parent)) externs.set(parent, extern);
            }
        }
        this.analysed.add(declaration);
        if (ast.isDefinition(declaration)) this.inProgress.delete(declaration);
    }
}

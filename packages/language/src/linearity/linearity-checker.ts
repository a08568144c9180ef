import type { AstNode } from 'langium';
import * as ast from '../generated/ast.js';
import { Codes, type CheckProblem } from '../problems.js';
import { applicationSpine, isLinearBinder, referencedBinder } from '../syntax.js';
import type { CajalTypeChecker, DeclarationTyping } from '../typing/type-checker.js';
import { ErrorType, dim, type CajalType } from '../typing/types.js';

/** The uses of each linear variable bound outside a term, in source order. */
type Uses = Map<ast.Binder, ast.Var[]>;

/**
 * The uses of a term that uses no linear variable (most leaves): one shared map, never
 * changed — `merge` makes a new map rather than add to it, and `bind` only deletes.
 */
const NO_USES: Uses = new Map();

/** `into` with `from`'s uses added (the uses of a term whose parts are `into` and `from`); `into` may be changed. */
function merge(into: Uses, from: Uses): Uses {
    if (from.size === 0) return into;
    if (into === NO_USES) into = new Map();
    for (const [binder, vars] of from) {
        const existing = into.get(binder);
        if (existing) existing.push(...vars);
        else into.set(binder, [...vars]);
    }
    return into;
}

/**
 * Checks that every linear variable is used exactly once on every execution path
 * (spec §5): unused and duplicated variables, `if` branches that use different
 * variables, and `iter` steps that replicate an outer variable (a warning).
 */
export class CajalLinearityChecker {
    /**
     * Keyed by the declaration's typing: linearity depends on the declaration and the types
     * of its binders only, so it holds exactly as long as the type checker's cached typing.
     */
    private readonly cache = new WeakMap<DeclarationTyping, readonly CheckProblem[]>();

    constructor(private readonly typeChecker: () => CajalTypeChecker) { }

    checkDeclaration(declaration: ast.Declaration, typing: DeclarationTyping = this.typeChecker().checkDeclaration(declaration)): readonly CheckProblem[] {
        let problems = this.cache.get(typing);
        if (!problems) {
            problems = new LinearityCheck(typing.types).run(declaration);
            this.cache.set(typing, problems);
        }
        return problems;
    }
}

class LinearityCheck {
    readonly problems: CheckProblem[] = [];

    /** The declaration's typing (its terms and binders are this declaration's). */
    constructor(private readonly types: DeclarationTyping['types']) { }

    private typeOf(node: AstNode): CajalType {
        return this.types.get(node) ?? ErrorType;
    }

    run(declaration: ast.Declaration): CheckProblem[] {
        if (ast.isDefinition(declaration)) {
            const uses = declaration.body ? this.uses(declaration.body) : NO_USES;
            this.bind(declaration.params, uses, declaration.body);
        } else if (ast.isTraining(declaration)) {
            // Data fields are inputs, not linear variables; the terms are still checked inside.
            for (const option of declaration.options) {
                if ((ast.isModelOption(option) || ast.isTargetOption(option)) && option.term) {
                    this.uses(option.term);
                }
            }
        }
        return this.problems;
    }

    /** Checks binders against the uses of their scope and removes them from it. */
    private bind(binders: readonly ast.Binder[], uses: Uses, scope: AstNode | undefined): void {
        for (const binder of binders) {
            if (!binder?.name) continue;
            const vars = uses.get(binder) ?? [];
            uses.delete(binder);
            if (vars.length === 0 && scope) {
                this.problems.push({
                    code: Codes.unused, severity: 'error', node: binder, property: 'name',
                    message: `The linear variable '${binder.name}' is never used: every execution path must use it exactly once.`,
                    data: { name: binder.name }
                });
            } else if (vars.length > 1) {
                for (let i = 1; i < vars.length; i++) {
                    this.problems.push({
                        code: Codes.duplicateUse, severity: 'error', node: vars[i],
                        message: `The linear variable '${binder.name}' is used ${vars.length === 2 ? 'twice' : `${vars.length} times`}: it must be used exactly once.`,
                        related: [
                            { node: binder, property: 'name', message: `'${binder.name}' is bound here` },
                            { node: vars[0], message: `first use of '${binder.name}'` },
                            { node: vars[i], message: `${ordinal(i + 1)} use of '${binder.name}'` }
                        ]
                    });
                }
            }
        }
    }

    private uses(term: ast.Term | undefined): Uses {
        if (!term) return NO_USES;
        switch (term.$type) {
            case 'Var': {
                const binder = referencedBinder(term);
                return binder && isLinearBinder(binder) ? new Map<ast.Binder, ast.Var[]>().set(binder, [term]) : NO_USES;
            }
            case 'BoolLiteral': case 'Zero': case 'Numeral': return NO_USES;
            case 'Succ': return this.uses(term.argument);
            case 'Ascription': return this.uses(term.term);
            case 'Pair': return merge(this.uses(term.first), this.uses(term.second));
            case 'Application': {
                const { head, args } = applicationSpine(term);
                let uses = this.uses(head);
                for (const argument of args) uses = merge(uses, this.uses(argument));
                return uses;
            }
            case 'Lambda': {
                const uses = this.uses(term.body);
                this.bind(term.binders, uses, term.body);
                return uses;
            }
            case 'LetTerm': {
                const body = this.uses(term.body);
                if (term.binder) this.bind([term.binder], body, term.body);
                return merge(this.uses(term.value), body);
            }
            case 'LetPairTerm': {
                const body = this.uses(term.body);
                this.bind([term.first, term.second].filter(b => b), body, term.body);
                return merge(this.uses(term.value), body);
            }
            case 'IfTerm': return this.ifUses(term);
            case 'Iter': return this.iterUses(term);
            // Error recovery can leave a term of no known kind; the parse error stands for it.
            default: return NO_USES;
        }
    }

    private ifUses(term: ast.IfTerm): Uses {
        const condition = this.uses(term.condition);
        const thenUses = this.uses(term.thenBranch);
        const elseUses = this.uses(term.elseBranch);
        const onlyThen = onlyIn(thenUses, elseUses);
        const onlyElse = onlyIn(elseUses, thenUses);
        if ((onlyThen.length > 0 || onlyElse.length > 0) && term.thenBranch && term.elseBranch) {
            const parts = [
                ...onlyThen.map(b => `'${b.name}' is used only in the then-branch`),
                ...onlyElse.map(b => `'${b.name}' is used only in the else-branch`)
            ];
            this.problems.push({
                code: Codes.branchMismatch, severity: 'error', node: term, keyword: 'if',
                message: `The branches of this if use different linear variables: ${parts.join('; ')}. Both branches must use exactly the same variables.`,
                related: [
                    ...onlyThen.map(b => ({ node: thenUses.get(b)![0] as AstNode, message: `'${b.name}' is used in the then-branch` })),
                    ...onlyThen.map(b => ({ node: term.elseBranch as AstNode, message: `the else-branch does not use '${b.name}'` })),
                    ...onlyElse.map(b => ({ node: elseUses.get(b)![0] as AstNode, message: `'${b.name}' is used in the else-branch` })),
                    ...onlyElse.map(b => ({ node: term.thenBranch as AstNode, message: `the then-branch does not use '${b.name}'` }))
                ],
                data: {
                    onlyThen: onlyThen.map(b => ({ name: b.name, type: this.typeOf(b).toString() })),
                    onlyElse: onlyElse.map(b => ({ name: b.name, type: this.typeOf(b).toString() }))
                }
            });
        }
        // Each path takes one branch: a variable counts as often as the branch using it most.
        // (merge leaves its second argument as it is: a branch's own map serves when the other has none.)
        const branches: Uses = elseUses.size === 0 ? thenUses : thenUses.size === 0 ? elseUses : new Map(thenUses);
        if (branches !== thenUses && branches !== elseUses) {
            for (const [binder, vars] of elseUses) {
                const other = branches.get(binder);
                if (!other || vars.length > other.length) branches.set(binder, vars);
            }
        }
        return merge(condition, branches);
    }

    private iterUses(term: ast.Iter): Uses {
        const uses = merge(this.uses(term.count), this.uses(term.base));
        const step = this.uses(term.step);
        if (term.stepBinder) this.bind([term.stepBinder], step, term.step);
        const countType = term.count ? this.typeOf(term.count) : undefined;
        const steps = countType?.kind === 'nat' ? `up to ${dim(countType) - 1} times` : 'once per step';
        for (const [binder, vars] of step) {
            for (const use of vars) {
                this.problems.push({
                    code: Codes.iterReplicates, severity: 'warning', node: use,
                    message: `The step of this iter uses '${binder.name}', which is bound outside it: '${binder.name}' is used once per step (${steps}), so the compiled neuron is polynomial, not linear, in '${binder.name}'. ` +
                        `Its matrix is the linear extension, exact only on basis inputs; applying it substitutes the argument (spec §7).`,
                    related: [{ node: binder, property: 'name', message: `'${binder.name}' is bound here, outside the iter` }]
                });
            }
        }
        return merge(uses, step);
    }
}

/** The binders `uses` has and `other` has not, in `uses`' order. */
function onlyIn(uses: Uses, other: Uses): ast.Binder[] {
    const only: ast.Binder[] = [];
    if (uses.size > 0) for (const binder of uses.keys()) if (!other.has(binder)) only.push(binder);
    return only;
}

function ordinal(n: number): string {
    return n === 2 ? 'second' : n === 3 ? 'third' : `${n}th`;
}

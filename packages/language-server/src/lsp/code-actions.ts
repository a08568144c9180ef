import { AstUtils, GrammarUtils, type AstNode, type LangiumDocument } from 'langium';
import type { CodeActionProvider } from 'langium/lsp';
import { CodeActionKind, type CodeAction, type CodeActionParams, type Command, type Diagnostic, type TextEdit } from 'vscode-languageserver';
import { ast, Bool, Codes, containsError, findLeafAt, Nat, visibleBinders, type CajalType } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { typeOfSafely } from './syntax-queries.js';

interface BranchVariable { name: string; type: string }

/**
 * Quick fixes where the fix is clear:
 * - `type/cannot-infer`: annotate the binder (with the type its first use needs, or Bool/Nat);
 * - `linearity/unused`: consume an unused Bool (`if x then t else t`) or Nat (`iter x { zero => t ; succ y => y }`);
 * - `linearity/branch-mismatch`: consume each variable in the branch that misses it, the same way;
 * - `name/duplicate`: rename the duplicate definition to a free name.
 */
export class CajalCodeActionProvider implements CodeActionProvider {
    constructor(private readonly services: CajalLspServices) { }

    getCodeActions(document: LangiumDocument, params: CodeActionParams): Array<Command | CodeAction> {
        const actions: CodeAction[] = [];
        for (const diagnostic of params.context.diagnostics) {
            try {
                switch (diagnostic.code) {
                    case Codes.cannotInfer: actions.push(...this.annotate(document, diagnostic)); break;
                    case Codes.unused: actions.push(...this.consumeUnused(document, diagnostic)); break;
                    case Codes.branchMismatch: actions.push(...this.consumeInBranches(document, diagnostic)); break;
                    case Codes.duplicateName: actions.push(...this.renameDuplicate(document, diagnostic)); break;
                }
            } catch {
                // A stale diagnostic (the text changed meanwhile) gets no fix rather than a wrong one.
            }
        }
        return actions;
    }

    private nodeAt(document: LangiumDocument, diagnostic: Diagnostic): AstNode | undefined {
        const root = document.parseResult.value.$cstNode;
        if (!root) return undefined;
        return findLeafAt(root, document.textDocument.offsetAt(diagnostic.range.start))?.astNode;
    }

    private typeOf(node: AstNode): CajalType {
        return typeOfSafely(this.services.typing.TypeChecker, node);
    }

    private fix(document: LangiumDocument, diagnostic: Diagnostic, title: string, edits: TextEdit[], preferred = false): CodeAction {
        return {
            title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: preferred,
            edit: { changes: { [document.uri.toString()]: edits } }
        };
    }

    private annotate(document: LangiumDocument, diagnostic: Diagnostic): CodeAction[] {
        const binder = this.nodeAt(document, diagnostic);
        if (!ast.isBinder(binder) || binder.type || !binder.name) return [];
        const nameNode = GrammarUtils.findNodeForProperty(binder.$cstNode, 'name');
        if (!nameNode) return [];
        const guess = this.typeNeededByFirstUse(binder);
        const candidates = guess ? [`${guess}`] : ['Bool', 'Nat'];
        const inLambda = ast.isLambda(binder.$container);
        return candidates.map((type, index) => this.fix(document, diagnostic,
            `Annotate '${binder.name}' as ${type}${guess ? ' (as its use needs)' : ''}`,
            [{ range: nameNode.range, newText: inLambda ? `(${binder.name} : ${type})` : `${binder.name} : ${type}` }],
            index === 0 && guess !== undefined));
    }

    /** The type the first use of a binder requires from its context, when that context says. */
    private typeNeededByFirstUse(binder: ast.Binder): CajalType | undefined {
        const declaration = AstUtils.getContainerOfType(binder, ast.isDeclaration);
        if (!declaration) return undefined;
        const use = AstUtils.streamAllContents(declaration).find(node => ast.isVar(node) && node.ref?.ref === binder) as ast.Var | undefined;
        if (!use) return undefined;
        const parent = use.$container;
        let needed: CajalType | undefined;
        if (ast.isApplication(parent) && parent.argument === use) {
            const fn = this.typeOf(parent.function);
            needed = fn.kind === 'function' ? fn.domain : undefined;
        } else if (ast.isIfTerm(parent) && parent.condition === use) {
            needed = Bool;
        } else if ((ast.isIter(parent) && parent.count === use) || ast.isSucc(parent)) {
            needed = Nat;
        } else if (ast.isAscription(parent)) {
            needed = this.typeOf(parent);
        }
        return needed && !containsError(needed) ? needed : undefined;
    }

    /** The term in which a binder is in scope. */
    private scopeOf(binder: ast.Binder): ast.Term | undefined {
        const container = binder.$container;
        if (ast.isLambda(container) || ast.isDefinition(container) || ast.isLetTerm(container) || ast.isLetPairTerm(container)) return container.body;
        if (ast.isIter(container)) return container.step;
        return undefined;
    }

    private consumeUnused(document: LangiumDocument, diagnostic: Diagnostic): CodeAction[] {
        const name = (diagnostic.data as { name?: string } | undefined)?.name;
        const binder = this.nodeAt(document, diagnostic);
        if (!ast.isBinder(binder) || binder.name !== name) return [];
        const body = this.scopeOf(binder);
        if (!body?.$cstNode) return [];
        const wrapped = this.consume(binder.name, this.typeOf(binder), body, document);
        if (!wrapped) return [];
        return [this.fix(document, diagnostic, `Consume '${binder.name}' (${this.typeOf(binder)}) without changing the result`, [{ range: body.$cstNode.range, newText: wrapped }], true)];
    }

    private consumeInBranches(document: LangiumDocument, diagnostic: Diagnostic): CodeAction[] {
        const data = diagnostic.data as { onlyThen?: BranchVariable[]; onlyElse?: BranchVariable[] } | undefined;
        const node = this.nodeAt(document, diagnostic);
        const conditional = node && (ast.isIfTerm(node) ? node : AstUtils.getContainerOfType(node, ast.isIfTerm));
        if (!conditional?.thenBranch?.$cstNode || !conditional.elseBranch?.$cstNode || !data) return [];
        const edits: TextEdit[] = [];
        const names: string[] = [];
        // Variables used only in the then-branch must be consumed by the else-branch, and vice versa.
        const plan: Array<[ast.Term, BranchVariable[]]> = [[conditional.elseBranch, data.onlyThen ?? []], [conditional.thenBranch, data.onlyElse ?? []]];
        for (const [branch, variables] of plan) {
            if (variables.length === 0) continue;
            let text: string | undefined = branch.$cstNode!.text;
            for (const variable of variables) {
                text = text === undefined ? undefined : this.consumeText(variable.name, variable.type, text, branch);
                names.push(`'${variable.name}'`);
            }
            if (text === undefined) return [];
            edits.push({ range: branch.$cstNode!.range, newText: text });
        }
        if (edits.length === 0) return [];
        return [this.fix(document, diagnostic, `Consume ${names.join(', ')} in the other branch`, edits, true)];
    }

    private consume(name: string, type: CajalType, body: ast.Term, _document: LangiumDocument): string | undefined {
        return this.consumeText(name, `${type}`, body.$cstNode!.text, body);
    }

    /** Text that evaluates to `text` and uses the variable `name` of type `type` exactly once. */
    private consumeText(name: string, type: string, text: string, context: ast.Term): string | undefined {
        const inner = isAtomic(text) ? text : `(${text})`;
        if (type === 'Bool') {
            return `if ${name} then ${inner} else ${inner}`;
        }
        if (/^Nat(\[\d+\])?$/.test(type)) {
            const taken = new Set([...visibleBinders(context).map(b => b.name), ...AstUtils.streamAllContents(context).filter(ast.isVar).map(v => v.ref?.$refText ?? '')]);
            let fresh = 'y';
            for (let i = 1; taken.has(fresh) || fresh === name; i++) fresh = `y${i}`;
            return `iter ${name} { zero => ${text} ; succ ${fresh} => ${fresh} }`;
        }
        return undefined;
    }

    private renameDuplicate(document: LangiumDocument, diagnostic: Diagnostic): CodeAction[] {
        const name = (diagnostic.data as { name?: string } | undefined)?.name;
        if (!name) return [];
        const module = document.parseResult.value as ast.Module;
        const taken = new Set(module.declarations.map(d => d.name));
        for (const description of this.services.references.ScopeProvider.globalDescriptions(document)) taken.add(description.name);
        let fresh = `${name}2`;
        for (let i = 3; taken.has(fresh); i++) fresh = `${name}${i}`;
        return [this.fix(document, diagnostic, `Rename this '${name}' to '${fresh}'`, [{ range: diagnostic.range, newText: fresh }], true)];
    }
}

function isAtomic(text: string): boolean {
    return /^[A-Za-z_][A-Za-z0-9_']*$|^[0-9]+$/.test(text.trim()) || (text.startsWith('(') && text.endsWith(')') && balancedOnce(text));
}

/** True when the outer parentheses of `(…)` enclose the whole text. */
function balancedOnce(text: string): boolean {
    let depth = 0;
    for (let i = 0; i < text.length; i++) {
        if (text[i] === '(') depth++;
        else if (text[i] === ')') {
            depth--;
            if (depth === 0 && i < text.length - 1) return false;
        }
    }
    return depth === 0;
}

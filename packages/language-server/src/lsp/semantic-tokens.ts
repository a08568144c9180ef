import { GrammarAST, isCompositeCstNode, type AstNode, type CstNode } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { SemanticTokenModifiers, SemanticTokenTypes } from 'vscode-languageserver';
import { ast, isLinearBinder } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';

/**
 * Token kinds, so that themes tell apart what Cajal cares about:
 * linear variables `parameter`, data fields `variable` (readonly), definitions `function`,
 * externs `interface`, train blocks `class`, modules `namespace`, types `type`,
 * keywords `keyword`, `true`/`false` `enumMember`, numerals `number`, strings `string`.
 * Binding occurrences carry the `declaration` modifier.
 */
export class CajalSemanticTokenProvider extends AbstractSemanticTokenProvider {
    constructor(services: CajalLspServices) {
        super(services);
    }

    protected override highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void {
        this.highlightKeywords(node, acceptor);
        if (ast.isVar(node)) {
            const target = node.ref?.ref;
            const type = tokenTypeOf(target);
            if (type) acceptor({ node, property: 'ref', type, modifier: modifiersOf(target, false) });
        } else if (ast.isBinder(node) && node.name) {
            acceptor({ node, property: 'name', type: tokenTypeOf(node)!, modifier: modifiersOf(node, true) });
        } else if ((ast.isDefinition(node) || ast.isExtern(node) || ast.isTraining(node)) && node.name) {
            acceptor({ node, property: 'name', type: tokenTypeOf(node)!, modifier: [SemanticTokenModifiers.declaration] });
        } else if (ast.isModule(node) && node.name) {
            acceptor({ node, property: 'name', type: SemanticTokenTypes.namespace, modifier: [SemanticTokenModifiers.declaration] });
        } else if (ast.isImport(node) && node.module) {
            acceptor({ node, property: 'module', type: SemanticTokenTypes.namespace });
        } else if (ast.isNumeral(node)) {
            acceptor({ node, property: 'value', type: SemanticTokenTypes.number });
        } else if (ast.isNatType(node) && node.bound !== undefined) {
            acceptor({ node, property: 'bound', type: SemanticTokenTypes.number });
        } else if (ast.isRealType(node)) {
            node.dims.forEach((_, index) => acceptor({ node, property: 'dims', index, type: SemanticTokenTypes.number }));
        } else if (ast.isNetSpec(node) && node.architecture) {
            acceptor({ node, property: 'architecture', type: SemanticTokenTypes.function, modifier: [SemanticTokenModifiers.defaultLibrary] });
        } else if (ast.isDataOption(node) && node.source) {
            acceptor({ node, property: 'source', type: SemanticTokenTypes.variable, modifier: [SemanticTokenModifiers.defaultLibrary] });
        } else if (ast.isSettingOption(node) && node.key) {
            acceptor({ node, property: 'key', type: SemanticTokenTypes.property });
        } else if (ast.isNetArg(node) && node.key) {
            acceptor({ node, property: 'key', type: SemanticTokenTypes.property });
        }
    }

    /** Keywords directly owned by this node (`true`/`false` as literals, type names as types). */
    private highlightKeywords(node: AstNode, acceptor: SemanticTokenAcceptor): void {
        const cst = node.$cstNode;
        if (!cst) return;
        // Only this node's own tokens: children that belong to other AST nodes are skipped
        // (walking whole subtrees here would be quadratic in the nesting depth).
        const stack: CstNode[] = [cst];
        while (stack.length > 0) {
            const current = stack.pop()!;
            if (isCompositeCstNode(current)) {
                for (let i = current.content.length - 1; i >= 0; i--) {
                    const child = current.content[i];
                    if (child.astNode === node || !isCompositeCstNode(child)) stack.push(child);
                }
                continue;
            }
            const leaf = current;
            if (leaf.hidden || leaf.astNode !== node || !GrammarAST.isKeyword(leaf.grammarSource)) continue;
            // The keyword's own value, not `leaf.text`, which walks up to the CST root for
            // the file's text: quadratic in the nesting depth (14 s for 10,000 `succ (`).
            const text = leaf.grammarSource.value;
            if (!/^[\p{L}\\]/u.test(text) && text !== '-o' && text !== '⊸' && text !== '⊗' && text !== '*' && text !== '=>') continue;
            let type: string = SemanticTokenTypes.keyword;
            if (text === 'true' || text === 'false') type = SemanticTokenTypes.enumMember;
            else if (text === 'Bool' || text === 'Nat' || text === 'Real') type = SemanticTokenTypes.type;
            else if (text === '-o' || text === '⊸' || text === '⊗' || text === '*' || text === '=>') type = SemanticTokenTypes.operator;
            acceptor({ cst: leaf, type });
        }
    }
}

function tokenTypeOf(target: AstNode | undefined): string | undefined {
    if (!target) return undefined;
    if (ast.isDefinition(target)) return SemanticTokenTypes.function;
    if (ast.isExtern(target)) return SemanticTokenTypes.interface;
    if (ast.isTraining(target)) return SemanticTokenTypes.class;
    if (ast.isBinder(target)) return isLinearBinder(target) ? SemanticTokenTypes.parameter : SemanticTokenTypes.variable;
    return undefined;
}

function modifiersOf(target: AstNode | undefined, declaration: boolean): string[] {
    const modifiers: string[] = declaration ? [SemanticTokenModifiers.declaration] : [];
    if (ast.isBinder(target) && !isLinearBinder(target)) modifiers.push(SemanticTokenModifiers.readonly);
    return modifiers;
}

import { AstUtils, GrammarAST, type AstNode, type LangiumDocument } from 'langium';
import { DefaultRenameProvider } from 'langium/lsp';
import { ResponseError, type Range, type RenameParams, type TextDocumentPositionParams, type WorkspaceEdit } from 'vscode-languageserver';
import { ast, findLeafAt, findNameLeafAt, visibleBinders } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_']*$/;
/** LSP 3.17 `RequestFailed`: the request was valid but cannot be carried out. */
const REQUEST_FAILED = -32803;

/**
 * Rename of definitions, externs, train blocks and variables, across files. Refuses names
 * that are not identifiers, keywords, and names that would clash: another global of the
 * same module or its imports, or a variable in scope at the renamed binder or at any use
 * (which the rename would capture or shadow).
 */
export class CajalRenameProvider extends DefaultRenameProvider {
    private keywordSet: Set<string> | undefined;

    constructor(private readonly services: CajalLspServices) {
        super(services);
    }

    /** The keywords spelt like names, listed on the first rename: Langium makes every service at `initialize`, on the way to the first check. */
    private get keywords(): Set<string> {
        return this.keywordSet ??= new Set(AstUtils.streamAllContents(this.services.Grammar)
            .filter(GrammarAST.isKeyword)
            .map(keyword => keyword.value)
            .filter(value => IDENTIFIER.test(value)));
    }

    override prepareRename(document: LangiumDocument, params: TextDocumentPositionParams): Range | undefined {
        const target = this.targetAt(document, params.position);
        if (!target || ast.isModule(target)) return undefined;
        return super.prepareRename(document, params) as Range | undefined;
    }

    override async rename(document: LangiumDocument, params: RenameParams): Promise<WorkspaceEdit | undefined> {
        const target = this.targetAt(document, params.position);
        if (!target) return undefined;
        const newName = params.newName;
        if (ast.isModule(target)) {
            throw new ResponseError(REQUEST_FAILED, 'Modules are renamed by renaming their file or their `module` header by hand.');
        }
        if (!IDENTIFIER.test(newName)) {
            throw new ResponseError(REQUEST_FAILED, `'${newName}' is not a valid name: names start with a letter or '_' and continue with letters, digits, '_' and '''.`);
        }
        if (this.keywords.has(newName)) {
            throw new ResponseError(REQUEST_FAILED, `'${newName}' is a keyword of Cajal and cannot be a name.`);
        }
        const oldName = (target as { name?: string }).name;
        if (newName === oldName) return { changes: {} };
        const clash = this.findClash(target, newName);
        if (clash) {
            throw new ResponseError(REQUEST_FAILED, clash);
        }
        return super.rename(document, params);
    }

    private targetAt(document: LangiumDocument, position: { line: number; character: number }): AstNode | undefined {
        const root = document.parseResult.value.$cstNode;
        if (!root) return undefined;
        const offset = document.textDocument.offsetAt(position);
        const leaf = findNameLeafAt(root, offset, this.grammarConfig.nameRegexp);
        if (!leaf) return undefined;
        return this.references.findDeclarations(leaf)[0];
    }

    /** A message saying why `newName` would change the meaning of the program, if it would. */
    private findClash(target: AstNode, newName: string): string | undefined {
        const scopes = this.services.references.ScopeProvider;
        const references = this.references.findReferences(target, { includeDeclaration: false }).toArray();
        const documents = this.services.shared.workspace.LangiumDocuments;
        if (ast.isDefinition(target) || ast.isExtern(target) || ast.isTraining(target)) {
            const home = AstUtils.getDocument(target);
            const sites = new Set([home.uri.toString(), ...references.map(r => r.sourceUri.toString())]);
            for (const uri of sites) {
                const site = documents.all.find(d => d.uri.toString() === uri);
                if (!site) continue;
                const module = site.parseResult.value as ast.Module;
                const ownClash = module.declarations.find(d => d !== target && d.name === newName);
                if (ownClash) return `'${newName}' is already defined in ${fileName(site)} (line ${(ownClash.$cstNode?.range.start.line ?? 0) + 1}).`;
                const imported = scopes.globalDescriptions(site).find(d => d.name === newName && d.node !== target);
                if (imported) return `'${newName}' is already a global name visible in ${fileName(site)} (defined in ${imported.documentUri.path.split('/').pop()}).`;
            }
            // A variable of that name at a use would capture the renamed global.
            for (const reference of references) {
                const site = documents.all.find(d => d.uri.toString() === reference.sourceUri.toString());
                const node = site ? this.nodeAt(site, reference.segment.offset) : undefined;
                if (node && visibleBinders(node).some(binder => binder.name === newName)) {
                    return `Renaming to '${newName}' would make the use on line ${reference.segment.range.start.line + 1} refer to the variable '${newName}' in scope there.`;
                }
            }
            return undefined;
        }
        if (ast.isBinder(target)) {
            // A binder of that name between the renamed one and a use would capture the use.
            const home = AstUtils.getDocument(target);
            for (const reference of references) {
                const node = this.nodeAt(home, reference.segment.offset);
                if (!node) continue;
                const visible = visibleBinders(node);
                const between = visible.slice(0, Math.max(0, visible.indexOf(target))).find(binder => binder.name === newName);
                if (between) return `Renaming to '${newName}' would make the use on line ${reference.segment.range.start.line + 1} refer to the inner variable '${newName}' bound on line ${(between.$cstNode?.range.start.line ?? 0) + 1}.`;
            }
            const sameGroup = siblingsOf(target).find(binder => binder !== target && binder.name === newName);
            if (sameGroup) return `'${newName}' is already bound beside '${target.name}'.`;
            // Globals used inside the binder's scope would be shadowed.
            const scope = target.$container;
            if (scope) {
                for (const node of AstUtils.streamAllContents(scope)) {
                    if (ast.isVar(node) && node.ref?.$refText === newName && node.ref.ref !== target) {
                        return `Renaming to '${newName}' would shadow '${newName}' used on line ${(node.$cstNode?.range.start.line ?? 0) + 1}.`;
                    }
                }
            }
        }
        return undefined;
    }

    private nodeAt(document: LangiumDocument, offset: number): AstNode | undefined {
        const root = document.parseResult.value.$cstNode;
        return root ? findLeafAt(root, offset)?.astNode : undefined;
    }
}

function fileName(document: LangiumDocument): string {
    return document.uri.path.split('/').pop() ?? document.uri.toString();
}

function siblingsOf(binder: ast.Binder): ast.Binder[] {
    const container = binder.$container;
    if (ast.isLambda(container)) return container.binders;
    if (ast.isDefinition(container)) return container.params;
    if (ast.isLetPairTerm(container)) return [container.first, container.second];
    if (ast.isFieldGroup(container) && ast.isDataOption(container.$container) && ast.isTraining(container.$container.$container)) {
        return container.$container.$container.options.filter(ast.isDataOption).flatMap(o => o.groups.flatMap(g => g.fields));
    }
    return [];
}

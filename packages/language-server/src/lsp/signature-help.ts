import { AstUtils, type LangiumDocument } from 'langium';
import type { SignatureHelpProvider } from 'langium/lsp';
import type { CancellationToken, ParameterInformation, SignatureHelp, SignatureHelpOptions, SignatureHelpParams } from 'vscode-languageserver';
import { ast, applicationSpine, declaredType, findLeafAt, typeFromSyntax, uncurry } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { docCommentOf } from './syntax-queries.js';

/**
 * Signature help for applications of definitions and externs: `and true |` shows
 * `and (x : Bool) (y : Bool) : Bool` with `y` active. Arguments are juxtaposed, so a space
 * (or an opening parenthesis) triggers it.
 */
export class CajalSignatureHelpProvider implements SignatureHelpProvider {
    constructor(private readonly services: CajalLspServices) { }

    get signatureHelpOptions(): SignatureHelpOptions {
        return { triggerCharacters: [' ', '('], retriggerCharacters: [' '] };
    }

    provideSignatureHelp(document: LangiumDocument, params: SignatureHelpParams, _cancelToken?: CancellationToken): SignatureHelp | undefined {
        try {
            return this.signatureHelp(document, params);
        } catch {
            return undefined; // a half-parsed signature
        }
    }

    private signatureHelp(document: LangiumDocument, params: SignatureHelpParams): SignatureHelp | undefined {
        const root = document.parseResult.value.$cstNode;
        if (!root) return undefined;
        const offset = document.textDocument.offsetAt(params.position);
        // The token just before the cursor tells which application we are in.
        const text = document.textDocument.getText();
        let probe = offset - 1;
        while (probe > 0 && /\s/.test(text[probe])) probe--;
        const leaf = findLeafAt(root, Math.max(0, probe));
        if (!leaf) return undefined;
        let application: ast.Application | undefined = AstUtils.getContainerOfType(leaf.astNode, ast.isApplication);
        let head: ast.Term | undefined;
        let args: ast.Term[] = [];
        if (application) {
            // The outermost application of this spine.
            while (ast.isApplication(application.$container) && application.$container.function === application) {
                application = application.$container;
            }
            ({ head, args } = applicationSpine(application));
        } else if (ast.isVar(leaf.astNode)) {
            head = leaf.astNode; // `f |`: no argument yet
        }
        if (!ast.isVar(head)) return undefined;
        const target = head.ref?.ref;
        if (!ast.isDefinition(target) && !ast.isExtern(target)) return undefined;
        const written = args.filter(arg => arg?.$cstNode && arg.$cstNode.end <= offset).length;
        const cursorAfterSpace = offset > 0 && /\s/.test(text[offset - 1]);
        const headEnd = head.$cstNode?.end ?? 0;
        if (offset < headEnd) return undefined;
        // While typing an argument the cursor is at its end: that argument is the active one.
        const typing = !cursorAfterSpace && written > 0 ? written - 1 : written;
        const signature = this.signatureOf(target);
        const active = Math.min(typing, Math.max(0, signature.parameters.length - 1));
        return { signatures: [signature], activeSignature: 0, activeParameter: active };
    }

    private signatureOf(target: ast.Definition | ast.Extern): { label: string; parameters: ParameterInformation[]; documentation?: string } {
        const parameters: ParameterInformation[] = [];
        let label = target.name;
        if (ast.isDefinition(target) && target.params.length > 0) {
            for (const param of target.params) {
                const part = `(${param.name} : ${typeFromSyntax(param.type)})`;
                label += ' ';
                parameters.push({ label: [label.length, label.length + part.length] });
                label += part;
            }
            label += ` : ${typeFromSyntax(target.returnType)}`;
        } else {
            const { params, result } = uncurry(declaredType(target));
            label += ' : ';
            params.forEach(param => {
                const part = param.kind === 'function' ? `(${param})` : `${param}`;
                parameters.push({ label: [label.length, label.length + part.length] });
                label += `${part} -o `;
            });
            label += `${result}`;
        }
        const documentation = docCommentOf(AstUtils.getDocument(target), target);
        return { label, parameters, documentation };
    }
}

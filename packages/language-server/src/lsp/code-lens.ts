import { DocumentState, type LangiumDocument } from 'langium';
import type { CodeLensProvider } from 'langium/lsp';
import { DiagnosticSeverity, type CancellationToken, type CodeLens, type CodeLensParams } from 'vscode-languageserver';
import { ast, declaredType, dim, shape } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { formatShape } from './describe.js';

/**
 * Above each definition that needs no linked network and has no error: `▶ Run` (cajal.run) and
 * `Show neuron [rows, cols]` (cajal.showNeuron); above each train block `Train`
 * (cajal.train). Arguments are `[uri, name]`; the editor's extension runs them.
 */
export class CajalCodeLensProvider implements CodeLensProvider {
    constructor(private readonly services: CajalLspServices) { }

    async provideCodeLens(document: LangiumDocument, _params: CodeLensParams, cancelToken?: CancellationToken): Promise<CodeLens[]> {
        // Whether a definition has errors is known once the document is validated.
        await this.services.shared.workspace.DocumentBuilder.waitUntil(DocumentState.Validated, document.uri, cancelToken);
        const module = document.parseResult.value;
        if (!ast.isModule(module)) return [];
        const uri = document.uri.toString();
        const lenses: CodeLens[] = [];
        const neurons = this.services.neurons.Neurons;
        const errorLines = (document.diagnostics ?? []).filter(d => d.severity === DiagnosticSeverity.Error).map(d => d.range);
        for (const declaration of module.declarations) {
            if (!declaration.name || !declaration.$cstNode) continue;
            const line = declaration.$cstNode.range.start.line;
            const range = { start: { line, character: 0 }, end: { line, character: 0 } };
            const { start, end } = declaration.$cstNode.range;
            // A definition with an error of its own can be neither run nor shown: no lenses there.
            const hasError = errorLines.some(e => e.start.line <= end.line && e.end.line >= start.line
                && !(e.end.line === start.line && e.end.character < start.character) && !(e.start.line === end.line && e.start.character > end.character));
            let runnable = false;
            try { runnable = ast.isDefinition(declaration) && neurons.isRunnable(declaration) && dim(declaredType(declaration)) >= 0; } catch { runnable = false; }
            if (ast.isDefinition(declaration) && runnable && !hasError) {
                const type = declaredType(declaration);
                lenses.push({ range, command: { title: '▶ Run', command: 'cajal.run', arguments: [uri, declaration.name] } });
                lenses.push({
                    range,
                    command: {
                        title: `Show neuron ${formatShape(shape(type))} (${dim(type)} weight${dim(type) === 1 ? '' : 's'})`,
                        command: 'cajal.showNeuron',
                        arguments: [uri, declaration.name]
                    }
                });
            } else if (ast.isTraining(declaration)) {
                lenses.push({ range, command: { title: '▶ Train', command: 'cajal.train', arguments: [uri, declaration.name] } });
            }
        }
        return lenses;
    }
}

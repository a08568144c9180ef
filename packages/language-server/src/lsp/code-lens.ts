import type { LangiumDocument } from 'langium';
import type { CodeLensProvider } from 'langium/lsp';
import type { CancellationToken, CodeLens, CodeLensParams } from 'vscode-languageserver';
import { ast, declaredType, dim, shape } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { formatShape } from './describe.js';

/**
 * Above each definition that needs no linked network: `▶ Run` (cajal.run) and
 * `Show neuron [rows, cols]` (cajal.showNeuron); above each train block `Train`
 * (cajal.train). Arguments are `[uri, name]`; the editor's extension runs them.
 */
export class CajalCodeLensProvider implements CodeLensProvider {
    constructor(private readonly services: CajalLspServices) { }

    provideCodeLens(document: LangiumDocument, _params: CodeLensParams, _cancelToken?: CancellationToken): CodeLens[] {
        const module = document.parseResult.value;
        if (!ast.isModule(module)) return [];
        const uri = document.uri.toString();
        const lenses: CodeLens[] = [];
        const neurons = this.services.neurons.Neurons;
        for (const declaration of module.declarations) {
            if (!declaration.name || !declaration.$cstNode) continue;
            const line = declaration.$cstNode.range.start.line;
            const range = { start: { line, character: 0 }, end: { line, character: 0 } };
            let runnable = false;
            try { runnable = ast.isDefinition(declaration) && neurons.isRunnable(declaration) && dim(declaredType(declaration)) >= 0; } catch { runnable = false; }
            if (ast.isDefinition(declaration) && runnable) {
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

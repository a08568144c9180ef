import { AstUtils, GrammarUtils, type AstNode, type CstNode, type LangiumDocument } from 'langium';
import type { HoverProvider } from 'langium/lsp';
import type { CancellationToken, Hover, HoverParams } from 'vscode-languageserver';
import { ast, Codes, declaredType, describeTensor, externReading, formatEntries, isError, typeFromSyntax, dim, shape, type CajalType } from '@cajal/language';
import type { CajalLspServices } from '../cajal-lsp-module.js';
import { externNetworkText, formatShape, ifNeuronText, iterNeuronText, matrixTable, neuronShapeText } from './describe.js';
import { MATRIX_HOVER_LIMIT } from './neurons.js';
import { docCommentOf, kindOfTarget, leafAt , typeOfSafely } from './syntax-queries.js';
import { architectureInfo } from './architectures.js';
import { dataFilesMarkdown } from './data-links.js';

const KIND_TEXT = {
    linear: 'linear variable',
    data: 'data field (an input, usable many times)',
    definition: 'definition',
    extern: 'extern',
    training: 'training',
    module: 'module'
} as const;

/**
 * Hover on any name, binder, keyword or expression: its type and what it compiles to
 * (linear neuron, recurrent neuron, gate, linked network), the doc comment of the global
 * it names, and for a closed definition with a small matrix the matrix itself.
 */
export class CajalHoverProvider implements HoverProvider {
    constructor(private readonly services: CajalLspServices) { }

    async getHoverContent(document: LangiumDocument, params: HoverParams, _cancelToken?: CancellationToken): Promise<Hover | undefined> {
        const offset = document.textDocument.offsetAt(params.position);
        const leaf = leafAt(document, offset);
        if (!leaf) return undefined;
        let markdown: string | undefined;
        try {
            markdown = await this.hoverFor(document, leaf);
        } catch {
            return undefined; // the checker failed on a half-parsed tree: no hover rather than an error
        }
        return markdown ? { contents: { kind: 'markdown', value: markdown }, range: leaf.range } : undefined;
    }

    private typeOf(node: AstNode): CajalType {
        return typeOfSafely(this.services.typing.TypeChecker, node);
    }

    async hoverFor(document: LangiumDocument, leaf: CstNode): Promise<string | undefined> {
        const node = leaf.astNode;
        // A name: a variable, a binder, or a declaration's own name.
        if (ast.isVar(node)) {
            const target = node.ref?.ref;
            if (ast.isDefinition(target) || ast.isExtern(target)) {
                return this.declarationHover(target);
            }
            const type = this.typeOf(node);
            return this.nameHover(node.ref?.$refText ?? leaf.text, type, kindOfTarget(target), target ? undefined : 'unknown name');
        }
        if (ast.isBinder(node) && isNameLeaf(leaf, node)) {
            return this.nameHover(node.name, this.typeOf(node), kindOfTarget(node));
        }
        if ((ast.isDefinition(node) || ast.isExtern(node)) && (isNameLeaf(leaf, node) || ['def', 'extern'].includes(leaf.text))) {
            return this.declarationHover(node);
        }
        if (ast.isTraining(node)) {
            return this.trainingHover(node, document);
        }
        if (ast.isDataOption(node) && node.file !== undefined) {
            return dataFilesMarkdown(node, document);
        }
        if (ast.isModule(node) || ast.isImport(node)) {
            return undefined;
        }
        // A type expression: the type, its dimension and tensor shape.
        const typeNode = AstUtils.getContainerOfType(node, ast.isType);
        if (typeNode) {
            let outermost: ast.Type = typeNode;
            while (ast.isType(outermost.$container)) outermost = outermost.$container;
            const type = typeFromSyntax(typeNode);
            if (isError(type)) return undefined;
            return `${code(`${type}`)}\n\ntype of dimension ${dim(type)}, tensor shape ${formatShape(shape(type))}\n\n${this.sizeText(type)}`;
        }
        // Any other token: the innermost term around it.
        const term = AstUtils.getContainerOfType(node, ast.isTerm);
        if (term) {
            return this.termHover(term);
        }
        return undefined;
    }

    private nameHover(name: string, type: CajalType, kind: keyof typeof KIND_TEXT | undefined, note?: string): string {
        const parts = [code(`${name} : ${type}`)];
        const described = [kind ? KIND_TEXT[kind] : note, neuronShapeText(type)].filter(Boolean);
        if (described.length > 0) parts.push(described.join(' · '));
        return parts.join('\n\n');
    }

    private termHover(term: ast.Term): string | undefined {
        const type = this.typeOf(term);
        if (isError(type)) return undefined;
        const parts = [code(`${type}`)];
        if (ast.isIter(term)) {
            const recurrent = term.count ? iterNeuronText(this.typeOf(term.count), type) : undefined;
            if (recurrent) parts.push(recurrent);
        } else if (ast.isIfTerm(term)) {
            const gate = ifNeuronText(type);
            if (gate) parts.push(gate);
        } else {
            const neuron = neuronShapeText(type);
            if (neuron) parts.push(neuron);
        }
        parts.push(this.sizeText(type));
        return parts.join('\n\n');
    }

    /** `Size: a [2, 2] matrix: 4 entries, 16 bytes as float32`, and whether it is above the limit (size/too-large). */
    private sizeText(type: CajalType): string {
        const limit = this.services.typing.TensorSizes.maxEntries;
        return `Size: ${describeTensor(type)}${dim(type) > limit ? ` — above the limit of ${formatEntries(limit)} entries` : ''}`;
    }

    async declarationHover(declaration: ast.Definition | ast.Extern): Promise<string> {
        const type = declaredType(declaration);
        const parts = [code(`${ast.isExtern(declaration) ? 'extern ' : ''}${declaration.name} : ${type}`)];
        if (ast.isExtern(declaration)) {
            const architecture = architectureInfo(declaration);
            const network = externNetworkText(type, externReading(declaration), architecture?.parameters);
            const lines = [network, architecture?.description].filter(Boolean);
            if (lines.length > 0) parts.push(lines.join(' · '));
        } else {
            const neuron = neuronShapeText(type);
            if (neuron) parts.push(neuron);
            if (!isError(type)) parts.push(this.sizeText(type));
            const replicated = this.replicatedBinders(declaration);
            if (replicated.length > 0) {
                const names = replicated.map(name => `\`${name}\``).join(', ');
                parts.push(`Polynomial in ${names} (an iter step reuses ${replicated.length === 1 ? 'it' : 'them'}): its matrix is the linear extension, ` +
                    `exact only on basis inputs. Applying \`${declaration.name}\` substitutes the argument, as evaluation does.`);
            }
        }
        const document = AstUtils.getDocument(declaration);
        const doc = docCommentOf(document, declaration);
        if (doc) parts.push(doc);
        if (ast.isDefinition(declaration) && dim(type) > 0 && dim(type) <= MATRIX_HOVER_LIMIT) {
            const neurons = this.services.neurons.Neurons;
            if (neurons.isRunnable(declaration)) {
                const neuron = await neurons.neuronOf(declaration);
                if (!('error' in neuron) && neuron.data && neuron.data.length <= MATRIX_HOVER_LIMIT) {
                    const rows = neuron.shape.length === 1 ? [''] : neuron.rows;
                    parts.push(matrixTable(neuron.data, rows, neuron.cols));
                }
            }
        }
        return parts.join('\n\n');
    }

    /** Names of the variables an iter step in the definition replicates (the linearity/iter-replicates warning). */
    private replicatedBinders(definition: ast.Definition): string[] {
        const names = new Set<string>();
        for (const problem of this.services.linearity.LinearityChecker.checkDeclaration(definition)) {
            if (problem.code !== Codes.iterReplicates || !ast.isVar(problem.node)) continue;
            const target = problem.node.ref?.ref;
            if (ast.isBinder(target)) names.add(target.name);
        }
        return [...names];
    }

    private trainingHover(training: ast.Training, document: LangiumDocument): string {
        const model = training.options.find(ast.isModelOption);
        const modelType = model?.term ? this.typeOf(model.term) : undefined;
        const parts = [code(`train ${training.name}`)];
        if (modelType && !isError(modelType)) parts.push(`model : ${modelType}`);
        for (const option of training.options.filter(ast.isDataOption)) {
            const files = dataFilesMarkdown(option, document);
            if (files) parts.push(files);
        }
        const doc = docCommentOf(document, training);
        if (doc) parts.push(doc);
        return parts.join('\n\n');
    }
}

function code(text: string): string {
    return '```cajal\n' + text + '\n```';
}

function isNameLeaf(leaf: CstNode, node: AstNode): boolean {
    const nameNode = GrammarUtils.findNodeForProperty(node.$cstNode, 'name');
    return nameNode !== undefined && nameNode.offset === leaf.offset;
}

import type { MessagePort } from 'node:worker_threads';
import { DocumentState, URI, type LangiumDocument } from 'langium';
import { startLanguageServer, type LangiumSharedServices } from 'langium/lsp';
import { RegularFileSystem } from './file-system.js';
import {
    createConnection, PortMessageReader, ProposedFeatures, type CancellationToken, type Connection
} from 'vscode-languageserver/node';
import { ThreadMessageWriter } from './thread-messages.js';
import { ast, DEFAULT_MAX_TENSOR_ENTRIES } from '@cajal/language';
import { createCajalServices, type CajalLspServices } from './cajal-lsp-module.js';
import { compileDocumentToTfjs } from '@cajal/compiler';
import type { NeuronInfo } from './lsp/neurons.js';
import { markStart, startTimelineEnabled } from './start-timeline.js';

/** Starts the language server on a message port (the worker side of main.ts). */
export function startServerOnPort(port: MessagePort): Connection {
    const connection = createConnection(ProposedFeatures.all, new PortMessageReader(port), new ThreadMessageWriter(port));
    return startServer(connection);
}

/** Starts the language server on a connection: Langium's handlers plus Cajal's custom requests. */
export function startServer(connection: Connection): Connection {
    const { shared, Cajal } = createCajalServices({ connection, ...RegularFileSystem });
    if (startTimelineEnabled) markBuildSteps(shared);
    // The outline shows types, which need linked references (Langium's default is Parsed).
    startLanguageServer(shared, { DocumentSymbolProvider: DocumentState.Linked });
    registerCustomRequests(connection, Cajal);
    followSettings(Cajal);
    if (process.env.CAJAL_LSP_TEST_HOOKS === '1') {
        // For the supervisor's tests only: stop this thread as a crash would.
        connection.onNotification('cajal/test/stopThread', () => process.exit(3));
    }
    return connection;
}

/** The steps of the first check in the start timeline (start-timeline.ts). */
function markBuildSteps(shared: LangiumSharedServices): void {
    markStart('services created');
    shared.workspace.TextDocuments.onDidOpen(() => markStart('didOpen'));
    void shared.workspace.WorkspaceManager.ready.then(() => markStart('workspace ready'));
    for (const state of [DocumentState.Parsed, DocumentState.IndexedContent, DocumentState.ComputedScopes, DocumentState.Linked, DocumentState.IndexedReferences, DocumentState.Validated]) {
        shared.workspace.DocumentBuilder.onBuildPhase(state, () => markStart(`built: ${DocumentState[state]}`));
    }
}

/**
 * The `cajal` settings section (docs/editors.md): `maxTensor`, the largest tensor a program
 * may need (`size/too-large` above it). A change re-checks every document.
 */
function followSettings(services: CajalLspServices): void {
    const shared = services.shared;
    const configuration = shared.workspace.ConfigurationProvider;
    const apply = async (section: unknown): Promise<void> => {
        const value = typeof section === 'object' && section !== null ? (section as { maxTensor?: unknown }).maxTensor : undefined;
        const limit = typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? value : DEFAULT_MAX_TENSOR_ENTRIES;
        const sizes = services.typing.TensorSizes;
        if (limit === sizes.maxEntries) return;
        sizes.maxEntries = limit;
        const uris = shared.workspace.LangiumDocuments.all.map(document => document.uri).toArray();
        await shared.workspace.DocumentBuilder.update(uris, []);
    };
    configuration.onConfigurationSectionUpdate(update => {
        if (update.section === 'cajal') void apply(update.configuration);
    });
    // The first settings are fetched when the client says `initialized`, without an update event.
    void configuration.ready.then(async () => apply({ maxTensor: await configuration.getConfiguration('cajal', 'maxTensor') }));
}

async function checkedDocument(services: CajalLspServices, uri: string, cancel: CancellationToken): Promise<LangiumDocument<ast.Module>> {
    const shared = services.shared;
    await shared.workspace.WorkspaceManager.ready;
    const parsed = URI.parse(uri);
    const documents = shared.workspace.LangiumDocuments;
    if (!documents.hasDocument(parsed)) {
        // A file that is not open and not in the workspace: load and check it now.
        const document = await documents.getOrCreateDocument(parsed);
        await shared.workspace.DocumentBuilder.build([document], { validation: true }, cancel);
    }
    await shared.workspace.DocumentBuilder.waitUntil(DocumentState.Validated, parsed, cancel);
    return documents.getDocument(parsed) as LangiumDocument<ast.Module>;
}

/** `cajal/neuron` and `cajal/compileTfjs`: computed with @cajal/compiler in plain TypeScript. */
function registerCustomRequests(connection: Connection, services: CajalLspServices): void {
    connection.onRequest('cajal/neuron', async (params: { uri: string; name: string }, cancel: CancellationToken): Promise<NeuronInfo | { error: string }> => {
        try {
            const document = await checkedDocument(services, params.uri, cancel);
            const module = document.parseResult.value;
            const declaration = module.declarations?.find(d => d.name === params.name);
            if (!declaration) return { error: `There is no definition '${params.name}' in ${document.uri.path.split('/').pop()}.` };
            if (!ast.isDefinition(declaration)) return { error: `'${params.name}' is ${ast.isExtern(declaration) ? 'an extern (a learned network)' : 'a train block'}, not a definition: it has no compiled matrix.` };
            return await services.neurons.Neurons.neuronOf(declaration);
        } catch (error) {
            return { error: error instanceof Error ? error.message : String(error) };
        }
    });
    connection.onRequest('cajal/compileTfjs', async (params: { uri: string }, cancel: CancellationToken): Promise<{ files: Array<{ name: string; text: string }> } | { error: string }> => {
        try {
            const document = await checkedDocument(services, params.uri, cancel);
            const errors = (document.diagnostics ?? []).filter(d => d.severity === 1)
                .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
            if (errors.length > 0) {
                const first = errors[0];
                return { error: `${document.uri.path.split('/').pop()}:${first.range.start.line + 1}:${first.range.start.character + 1}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : ''}` };
            }
            const base = document.uri.path.split('/').pop()!.replace(/\.cajal$/, '');
            const generated = compileDocumentToTfjs(document, services, { source: `${base}.cajal` });
            return { files: [{ name: `${base}.js`, text: generated.js }, { name: `${base}.d.ts`, text: generated.dts }] };
        } catch (error) {
            return { error: error instanceof Error ? error.message : String(error) };
        }
    });
}

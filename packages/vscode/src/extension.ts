// Entry point of the VS Code extension: starts the bundled language server and registers
// the commands. Bundled by esbuild into dist/extension.cjs (CommonJS; `vscode` external).
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { CajalCommands } from './commands.js';
import { LanguageStatus, showOutputCommand } from './status.js';

let client: LanguageClient | undefined;

export interface CajalExtensionApi {
    client: LanguageClient;
    commands: CajalCommands;
}

function createClient(context: vscode.ExtensionContext): LanguageClient {
    const serverModule = context.asAbsolutePath('dist/server.cjs');
    const serverOptions: ServerOptions = {
        run: { module: serverModule, transport: TransportKind.ipc },
        debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } }
    };
    const clientOptions: LanguageClientOptions = {
        documentSelector: [{ scheme: 'file', language: 'cajal' }, { scheme: 'untitled', language: 'cajal' }],
        // Imports resolve to sibling files, so the server hears about .cajal files changing on disk.
        synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.cajal') },
        outputChannelName: 'Cajal Language Server'
    };
    // The client id 'cajal' makes vscode-languageclient honour the `cajal.trace.server` setting.
    return new LanguageClient('cajal', 'Cajal Language Server', serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<CajalExtensionApi> {
    const output = vscode.window.createOutputChannel('Cajal');
    context.subscriptions.push(output);
    client = createClient(context);
    const status = new LanguageStatus(vscode, () => vscode.workspace.getConfiguration('cajal').get<string>('run.backend', 'auto'));
    context.subscriptions.push(status);
    context.subscriptions.push(client.onDidChangeState(event => {
        status.setServerState(event.newState === State.Running ? 'running' : event.newState === State.Starting ? 'starting' : 'stopped');
    }));
    context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(event => {
        if (event.affectsConfiguration('cajal.run.backend')) status.render();
    }));
    context.subscriptions.push(vscode.commands.registerCommand(showOutputCommand, () => output.show(true)));
    const commands = new CajalCommands({
        status,
        vscode,
        request: (method, params) => client!.sendRequest(method, params),
        cli: {
            nodePath: process.execPath,
            cliPath: context.asAbsolutePath('dist/cli.mjs'),
            // The bundled CLI cannot resolve @tensorflow/tfjs-backend-wasm; its .wasm files are copied next to it.
            env: { CAJAL_WASM_DIR: context.asAbsolutePath('dist') }
        },
        output
    });
    context.subscriptions.push(...commands.register());
    // Beside the server's hover (types, neurons): a trained extern's learned map, from the CLI (the server has no tfjs).
    context.subscriptions.push(vscode.languages.registerHoverProvider({ scheme: 'file', language: 'cajal' }, {
        provideHover: (document, position) => commands.learnedHover(document, position)
    }));
    context.subscriptions.push(vscode.window.registerWebviewPanelSerializer('cajal.training', {
        async deserializeWebviewPanel(panel, state) {
            commands.restoreTrainingView(panel, state);
        }
    }));
    context.subscriptions.push(vscode.commands.registerCommand('cajal.restartServer', async () => {
        await client?.restart();
    }));
    try {
        await client.start();
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        void vscode.window.showErrorMessage(`Cajal: the language server did not start: ${message}`);
    }
    return { client, commands };
}

export async function deactivate(): Promise<void> {
    if (client) {
        const stopping = client;
        client = undefined;
        await stopping.stop();
    }
}

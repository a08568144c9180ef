// The extension's commands. Everything VS Code-specific comes in through `CommandDeps`
// (the `vscode` module itself in production, a fake in unit tests), so the wiring —
// which arguments a command accepts, what it asks the server or the CLI, what it shows —
// is tested without an editor.
import type * as vscodeTypes from 'vscode';
import * as path from 'node:path';
import { startCli, stderrSummary, type CliLauncher, type CliStream } from './cliProcess.js';
import { formatRunResult } from './format.js';
import { renderNeuronContent, renderNeuronPage } from './heatmap.js';
import { makeNonce } from './html.js';
import { handleNeuronViewMessage, handleTrainingViewMessage } from './messages.js';
import {
    asTrainEvent, CompileTfjsRequestMethod, isErrorResponse, JsonLineSplitter, NeuronRequestMethod,
    parseRunResult, validateNeuronResponse, type CompileResponse, type NeuronResponse
} from './protocol.js';
import { runnableDefinitionAt, trainingAt } from './source.js';
import {
    applyTrainEvent, engineArguments, epochSummary, initialTrainingState, renderTrainingPage, trainingProgress, trainingViewMessage, type TrainingState
} from './training.js';

export type VscodeApi = typeof vscodeTypes;

export interface CommandDeps {
    vscode: VscodeApi;
    /** Sends a custom request to the language server (LanguageClient.sendRequest). */
    request(method: string, params: unknown): Promise<unknown>;
    cli: CliLauncher;
    output: vscodeTypes.OutputChannel;
}

export const commandIds = {
    run: 'cajal.run',
    showNeuron: 'cajal.showNeuron',
    compileTfjs: 'cajal.compileTfjs',
    train: 'cajal.train'
} as const;

/** What a command acts on: a file and (optionally) a declaration in it. */
export interface Target {
    uri: vscodeTypes.Uri;
    name: string | undefined;
    document: vscodeTypes.TextDocument | undefined;
}

const neuronRefreshDelayMs = 300;

export class CajalCommands {
    private readonly neuronViews = new Map<string, NeuronView>();
    private readonly trainings = new Set<TrainingSession>();

    constructor(private readonly deps: CommandDeps) {}

    register(): vscodeTypes.Disposable[] {
        const { vscode } = this.deps;
        return [
            vscode.commands.registerCommand(commandIds.run, (...args: unknown[]) => this.run(...args)),
            vscode.commands.registerCommand(commandIds.showNeuron, (...args: unknown[]) => this.showNeuron(...args)),
            vscode.commands.registerCommand(commandIds.compileTfjs, (...args: unknown[]) => this.compileTfjs(...args)),
            vscode.commands.registerCommand(commandIds.train, (...args: unknown[]) => this.train(...args)),
            vscode.workspace.onDidChangeTextDocument(event => this.documentChanged(event.document.uri)),
            { dispose: () => this.dispose() }
        ];
    }

    dispose(): void {
        for (const view of this.neuronViews.values()) view.panel.dispose();
        for (const session of this.trainings) session.cancel();
    }

    /**
     * Turns command arguments into a target. Code lenses pass `[uriString, name]`; the editor
     * context menu passes a Uri; the palette passes nothing (active editor, cursor position).
     */
    async resolveTarget(args: unknown[], pick: 'definition' | 'training' | 'file'): Promise<Target | undefined> {
        const { vscode } = this.deps;
        const [first, second] = args;
        let uri: vscodeTypes.Uri | undefined;
        if (typeof first === 'string') uri = vscode.Uri.parse(first);
        else if (first instanceof vscode.Uri) uri = first;
        let name = typeof second === 'string' ? second : undefined;
        const editor = vscode.window.activeTextEditor;
        if (!uri) {
            if (!editor || editor.document.languageId !== 'cajal') {
                void vscode.window.showErrorMessage('Open a .cajal file first.');
                return undefined;
            }
            uri = editor.document.uri;
        }
        const document = vscode.workspace.textDocuments.find(d => d.uri.toString() === uri!.toString())
            ?? await vscode.workspace.openTextDocument(uri);
        if (name === undefined && pick !== 'file') {
            const offset = editor && editor.document.uri.toString() === uri.toString()
                ? document.offsetAt(editor.selection.active)
                : 0;
            name = pick === 'definition' ? runnableDefinitionAt(document.getText(), offset) : trainingAt(document.getText(), offset);
            if (name === undefined) {
                void vscode.window.showErrorMessage(pick === 'definition'
                    ? `No definition to use in ${path.basename(uri.fsPath)}: put the cursor in a def or define main.`
                    : `No training declaration (train name { … }) in ${path.basename(uri.fsPath)}.`);
                return undefined;
            }
        }
        return { uri, name, document };
    }

    private requireTrust(action: string): boolean {
        const { vscode } = this.deps;
        if (vscode.workspace.isTrusted) return true;
        void vscode.window.showWarningMessage(`Cajal: ${action} is disabled in Restricted Mode. Trust this workspace to run, compile or train Cajal programs.`);
        return false;
    }

    /** The CLI reads the file from disk, so unsaved edits are saved first. */
    private async fileOnDisk(target: Target): Promise<string | undefined> {
        const { vscode } = this.deps;
        if (target.uri.scheme !== 'file') {
            void vscode.window.showErrorMessage(`Cajal needs a file on disk; ${target.uri.toString()} is not one. Save it first.`);
            return undefined;
        }
        if (target.document?.isDirty) {
            const saved = await target.document.save();
            if (!saved) {
                void vscode.window.showErrorMessage(`Could not save ${path.basename(target.uri.fsPath)}; not running.`);
                return undefined;
            }
        }
        return target.uri.fsPath;
    }

    private setting<T>(key: string, uri: vscodeTypes.Uri | undefined, fallback: T): T {
        return this.deps.vscode.workspace.getConfiguration('cajal', uri).get<T>(key, fallback);
    }

    async run(...args: unknown[]): Promise<string | undefined> {
        const { vscode, output } = this.deps;
        if (!this.requireTrust('Run')) return undefined;
        const target = await this.resolveTarget(args, 'definition');
        if (!target) return undefined;
        const file = await this.fileOnDisk(target);
        if (!file) return undefined;
        const backend = this.setting('run.backend', target.uri, 'auto');
        const natDisplay = this.setting<'numeral' | 'unary'>('display.nat', target.uri, 'numeral');
        const cliArgs = ['run', file, '--def', target.name!, '--backend', backend, '--json'];
        output.appendLine(`▶ cajal ${cliArgs.map(a => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
        output.show(true);
        const result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Window, title: `Cajal: running ${target.name}` },
            () => startCli(this.deps.cli, cliArgs, { cwd: path.dirname(file) }).done
        );
        if (result.code !== 0) {
            const why = stderrSummary(result.stderr) || result.stdout.trim() || `exit code ${result.code}`;
            output.appendLine(`✖ ${why}`);
            void vscode.window.showErrorMessage(`Cajal: Run ${target.name} failed: ${why.split('\n')[0]}`);
            return undefined;
        }
        try {
            const parsed = parseRunResult(result.stdout);
            const lines = formatRunResult(parsed, natDisplay);
            for (const line of lines) output.appendLine(line);
            void vscode.window.showInformationMessage(`Cajal: ${lines[0]}`);
            return lines.join('\n');
        } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            output.appendLine(`✖ ${message}`);
            void vscode.window.showErrorMessage(`Cajal: Run ${target.name}: ${message}`);
            return undefined;
        }
    }

    async requestNeuron(uri: vscodeTypes.Uri, name: string): Promise<NeuronResponse> {
        try {
            return validateNeuronResponse(await this.deps.request(NeuronRequestMethod, { uri: uri.toString(), name }));
        } catch (error) {
            return { error: `The language server could not compute the neuron of ${name}: ${error instanceof Error ? error.message : String(error)}` };
        }
    }

    async showNeuron(...args: unknown[]): Promise<vscodeTypes.WebviewPanel | undefined> {
        const { vscode } = this.deps;
        const target = await this.resolveTarget(args, 'definition');
        if (!target) return undefined;
        const name = target.name!;
        const key = `${target.uri.toString()}#${name}`;
        const existing = this.neuronViews.get(key);
        if (existing) {
            existing.panel.reveal(undefined, true);
            await existing.refresh();
            return existing.panel;
        }
        const panel = vscode.window.createWebviewPanel('cajal.neuron', `Neuron: ${name}`,
            { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
            { enableScripts: true, localResourceRoots: [] });
        const view = new NeuronView(this, panel, target.uri, name);
        this.neuronViews.set(key, view);
        panel.onDidDispose(() => { view.disposed = true; this.neuronViews.delete(key); });
        await view.initialise();
        return panel;
    }

    /** Views refresh shortly after their file changes (the server re-checks the new text first). */
    documentChanged(uri: vscodeTypes.Uri): void {
        for (const view of this.neuronViews.values()) {
            if (view.uri.toString() === uri.toString()) view.scheduleRefresh(neuronRefreshDelayMs);
        }
    }

    async copyToClipboard(text: string): Promise<void> {
        await this.deps.vscode.env.clipboard.writeText(text);
    }

    neuronMaxCells(): number {
        return this.setting('neuron.maxCells', undefined, 4096);
    }

    /** Where compiled modules go: next to the file, or cajal.compile.outputDir (relative to the workspace folder). */
    compileOutputDir(uri: vscodeTypes.Uri): string {
        const configured = this.setting('compile.outputDir', uri, '').trim();
        const fileDir = path.dirname(uri.fsPath);
        if (configured === '') return fileDir;
        if (path.isAbsolute(configured)) return configured;
        const folder = this.deps.vscode.workspace.getWorkspaceFolder(uri);
        return path.resolve(folder ? folder.uri.fsPath : fileDir, configured);
    }

    async compileTfjs(...args: unknown[]): Promise<string[] | undefined> {
        const { vscode, output } = this.deps;
        if (!this.requireTrust('Compile')) return undefined;
        const target = await this.resolveTarget(args, 'file');
        if (!target) return undefined;
        let response: CompileResponse;
        try {
            response = await this.deps.request(CompileTfjsRequestMethod, { uri: target.uri.toString() }) as CompileResponse;
        } catch (error) {
            response = { error: error instanceof Error ? error.message : String(error) };
        }
        if (isErrorResponse(response) || !Array.isArray((response as { files?: unknown }).files)) {
            const message = isErrorResponse(response) ? response.error : 'the language server sent no files';
            void vscode.window.showErrorMessage(`Cajal: Compile to TensorFlow.js failed: ${message}`);
            return undefined;
        }
        const dir = this.compileOutputDir(target.uri);
        const written: string[] = [];
        for (const file of response.files) {
            // Names come from the server; never let one escape the output directory.
            if (typeof file.name !== 'string' || file.name !== path.basename(file.name) || file.name.startsWith('.') || typeof file.text !== 'string') {
                void vscode.window.showErrorMessage(`Cajal: the language server proposed an invalid output file name ${JSON.stringify(file.name)}.`);
                return undefined;
            }
            const destination = path.join(dir, file.name);
            await vscode.workspace.fs.writeFile(vscode.Uri.file(destination), new TextEncoder().encode(file.text));
            written.push(destination);
        }
        output.appendLine(`Compiled ${path.basename(target.uri.fsPath)} → ${written.join(', ')}`);
        const open = 'Open';
        void vscode.window.showInformationMessage(`Cajal: wrote ${written.map(w => path.basename(w)).join(', ')} to ${dir}`, open).then(choice => {
            if (choice === open && written.length > 0) void vscode.window.showTextDocument(vscode.Uri.file(written[0]));
        });
        return written;
    }

    async train(...args: unknown[]): Promise<TrainingState | undefined> {
        const { vscode } = this.deps;
        if (!this.requireTrust('Train')) return undefined;
        const target = await this.resolveTarget(args, 'training');
        if (!target) return undefined;
        const file = await this.fileOnDisk(target);
        if (!file) return undefined;
        const engine = engineArguments(this.setting('train.engine', target.uri, 'tfjs'), this.setting('python', target.uri, ''));
        const session = new TrainingSession(this.deps, file, target.name!, this.setting('train.epochs', target.uri, 0), this.setting('run.backend', target.uri, 'auto'), engine);
        this.trainings.add(session);
        try {
            return await session.start();
        } finally {
            this.trainings.delete(session);
        }
    }

    /** For the webview serializer: a training view restored after a reload shows its last state. */
    restoreTrainingView(panel: vscodeTypes.WebviewPanel, saved: unknown): void {
        const message = saved as { state?: TrainingState; sequence?: number } | undefined;
        const state = message?.state ?? { ...initialTrainingState('?'), status: 'cancelled', message: 'restored' } as TrainingState;
        const frozen = trainingViewMessage(state, false, message?.sequence ?? 0);
        panel.webview.html = renderTrainingPage(frozen, { nonce: makeNonce(), cspSource: panel.webview.cspSource });
        panel.webview.onDidReceiveMessage(m => handleTrainingViewMessage(m, {
            ready: () => { void panel.webview.postMessage(frozen); },
            cancel: () => {},
            revealWeights: () => revealWeights(this.deps.vscode, state.weights)
        }));
    }
}

function revealWeights(vscode: VscodeApi, weights: string | null): void {
    if (!weights) return;
    void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(weights)).then(undefined, () =>
        vscode.window.showInformationMessage(`Weights: ${weights}`));
}

class NeuronView {
    disposed = false;
    private timer: ReturnType<typeof setTimeout> | undefined;
    private version = 0;
    private last: NeuronResponse | undefined;

    constructor(private readonly owner: CajalCommands, readonly panel: vscodeTypes.WebviewPanel, readonly uri: vscodeTypes.Uri, readonly name: string) {}

    async initialise(): Promise<void> {
        this.panel.webview.onDidReceiveMessage(message => handleNeuronViewMessage(message, {
            ready: () => this.post(),
            refresh: () => this.refresh(),
            copy: () => this.copy()
        }));
        this.last = await this.owner.requestNeuron(this.uri, this.name);
        if (this.disposed) return;
        this.panel.webview.html = renderNeuronPage(this.last, {
            maxCells: this.owner.neuronMaxCells(), nonce: makeNonce(), cspSource: this.panel.webview.cspSource, title: `Neuron: ${this.name}`
        });
    }

    scheduleRefresh(delayMs: number): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => { this.timer = undefined; void this.refresh(); }, delayMs);
    }

    async refresh(): Promise<void> {
        const version = ++this.version;
        const response = await this.owner.requestNeuron(this.uri, this.name);
        // A slower earlier request must not overwrite a newer answer.
        if (this.disposed || version !== this.version) return;
        this.last = response;
        await this.post();
    }

    private async post(): Promise<void> {
        if (!this.last || this.disposed) return;
        await this.panel.webview.postMessage({ type: 'update', html: renderNeuronContent(this.last, { maxCells: this.owner.neuronMaxCells() }), version: this.version });
    }

    private async copy(): Promise<void> {
        if (this.last) await this.owner.copyToClipboard(JSON.stringify(this.last, null, 2));
    }
}

/** One `cajal train --events` process, its progress notification and its chart view. */
class TrainingSession {
    private state: TrainingState;
    private sequence = 0;
    private stream: CliStream | undefined;
    private panel: vscodeTypes.WebviewPanel | undefined;
    private cancelled = false;

    constructor(private readonly deps: CommandDeps, private readonly file: string, private readonly name: string,
                private readonly epochs: number, private readonly backend: string, private readonly engine: readonly string[] = []) {
        this.state = initialTrainingState(name);
    }

    cancel(): void {
        this.cancelled = true;
        this.stream?.cancel();
    }

    private live(): boolean {
        return this.stream !== undefined && this.stream.process.exitCode === null && this.stream.process.signalCode === null;
    }

    private postState(): void {
        if (!this.panel) return;
        void this.panel.webview.postMessage(trainingViewMessage(this.state, this.live(), ++this.sequence));
    }

    private openPanel(): void {
        const { vscode } = this.deps;
        const panel = vscode.window.createWebviewPanel('cajal.training', `Training: ${this.name}`,
            { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
            // The chart must keep its history while hidden; setState covers a full reload.
            { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [] });
        panel.webview.html = renderTrainingPage(trainingViewMessage(this.state, true, this.sequence), { nonce: makeNonce(), cspSource: panel.webview.cspSource });
        panel.webview.onDidReceiveMessage(message => handleTrainingViewMessage(message, {
            ready: () => this.postState(),
            cancel: () => this.cancel(),
            revealWeights: () => revealWeights(vscode, this.state.weights)
        }));
        panel.onDidDispose(() => { this.panel = undefined; });
        this.panel = panel;
    }

    async start(): Promise<TrainingState> {
        const { vscode, output } = this.deps;
        this.openPanel();
        const args = ['train', this.file, '--train', this.name, '--events', '--backend', this.backend];
        if (this.epochs > 0) args.push('--epochs', String(this.epochs));
        args.push(...this.engine);
        output.appendLine(`▶ cajal ${args.join(' ')}`);
        await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `Cajal: training ${this.name}`, cancellable: true },
            async (progress, token) => {
                token.onCancellationRequested(() => this.cancel());
                let reported = 0;
                const splitter = new JsonLineSplitter(value => {
                    const event = asTrainEvent(value);
                    if (!event) return;
                    this.state = applyTrainEvent(this.state, event);
                    const fraction = trainingProgress(this.state);
                    const increment = Math.max(0, fraction * 100 - reported);
                    reported += increment;
                    const last = this.state.epochPoints[this.state.epochPoints.length - 1];
                    progress.report({
                        increment,
                        message: last ? `epoch ${last.epoch}${this.state.epochs ? `/${this.state.epochs}` : ''}: ${epochSummary(last)}` : 'starting…'
                    });
                    this.postState();
                }, line => output.appendLine(line));
                this.stream = startCli(this.deps.cli, args, {
                    cwd: path.dirname(this.file),
                    onStdout: chunk => splitter.push(chunk),
                    onStderr: chunk => output.append(chunk)
                });
                if (this.cancelled) this.stream.cancel();
                const result = await this.stream.done;
                splitter.end();
                if (this.state.status === 'running' || this.state.status === 'starting') {
                    this.state = this.cancelled
                        ? applyTrainEvent(this.state, { event: 'cancelled', weights: null })
                        : applyTrainEvent(this.state, { event: 'error', message: stderrSummary(result.stderr) || `cajal train exited with code ${result.code}` });
                }
                this.postState();
            });
        switch (this.state.status) {
            case 'done':
                void vscode.window.showInformationMessage(`Cajal: trained ${this.name}${this.state.weights ? `; weights saved to ${this.state.weights}` : ''}.`);
                break;
            case 'cancelled':
                void vscode.window.showWarningMessage(`Cajal: training ${this.name} cancelled${this.state.weights ? `; last completed epoch's weights in ${this.state.weights}` : ''}.`);
                break;
            case 'failed':
                void vscode.window.showErrorMessage(`Cajal: training ${this.name} failed: ${this.state.message}`);
                break;
        }
        return this.state;
    }
}

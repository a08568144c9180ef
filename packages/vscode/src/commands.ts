// The extension's commands. Everything VS Code-specific comes in through `CommandDeps`
// (the `vscode` module itself in production, a fake in unit tests), so the wiring —
// which arguments a command accepts, what it asks the server or the CLI, what it shows —
// is tested without an editor.
import type * as vscodeTypes from 'vscode';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { startCli, type CliLauncher, type CliResult, type CliStream } from './cliProcess.js';
import { describeCliFailure } from './failures.js';
import { formatRunResult } from './format.js';
import { renderNeuronContent, renderNeuronPageWith } from './heatmap.js';
import { escapeHtml, makeNonce } from './html.js';
import { handleNeuronViewMessage, handleTrainingViewMessage } from './messages.js';
import {
    asTrainEvent, CompileTfjsRequestMethod, isErrorResponse, JsonLineSplitter, NeuronRequestMethod,
    parseRunResult, validateNeuronResponse, type CompileResponse, type NeuronInfo, type NeuronResponse, type TrainEvent
} from './protocol.js';
import { isExternIn, neuronDeclarationAt, runnableDefinitionAt, trainingAt } from './source.js';
import { LearnedNeurons, learnedHoverMarkdown, renderLearnedNeuronContent, type LearnedNeuron, type LearnedNeuronResponse } from './learned.js';
import type { LanguageStatus } from './status.js';
import {
    applyTrainEvent, engineArguments, epochLogLine, evaluationLogLine, epochSummary, initialTrainingState, renderTrainingPage, testSummary, trainingProgress, trainingViewMessage, type TrainingState
} from './training.js';

export type VscodeApi = typeof vscodeTypes;

export interface CommandDeps {
    vscode: VscodeApi;
    /** Sends a custom request to the language server (LanguageClient.sendRequest). */
    request(method: string, params: unknown): Promise<unknown>;
    cli: CliLauncher;
    output: vscodeTypes.OutputChannel;
    /** The language status items, which show a running training's progress. */
    status?: Pick<LanguageStatus, 'trainingStarted'>;
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
/** The unpinned neuron view moves to the declaration under the cursor after the cursor rests this long. */
export const neuronFollowDelayMs = 150;

export class CajalCommands {
    private readonly neuronViews = new Set<NeuronView>();
    private followTimer: ReturnType<typeof setTimeout> | undefined;
    private readonly learned: LearnedNeurons;
    private readonly trainings = new Set<TrainingSession>();

    constructor(private readonly deps: CommandDeps) {
        this.learned = new LearnedNeurons(deps.cli);
    }

    register(): vscodeTypes.Disposable[] {
        const { vscode } = this.deps;
        return [
            vscode.commands.registerCommand(commandIds.run, (...args: unknown[]) => this.run(...args)),
            vscode.commands.registerCommand(commandIds.showNeuron, (...args: unknown[]) => this.showNeuron(...args)),
            vscode.commands.registerCommand(commandIds.compileTfjs, (...args: unknown[]) => this.compileTfjs(...args)),
            vscode.commands.registerCommand(commandIds.train, (...args: unknown[]) => this.train(...args)),
            vscode.workspace.onDidChangeTextDocument(event => this.documentChanged(event.document.uri)),
            vscode.window.onDidChangeTextEditorSelection(event => {
                const active = event.selections[0]?.active;
                if (active) this.selectionChanged(event.textEditor.document, event.textEditor.document.offsetAt(active));
            }),
            { dispose: () => this.dispose() }
        ];
    }

    dispose(): void {
        for (const view of [...this.neuronViews]) view.panel.dispose();
        for (const session of this.trainings) session.cancel();
    }

    /**
     * Turns command arguments into a target. Code lenses pass `[uriString, name]`; the editor
     * context menu passes a Uri; the palette passes nothing (active editor, cursor position).
     */
    async resolveTarget(args: unknown[], pick: 'definition' | 'neuron' | 'training' | 'file'): Promise<Target | undefined> {
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
            name = pick === 'definition' ? runnableDefinitionAt(document.getText(), offset)
                : pick === 'neuron' ? neuronDeclarationAt(document.getText(), offset)?.name ?? runnableDefinitionAt(document.getText(), offset)
                : trainingAt(document.getText(), offset);
            if (name === undefined) {
                void vscode.window.showErrorMessage(pick !== 'training'
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

    /**
     * `--max-tensor N` from `cajal.maxTensor`, the limit the language server checks with: a
     * program the editor shows without `size/too-large` is one Run, Train and the learned
     * neuron (`cajal inspect`) accept.
     */
    private maxTensorArguments(uri: vscodeTypes.Uri | undefined): string[] {
        const limit = this.setting<unknown>('maxTensor', uri, undefined);
        return typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 1 ? ['--max-tensor', String(limit)] : [];
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
        const cliArgs = ['run', file, '--def', target.name!, '--backend', backend, '--json', ...this.maxTensorArguments(target.uri)];
        output.appendLine(`▶ cajal ${cliArgs.map(a => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
        output.show(true);
        const result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Window, title: `Cajal: running ${target.name}` },
            () => startCli(this.deps.cli, cliArgs, { cwd: path.dirname(file) }).done
        );
        if (result.code !== 0) {
            this.reportFailure(result, 'run', `Run ${target.name}`);
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

    /**
     * A failed CLI: the whole stderr (traces included) goes to the output channel (unless it
     * was streamed there already), the notification gets the first error with its place.
     */
    reportFailure(result: CliResult, command: string, what: string, stderrLogged = false): void {
        const { vscode, output } = this.deps;
        const failure = describeCliFailure(result, command);
        if (!stderrLogged && result.stderr.trim() !== '') output.append(result.stderr.endsWith('\n') ? result.stderr : `${result.stderr}\n`);
        output.appendLine(`✖ ${what} failed: ${failure.summary}`);
        const showOutput = 'Show Output';
        const all: Record<string, () => void> = { [showOutput]: () => output.show(true) };
        if (failure.missingMnist) all['Choose MNIST Folder…'] = () => void this.chooseMnistFolder();
        void vscode.window.showErrorMessage(`Cajal: ${what} failed: ${failure.summary}`, ...Object.keys(all)).then(choice => {
            if (choice !== undefined) all[choice]?.();
        });
    }

    /** The one-click fix for missing MNIST files: pick their folder, remembered in cajal.data.mnist. */
    async chooseMnistFolder(): Promise<string | undefined> {
        const { vscode } = this.deps;
        const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use as MNIST folder', title: 'Folder with the four MNIST IDX files (train-images-idx3-ubyte … t10k-labels-idx1-ubyte, or .gz)' });
        const folder = picked?.[0]?.fsPath;
        if (!folder) return undefined;
        await vscode.workspace.getConfiguration('cajal').update('data.mnist', folder, vscode.ConfigurationTarget.Global);
        void vscode.window.showInformationMessage(`Cajal: MNIST will be read from ${folder} (setting cajal.data.mnist). Train again to use it.`);
        return folder;
    }

    async requestNeuron(uri: vscodeTypes.Uri, name: string): Promise<NeuronResponse> {
        try {
            return validateNeuronResponse(await this.deps.request(NeuronRequestMethod, { uri: uri.toString(), name }));
        } catch (error) {
            return { error: `The language server could not compute the neuron of ${name}: ${error instanceof Error ? error.message : String(error)}` };
        }
    }

    /** The learned neuron of a trained extern, from `cajal inspect` (no weights yet: an error saying what to do). */
    async requestLearned(target: NeuronTarget): Promise<LearnedNeuronResponse> {
        if (target.uri.scheme !== 'file') return { error: `${target.uri.toString()} is not a file on disk; save it and train first.` };
        const answer = this.learned.get(target.uri.fsPath, target.name, this.maxTensorArguments(target.uri));
        return answer ?? { error: `'${target.name}' has no trained weights beside ${path.basename(target.uri.fsPath)} yet: train a block that uses it first.` };
    }

    async showNeuron(...args: unknown[]): Promise<vscodeTypes.WebviewPanel | undefined> {
        const { vscode } = this.deps;
        const resolved = await this.resolveTarget(args, 'neuron');
        if (!resolved) return undefined;
        const target: NeuronTarget = {
            uri: resolved.uri, name: resolved.name!,
            kind: resolved.document && isExternIn(resolved.document.getText(), resolved.name!) ? 'extern' : 'def'
        };
        const existing = [...this.neuronViews].find(view => view.key === neuronKey(target))
            // One view follows the cursor (like Lean's infoview); pinned views stay on their declaration.
            ?? [...this.neuronViews].find(view => !view.pinned);
        if (existing) {
            existing.panel.reveal(undefined, true);
            if (existing.key === neuronKey(target)) await existing.refresh();
            else await existing.retarget(target);
            return existing.panel;
        }
        const panel = vscode.window.createWebviewPanel('cajal.neuron', neuronTitle(target),
            { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
            { enableScripts: true, localResourceRoots: [] });
        const view = new NeuronView(this, panel, target);
        this.neuronViews.add(view);
        panel.onDidDispose(() => { view.disposed = true; this.neuronViews.delete(view); });
        await view.initialise();
        return panel;
    }

    /** The unpinned view follows the cursor to the definition or extern under it (after a short pause). */
    selectionChanged(document: vscodeTypes.TextDocument, offset: number): void {
        if (document.languageId !== 'cajal') return;
        const view = [...this.neuronViews].find(v => !v.pinned);
        if (!view) return;
        if (this.followTimer) clearTimeout(this.followTimer);
        this.followTimer = setTimeout(() => {
            this.followTimer = undefined;
            const here = neuronDeclarationAt(document.getText(), offset);
            if (!here || view.disposed || view.pinned) return;
            const target: NeuronTarget = { uri: document.uri, name: here.name, kind: here.kind };
            if (neuronKey(target) !== view.key) void view.retarget(target);
        }, neuronFollowDelayMs);
    }

    /** Hover on a trained extern: how far its learned map is from the nearest program (none without saved weights). */
    async learnedHover(document: vscodeTypes.TextDocument, position: vscodeTypes.Position): Promise<vscodeTypes.Hover | undefined> {
        const { vscode } = this.deps;
        if (document.uri.scheme !== 'file') return undefined;
        const range = document.getWordRangeAtPosition(position, /[A-Za-z_][A-Za-z0-9_']*/);
        if (!range) return undefined;
        const name = document.getText(range);
        if (!isExternIn(document.getText(), name)) return undefined;
        const answer = this.learned.get(document.uri.fsPath, name, this.maxTensorArguments(document.uri));
        if (!answer) return undefined;
        const show = `command:${commandIds.showNeuron}?${encodeURIComponent(JSON.stringify([document.uri.toString(), name]))}`;
        const markdown = new vscode.MarkdownString(learnedHoverMarkdown(await answer, show));
        // Only the Show Neuron command may run from this hover's links.
        markdown.isTrusted = { enabledCommands: [commandIds.showNeuron] };
        return new vscode.Hover(markdown, range);
    }

    /** Views refresh shortly after their file changes (the server re-checks the new text first). */
    documentChanged(uri: vscodeTypes.Uri): void {
        for (const view of this.neuronViews) {
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
        if (!this.requireTrust('Train')) return undefined;
        const target = await this.resolveTarget(args, 'training');
        if (!target) return undefined;
        const file = await this.fileOnDisk(target);
        if (!file) return undefined;
        const engine = [...engineArguments(this.setting('train.engine', target.uri, 'tfjs'), this.setting('python', target.uri, '')), ...this.maxTensorArguments(target.uri)];
        const session = new TrainingSession(this, this.deps, file, target.name!, this.setting('train.epochs', target.uri, 0), this.setting('run.backend', target.uri, 'auto'),
            this.setting('data.mnist', target.uri, '').trim(), engine);
        this.trainings.add(session);
        try {
            return await session.start();
        } finally {
            this.trainings.delete(session);
            // New weights: learned neurons of this file are shown anew.
            for (const view of this.neuronViews) {
                if (view.target.kind === 'extern' && view.uri.toString() === target.uri.toString()) void view.refresh();
            }
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

/** Shows the weights in the Explorer (which code-server has too, unlike the OS file manager). */
function revealWeights(vscode: VscodeApi, weights: string | null): void {
    if (!weights) return;
    const uri = vscode.Uri.file(weights);
    const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
    void vscode.commands.executeCommand(inWorkspace ? 'revealInExplorer' : 'revealFileInOS', uri).then(undefined, () =>
        vscode.window.showInformationMessage(`Weights: ${weights}`));
}

/** What a neuron view shows: a definition's compiled neuron, or an extern's learned one. */
export interface NeuronTarget {
    uri: vscodeTypes.Uri;
    name: string;
    kind: 'def' | 'extern';
}

/**
 * A Show Neuron view. Unpinned (the default), it follows the declaration under the cursor,
 * as Lean's infoview does; pinned, it stays on its declaration. While the neuron cannot be
 * computed (an error elsewhere in the file, no weights yet) it keeps the last one, marked stale.
 */
class NeuronView {
    disposed = false;
    pinned = false;
    private timer: ReturnType<typeof setTimeout> | undefined;
    private version = 0;
    private last: NeuronResponse | LearnedNeuronResponse | undefined;
    /** The last neuron that could be computed, shown (marked stale) while the current one cannot. */
    private lastGood: NeuronInfo | LearnedNeuron | undefined;

    constructor(private readonly owner: CajalCommands, readonly panel: vscodeTypes.WebviewPanel, public target: NeuronTarget) {}

    get uri(): vscodeTypes.Uri { return this.target.uri; }
    get name(): string { return this.target.name; }
    get key(): string { return neuronKey(this.target); }

    async initialise(): Promise<void> {
        this.panel.webview.onDidReceiveMessage(message => handleNeuronViewMessage(message, {
            ready: () => this.post(),
            refresh: () => this.refresh(),
            copy: () => this.copy(),
            pin: () => { this.pinned = !this.pinned; return this.post(); }
        }));
        const version = ++this.version;
        const response = await this.request();
        if (this.disposed || version !== this.version) return;
        this.accept(response);
        this.panel.webview.html = renderNeuronPageWith(this.content(), {
            nonce: makeNonce(), cspSource: this.panel.webview.cspSource, title: `Neuron: ${this.name}`
        });
    }

    private request(): Promise<NeuronResponse | LearnedNeuronResponse> {
        return this.target.kind === 'extern' ? this.owner.requestLearned(this.target) : this.owner.requestNeuron(this.uri, this.name);
    }

    private accept(response: NeuronResponse | LearnedNeuronResponse): void {
        this.last = response;
        if (!isErrorResponse(response)) this.lastGood = response;
    }

    /** Shows another declaration (following the cursor); the stale fallback is for one declaration only. */
    async retarget(target: NeuronTarget): Promise<void> {
        this.target = target;
        this.lastGood = undefined;
        this.panel.title = neuronTitle(target);
        await this.refresh();
    }

    scheduleRefresh(delayMs: number): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => { this.timer = undefined; void this.refresh(); }, delayMs);
    }

    async refresh(): Promise<void> {
        const version = ++this.version;
        const response = await this.request();
        // A slower earlier request must not overwrite a newer answer.
        if (this.disposed || version !== this.version) return;
        this.accept(response);
        await this.post();
    }

    private render(response: NeuronResponse | LearnedNeuronResponse): string {
        return this.target.kind === 'extern'
            ? renderLearnedNeuronContent(response as LearnedNeuronResponse)
            : renderNeuronContent(response as NeuronResponse, { maxCells: this.owner.neuronMaxCells() });
    }

    /** The current neuron; while it cannot be computed, the last good one under a stale banner. */
    private content(): string {
        if (!this.last) return '';
        return isErrorResponse(this.last) && this.lastGood
            ? `<div class="stale" role="status">Stale: ${escapeHtml(this.last.error)} Showing the last neuron computed.</div>${this.render(this.lastGood)}`
            : this.render(this.last);
    }

    private async post(): Promise<void> {
        if (!this.last || this.disposed) return;
        await this.panel.webview.postMessage({ type: 'update', html: this.content(), version: this.version, pinned: this.pinned });
    }

    private async copy(): Promise<void> {
        if (this.last) await this.owner.copyToClipboard(JSON.stringify(this.last, null, 2));
    }
}

function neuronKey(target: NeuronTarget): string {
    return `${target.uri.toString()}#${target.name}`;
}

/** The tab names the file too: views of same-named declarations in two files stay apart. */
function neuronTitle(target: NeuronTarget): string {
    return `${target.kind === 'extern' ? 'Learned neuron' : 'Neuron'}: ${target.name} (${path.basename(target.uri.fsPath)})`;
}

/** The view and notification are redrawn at most this often, however fast events arrive. */
export const trainingRedrawMs = 250;
/** Epoch lines reach the output channel in batches at most this often (each append is a message to the editor). */
export const trainingLogMs = 1000;
/** After Cancel, the CLI gets this long to stop by itself (SIGTERM) before it is killed. */
export const cancelGraceMs = 300;
/** A view that has not confirmed drawing a state within this long gets the next one anyway. */
export const renderTimeoutMs = 1000;

/** One `cajal train --events` process, its progress notification and its chart view. */
class TrainingSession {
    private state: TrainingState;
    private sequence = 0;
    private stream: CliStream | undefined;
    private panel: vscodeTypes.WebviewPanel | undefined;
    private cancelled = false;
    /** Where the CLI saves each completed epoch (from its start event). */
    private weightsDirectory: string | null = null;
    private readonly startedAt = Date.now();
    private redrawTimer: ReturnType<typeof setTimeout> | undefined;
    private redrawPending = false;
    private reported = 0;
    private progress: vscodeTypes.Progress<{ message?: string; increment?: number }> | undefined;
    private reportStatus: ((progress: string | undefined) => void) | undefined;
    /** Flow control with the view: the sequence number it has not confirmed drawing yet. */
    private awaitingRender: number | undefined;
    private awaitingSince = 0;
    private postPending = false;
    private renderTimer: ReturnType<typeof setTimeout> | undefined;
    private readonly logBuffer: string[] = [];
    private logTimer: ReturnType<typeof setTimeout> | undefined;
    /** What the notification and the status item last showed (they are updated only on change). */
    private shownMessage = '';

    constructor(private readonly owner: CajalCommands, private readonly deps: CommandDeps, private readonly file: string, private readonly name: string,
                private readonly epochs: number, private readonly backend: string, private readonly mnistDirectory: string,
                private readonly engine: readonly string[] = []) {
        this.state = initialTrainingState(name);
    }

    /** Stops the process at once: SIGTERM (the CLI keeps its last saved epoch), SIGKILL shortly after. */
    cancel(): void {
        if (this.cancelled) return;
        this.cancelled = true;
        this.flushLog();
        this.deps.output.appendLine(`■ cancelling ${this.name}`);
        this.stream?.cancel(cancelGraceMs);
        // The view says so at once; the final state (with the saved epoch) follows when the process has ended.
        this.postState(true);
    }

    /** What the view shows: once Cancel is pressed, the run as cancelled (with the last epoch's weights) even before the process has ended. */
    private shownState(): TrainingState {
        if (!this.cancelled || (this.state.status !== 'running' && this.state.status !== 'starting')) return this.state;
        const weights = this.state.epochPoints.length > 0 ? this.weightsDirectory : null;
        return applyTrainEvent(this.state, { event: 'cancelled', weights });
    }

    private live(): boolean {
        return !this.cancelled && this.stream !== undefined && this.stream.process.exitCode === null && this.stream.process.signalCode === null;
    }

    /**
     * Sends the state to the view, one at a time: while the view has not drawn the last one
     * (a slow renderer, e.g. a browser far away in code-server), newer states wait and only
     * the newest is sent. `final` (the run ended) is sent regardless.
     */
    private postState(final = false): void {
        if (!this.panel) return;
        if (final && this.renderTimer) {
            clearTimeout(this.renderTimer);
            this.renderTimer = undefined;
        }
        const waiting = this.awaitingRender !== undefined && Date.now() - this.awaitingSince < renderTimeoutMs;
        if (waiting && !final) {
            this.postPending = true;
            return;
        }
        this.postPending = false;
        this.awaitingRender = ++this.sequence;
        this.awaitingSince = Date.now();
        void this.panel.webview.postMessage(trainingViewMessage(this.shownState(), this.live(), this.sequence));
    }

    private rendered(sequence: number): void {
        if (this.awaitingRender === undefined || sequence < this.awaitingRender) return;
        this.awaitingRender = undefined;
        if (!this.postPending || this.renderTimer) return;
        // Leave the view idle at least as long as it took to draw (and trainingRedrawMs), so a
        // slow renderer still has time for clicks (Cancel) between states.
        const drawMs = Date.now() - this.awaitingSince;
        this.renderTimer = setTimeout(() => {
            this.renderTimer = undefined;
            if (this.postPending) this.postState();
        }, Math.min(renderTimeoutMs, Math.max(trainingRedrawMs, drawMs)));
    }

    /** Redraws the view and the notification now, then at most every trainingRedrawMs (coalescing events). */
    private redraw(): void {
        if (this.redrawTimer) {
            this.redrawPending = true;
            return;
        }
        this.redrawNow();
        this.redrawTimer = setTimeout(() => {
            this.redrawTimer = undefined;
            if (this.redrawPending) {
                this.redrawPending = false;
                this.redraw();
            }
        }, trainingRedrawMs);
    }

    private redrawNow(final = false): void {
        const last = this.state.epochPoints[this.state.epochPoints.length - 1];
        const message = this.cancelled ? 'cancelling…' : last ? `epoch ${last.epoch}${this.state.epochs ? `/${this.state.epochs}` : ''}: ${epochSummary(last)}` : 'starting…';
        // The notification and the status item change with the epoch (or a whole percent), not every batch.
        const increment = Math.max(0, trainingProgress(this.state) * 100 - this.reported);
        if (message !== this.shownMessage || increment >= 1 || final) {
            this.shownMessage = message;
            this.reported += increment;
            this.progress?.report({ increment, message });
            this.reportStatus?.(message);
        }
        this.postState(final);
    }

    private stopRedrawing(): void {
        if (this.redrawTimer) clearTimeout(this.redrawTimer);
        this.redrawTimer = undefined;
        this.redrawPending = false;
    }

    private openPanel(): void {
        const { vscode } = this.deps;
        const panel = vscode.window.createWebviewPanel('cajal.training', `Training: ${this.name}`,
            { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
            // The chart must keep its history while hidden; setState covers a full reload.
            { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [] });
        panel.webview.html = renderTrainingPage(trainingViewMessage(this.state, true, this.sequence), { nonce: makeNonce(), cspSource: panel.webview.cspSource });
        panel.webview.onDidReceiveMessage(message => handleTrainingViewMessage(message, {
            ready: () => this.postState(true),
            cancel: () => this.cancel(),
            revealWeights: () => revealWeights(vscode, this.state.weights),
            rendered: sequence => this.rendered(sequence)
        }));
        panel.onDidDispose(() => { this.panel = undefined; });
        this.panel = panel;
    }

    private appendLog(line: string): void {
        this.logBuffer.push(line);
        this.logTimer ??= setTimeout(() => this.flushLog(), trainingLogMs);
    }

    private flushLog(): void {
        if (this.logTimer) clearTimeout(this.logTimer);
        this.logTimer = undefined;
        if (this.logBuffer.length > 0) this.deps.output.appendLine(this.logBuffer.splice(0).join('\n'));
    }

    /** Logs what the output channel should keep of an event: epochs and the result, not batches. */
    private log(event: TrainEvent): void {
        switch (event.event) {
            case 'start':
                this.appendLog(`  ${event.train}: ${event.examples} training examples, ${event.epochs} epochs${event.backend ? `, ${event.backend} backend` : ''}${typeof event.weights === 'string' ? `; weights saved to ${event.weights}` : ''}`);
                break;
            case 'epoch': {
                const point = this.state.epochPoints[this.state.epochPoints.length - 1];
                if (point) this.appendLog(`  ${epochLogLine(point, this.state.epochs)}`);
                break;
            }
            case 'evaluation':
                this.appendLog(`  ${evaluationLogLine(event)}`);
                break;
        }
    }

    /** The epoch whose weights are in the weights directory, if this run saved any. */
    private savedEpoch(): number | null {
        const directory = this.state.weights ?? this.weightsDirectory;
        if (!directory) return null;
        try {
            const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'weights.json'), 'utf8')) as { epoch?: unknown; saved?: unknown };
            const saved = typeof manifest.saved === 'string' ? Date.parse(manifest.saved) : NaN;
            // An older run's weights do not count.
            return typeof manifest.epoch === 'number' && saved >= this.startedAt - 1000 ? manifest.epoch : null;
        } catch {
            return null;
        }
    }

    async start(): Promise<TrainingState> {
        const { vscode, output } = this.deps;
        this.openPanel();
        const args = ['train', this.file, '--train', this.name, '--events', '--backend', this.backend];
        if (this.epochs > 0) args.push('--epochs', String(this.epochs));
        args.push(...this.engine);
        output.appendLine(`▶ cajal ${args.join(' ')}`);
        const launcher = this.mnistDirectory ? { ...this.deps.cli, env: { ...this.deps.cli.env, CAJAL_MNIST: this.mnistDirectory } } : this.deps.cli;
        let result: CliResult | undefined;
        this.reportStatus = this.deps.status?.trainingStarted(this.name);
        try {
            await vscode.window.withProgress(
                { location: vscode.ProgressLocation.Notification, title: `Cajal: training ${this.name}`, cancellable: true },
                async (progress, token) => {
                    this.progress = progress;
                    token.onCancellationRequested(() => this.cancel());
                    const splitter = new JsonLineSplitter(value => {
                        const event = asTrainEvent(value);
                        if (!event) return;
                        if (event.event === 'start' && typeof event.weights === 'string') this.weightsDirectory = event.weights;
                        this.state = applyTrainEvent(this.state, event);
                        this.log(event);
                        this.redraw();
                    }, line => output.appendLine(line));
                    this.stream = startCli(launcher, args, {
                        cwd: path.dirname(this.file),
                        onStdout: chunk => splitter.push(chunk),
                        onStderr: chunk => { this.flushLog(); output.append(chunk); }
                    });
                    if (this.cancelled) this.stream.cancel(cancelGraceMs);
                    result = await this.stream.done;
                    splitter.end();
                    this.flushLog();
                    this.stopRedrawing();
                    if (this.state.status === 'running' || this.state.status === 'starting') {
                        if (this.cancelled) {
                            const epoch = this.savedEpoch();
                            this.state = applyTrainEvent(this.state, { event: 'cancelled', weights: epoch !== null ? (this.state.weights ?? this.weightsDirectory) : null });
                        } else {
                            const failure = describeCliFailure(result, 'train');
                            this.state = applyTrainEvent(this.state, { event: 'error', message: failure.summary });
                        }
                    }
                    this.redrawNow(true);
                    this.progress = undefined;
                });
        } finally {
            this.reportStatus?.(undefined);
            this.reportStatus = undefined;
        }
        const last = this.state.epochPoints[this.state.epochPoints.length - 1];
        switch (this.state.status) {
            case 'done': {
                const test = last ? testSummary(last) : '';
                const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1);
                output.appendLine(`✔ trained ${this.name}: ${this.state.epochPoints.length} epochs in ${seconds} s${last ? `; ${epochSummary(last)}` : ''}${test ? `; ${test}` : ''}; weights ${this.state.weights ? `in ${this.state.weights}` : 'not saved'}`);
                void vscode.window.showInformationMessage(`Cajal: trained ${this.name}${test ? ` — ${test}` : ''}${this.state.weights ? `; weights saved to ${this.state.weights}` : ''}.`);
                break;
            }
            case 'cancelled': {
                const epoch = this.savedEpoch();
                const kept = this.state.weights && epoch !== null ? `; epoch ${epoch}'s weights kept in ${this.state.weights}` : '; no epoch was saved';
                output.appendLine(`■ cancelled ${this.name}${kept}`);
                void vscode.window.showWarningMessage(`Cajal: training ${this.name} cancelled${kept}.`);
                break;
            }
            case 'failed':
                if (result && result.code !== 0) {
                    this.owner.reportFailure(result, 'train', `training ${this.name}`, true);
                } else {
                    output.appendLine(`✖ training ${this.name} failed: ${this.state.message}`);
                    void vscode.window.showErrorMessage(`Cajal: training ${this.name} failed: ${this.state.message}`);
                }
                break;
        }
        return this.state;
    }
}

// A small stand-in for the `vscode` module: just the parts CajalCommands uses, recording
// what the extension does (messages shown, panels created, files written) so tests can
// assert on it. Behaviour follows the real API where the commands depend on it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

export class FakeUri {
    private constructor(readonly scheme: string, readonly fsPath: string, private readonly text: string) {}
    static file(p: string): FakeUri { return new FakeUri('file', path.resolve(p), pathToFileURL(path.resolve(p)).href); }
    static parse(text: string): FakeUri {
        const scheme = text.slice(0, text.indexOf(':'));
        return new FakeUri(scheme, scheme === 'file' ? fileURLToPath(text) : '', text);
    }
    toString(): string { return this.text; }
}

type Listener<T> = (value: T) => unknown;

export class FakeEmitter<T> {
    private listeners: Listener<T>[] = [];
    event = (listener: Listener<T>) => { this.listeners.push(listener); return { dispose: () => { this.listeners = this.listeners.filter(l => l !== listener); } }; };
    fire(value: T): void { for (const l of [...this.listeners]) l(value); }
}

export class FakeDocument {
    isDirty = false;
    saves = 0;
    readonly languageId = 'cajal';
    constructor(readonly uri: FakeUri, private text: string) {}
    getText(range?: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
        return range ? this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end)) : this.text;
    }
    positionAt(offset: number): { line: number; character: number } {
        const before = this.text.slice(0, offset).split('\n');
        return { line: before.length - 1, character: before[before.length - 1].length };
    }
    getWordRangeAtPosition(position: { line: number; character: number }, pattern: RegExp) {
        const offset = this.offsetAt(position);
        for (const match of this.text.matchAll(new RegExp(pattern.source, 'g'))) {
            const start = match.index ?? 0;
            if (start <= offset && offset <= start + match[0].length) return { start: this.positionAt(start), end: this.positionAt(start + match[0].length) };
        }
        return undefined;
    }
    setText(text: string): void { this.text = text; this.isDirty = true; }
    offsetAt(position: { line: number; character: number }): number {
        const lines = this.text.split('\n');
        let offset = 0;
        for (let i = 0; i < position.line; i++) offset += lines[i].length + 1;
        return offset + position.character;
    }
    async save(): Promise<boolean> {
        fs.writeFileSync(this.uri.fsPath, this.text);
        this.isDirty = false;
        this.saves++;
        return true;
    }
}

export class FakeWebview {
    html = '';
    readonly cspSource = 'vscode-webview://fake';
    readonly posted: unknown[] = [];
    readonly received = new FakeEmitter<unknown>();
    onDidReceiveMessage = this.received.event;
    /** When set, the view confirms drawing each posted state, as the real training view does. */
    autoRender = false;
    async postMessage(message: unknown): Promise<boolean> {
        this.posted.push(message);
        const { type, sequence } = message as { type?: string; sequence?: number };
        if (this.autoRender && type === 'state') setTimeout(() => this.received.fire({ type: 'rendered', sequence }), 5);
        return true;
    }
}

export class FakePanel {
    readonly webview = new FakeWebview();
    readonly disposed = new FakeEmitter<void>();
    onDidDispose = this.disposed.event;
    isDisposed = false;
    reveals = 0;
    constructor(readonly viewType: string, public title: string, readonly options: Record<string, unknown>) {}
    reveal(): void { this.reveals++; }
    dispose(): void { if (!this.isDisposed) { this.isDisposed = true; this.disposed.fire(); } }
}

export interface Shown { level: 'info' | 'warning' | 'error'; message: string; items?: string[] }

export function createFakeVscode(options: { trusted?: boolean; settings?: Record<string, unknown>; workspaceFolder?: string; autoRender?: boolean } = {}) {
    const shown: Shown[] = [];
    const panels: FakePanel[] = [];
    const commands = new Map<string, (...args: unknown[]) => unknown>();
    const documents: FakeDocument[] = [];
    const changed = new FakeEmitter<{ document: FakeDocument }>();
    const selectionChanged = new FakeEmitter<{ textEditor: { document: FakeDocument }; selections: Array<{ active: { line: number; character: number } }> }>();
    const progressReports: { increment?: number; message?: string }[] = [];
    const clipboard: string[] = [];
    let cancelProgress: (() => void) | undefined;
    const settings: Record<string, unknown> = { ...options.settings };
    const settingUpdates: { key: string; value: unknown; target: number }[] = [];
    /** Answers the next error notifications pick (undefined: dismissed). */
    const errorChoice: (string | undefined)[] = [];
    const openDialogs: Record<string, unknown>[] = [];
    const openDialogAnswers: string[] = [];
    const api = {
        Uri: FakeUri,
        MarkdownString: class { isTrusted: unknown = false; constructor(readonly value: string) {} },
        Hover: class { constructor(readonly contents: unknown, readonly range?: unknown) {} },
        ViewColumn: { Active: -1, Beside: -2, One: 1 },
        ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
        ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
        env: { clipboard: { writeText: async (text: string) => { clipboard.push(text); } } },
        commands: {
            registerCommand(id: string, handler: (...args: unknown[]) => unknown) { commands.set(id, handler); return { dispose: () => commands.delete(id) }; },
            async executeCommand(id: string, ...args: unknown[]) { return commands.get(id)?.(...args); }
        },
        window: {
            onDidChangeTextEditorSelection: selectionChanged.event,
            activeTextEditor: undefined as undefined | { document: FakeDocument; selection: { active: { line: number; character: number } } },
            async showInformationMessage(message: string) { shown.push({ level: 'info', message }); return undefined; },
            async showWarningMessage(message: string) { shown.push({ level: 'warning', message }); return undefined; },
            async showErrorMessage(message: string, ...items: string[]) { shown.push({ level: 'error', message, ...(items.length > 0 ? { items } : {}) }); return errorChoice.shift(); },
            async showOpenDialog(dialogOptions: Record<string, unknown>) { openDialogs.push(dialogOptions); const folder = openDialogAnswers.shift(); return folder ? [FakeUri.file(folder)] : undefined; },
            async showTextDocument() { return undefined; },
            createWebviewPanel(viewType: string, title: string, _column: unknown, panelOptions: Record<string, unknown>) {
                const panel = new FakePanel(viewType, title, panelOptions);
                panel.webview.autoRender = options.autoRender ?? false;
                panels.push(panel);
                return panel;
            },
            async withProgress<R>(_options: unknown, task: (progress: { report(v: { increment?: number; message?: string }): void }, token: { isCancellationRequested: boolean; onCancellationRequested(l: () => void): void }) => Promise<R>): Promise<R> {
                const listeners: (() => void)[] = [];
                const token = { isCancellationRequested: false, onCancellationRequested(l: () => void) { listeners.push(l); } };
                cancelProgress = () => { token.isCancellationRequested = true; for (const l of listeners) l(); };
                return task({ report: v => progressReports.push(v) }, token);
            }
        },
        workspace: {
            isTrusted: options.trusted ?? true,
            textDocuments: documents,
            async openTextDocument(uri: FakeUri) {
                const doc = new FakeDocument(uri, fs.readFileSync(uri.fsPath, 'utf8'));
                documents.push(doc);
                return doc;
            },
            getConfiguration(section: string) {
                return {
                    get: <T>(key: string, fallback: T): T => (settings[`${section}.${key}`] as T) ?? fallback,
                    async update(key: string, value: unknown, target: number) { settings[`${section}.${key}`] = value; settingUpdates.push({ key: `${section}.${key}`, value, target }); }
                };
            },
            getWorkspaceFolder() {
                return options.workspaceFolder ? { uri: FakeUri.file(options.workspaceFolder) } : undefined;
            },
            onDidChangeTextDocument: changed.event,
            fs: {
                async writeFile(uri: FakeUri, content: Uint8Array) {
                    fs.mkdirSync(path.dirname(uri.fsPath), { recursive: true });
                    fs.writeFileSync(uri.fsPath, content);
                }
            }
        }
    };
    return {
        api, shown, panels, commands, documents, progressReports, clipboard, settingUpdates, errorChoice, openDialogs, openDialogAnswers,
        cancelProgress: () => cancelProgress?.(),
        fireChange(document: FakeDocument) { changed.fire({ document }); },
        /** The cursor moves to `position` in `document`'s editor. */
        moveCursor(document: FakeDocument, position: { line: number; character: number }) { selectionChanged.fire({ textEditor: { document }, selections: [{ active: position }] }); }
    };
}

export function fakeOutput() {
    const lines: string[] = [];
    let partial = '';
    return {
        lines,
        get text() { return lines.join('\n') + partial; },
        appendLine(line: string) { lines.push(partial + line); partial = ''; },
        append(text: string) { partial += text; },
        show() {}, clear() { lines.length = 0; }, dispose() {}, hide() {}, replace() {}, name: 'Cajal'
    };
}

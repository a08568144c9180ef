// The workspace's first build checks the files open in the editor first (lsp/workspace-manager.ts):
// the real server over stdio, a real client, real temporary folders.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { loadFiles } from '@cajal/language';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import { fileUri, startServer, type ServerSession } from './lsp-client.js';

/** `definitions` gates named `<prefix>g<i>`, each calling the one before (as bench/server.bench.mjs's generateProgram). */
function gates(prefix: string, definitions: number): string {
    const lines = [`def ${prefix}g0 (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false`];
    for (let i = 1; i < definitions; i++) {
        lines.push(`def ${prefix}g${i} (x : Bool) (y : Bool) : Bool =\n  if x then ${prefix}g${i - 1} y true\n  else if y then false else false`);
    }
    return lines.join('\n') + '\n';
}

/** What a diagnostic says and where, without what the LSP's JSON and Langium's objects differ in. */
function summary(diagnostics: Diagnostic[]): string[] {
    return diagnostics.map(d => `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${d.severity} ${String(d.code)} ${d.message}`).sort();
}

describe('a workspace folder with a file open at start', () => {
    let folder: string;
    let server: ServerSession | undefined;
    afterEach(async () => {
        await server?.close();
        server = undefined;
        fs.rmSync(folder, { recursive: true, force: true });
    });

    /** 12 modules (one with an error), `base` (with an error, headed `module base`, in lib.cajal), `middle` importing it, and main. */
    function writeFolder(main: string): string[] {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-lsp-workspace-start-'));
        const files: string[] = [];
        const write = (name: string, text: string): void => {
            fs.writeFileSync(path.join(folder, name), text);
            files.push(path.join(folder, name));
        };
        for (let k = 0; k < 12; k++) write(`m${k}.cajal`, gates(`m${k}`, 60) + (k === 7 ? 'def m7g0 : Bool = true\n' : ''));
        write('lib.cajal', 'module base\n\ndef xor (a : Bool) (b : Bool) : Bool = if a then (if b then false else true) else b\ndef broken : Bool = xor true\n');
        write('middle.cajal', 'import base\n\ndef both (a : Bool) (b : Bool) : Bool = xor a b\n');
        write('main.cajal', main);
        return files;
    }

    /** Waits until every file has diagnostics, then for one request (answered after the workspace's builds). */
    async function allPublished(session: ServerSession, files: string[]): Promise<void> {
        await Promise.all(files.map(file => session.nextDiagnostics(fileUri(file), 0)));
        await session.request('textDocument/documentSymbol', { textDocument: { uri: fileUri(files[0]) } });
    }

    /**
     * Writes the folder (main.cajal with `diskText`), starts the server on it with main open
     * in the editor (`editorText`, by default the disk's) and waits until every file has
     * diagnostics: main's URI, its first diagnostics and the folder's files.
     */
    async function startWithMainOpen(diskText: string, editorText = diskText): Promise<{ session: ServerSession; mainUri: string; opened: Diagnostic[]; files: string[] }> {
        const files = writeFolder(diskText);
        const mainUri = fileUri(path.join(folder, 'main.cajal'));
        const session = server = await startServer({ workspaceFolder: folder });
        const opened = session.open(mainUri, editorText);
        await allPublished(session, files);
        return { session, mainUri, opened: await opened, files };
    }

    test("the opened file and what it imports are checked first, once, with the folder's final diagnostics", async () => {
        const { session, mainUri, opened, files } = await startWithMainOpen('import middle\n\ndef main : Bool = both true\n');
        expect(summary(opened)).toEqual(summary((await loadFiles([path.join(folder, 'main.cajal')])).requested[0].diagnostics ?? []));
        const order = session.published.map(p => path.basename(new URL(p.uri).pathname));
        // main first, then the modules it imports (middle, and base in lib.cajal), then the rest.
        expect(order.slice(0, 3).sort()).toEqual(['lib.cajal', 'main.cajal', 'middle.cajal']);
        expect(order[0]).toBe('main.cajal');
        // Checked once: the didOpen finds it checked with the same text and sends the same diagnostics again.
        const mains = session.published.filter(p => p.uri === mainUri);
        expect(mains).toHaveLength(2);
        expect(mains[1]).toEqual(mains[0]);
        expect(order.indexOf('main.cajal', 1)).toBeGreaterThan(order.indexOf('m11.cajal'));
        // Every file's diagnostics are those of the CLI's check of the whole folder (which builds all files together).
        const checked = await loadFiles(files);
        for (const document of checked.documents) {
            const last = session.published.findLast(p => p.uri === document.uri.toString());
            expect(summary(last!.diagnostics), document.uri.path).toEqual(summary(document.diagnostics ?? []));
        }
        expect(summary(checked.documents.find(d => d.uri.path.endsWith('lib.cajal'))!.diagnostics ?? [])).not.toEqual([]);
        expect(summary(checked.documents.find(d => d.uri.path.endsWith('m7.cajal'))!.diagnostics ?? [])).not.toEqual([]);
    });

    test("a file open with unsaved text is checked with the editor's text, its imports followed from that text", async () => {
        // On disk main imports nothing and calls an unknown name; in the editor it imports middle and is correct.
        const { session, opened } = await startWithMainOpen('def main : Bool = both true true\n', 'import middle\n\ndef main : Bool = both true true\n');
        expect(opened).toEqual([]);
        const order = session.published.map(p => path.basename(new URL(p.uri).pathname));
        expect(order.filter(name => name === 'main.cajal')).toHaveLength(2);
        expect(order.slice(0, 3).sort()).toEqual(['lib.cajal', 'main.cajal', 'middle.cajal']);
        // The disk's text has an error, so the empty list is the editor's text's.
        const disk = await loadFiles([path.join(folder, 'main.cajal')]);
        expect(disk.requested[0].diagnostics ?? []).not.toEqual([]);
    });

    test('a file opened after the start is checked again only when its text differs from the checked one', async () => {
        const MAIN = 'import middle\n\ndef main : Bool = both true false\n';
        const files = writeFolder(MAIN);
        server = await startServer({ workspaceFolder: folder });
        await allPublished(server, files);
        const before = server.published.length;
        const m3 = fileUri(path.join(folder, 'm3.cajal'));
        await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: m3, languageId: 'cajal', version: 1, text: fs.readFileSync(path.join(folder, 'm3.cajal'), 'utf-8') } });
        // Then main, with text that differs from the disk's: its update comes after m3's.
        const changed = await server.open(fileUri(path.join(folder, 'main.cajal')), 'import middle\n\ndef main : Bool = both true\n');
        expect(changed.map(d => d.severity)).toContain(1);
        // m3 is not checked again (a check would re-link and re-check m4, which imports it): its
        // diagnostics are sent again, unchanged, and nothing else but main is published.
        const since = server.published.slice(before);
        expect(since.map(p => path.basename(new URL(p.uri).pathname))).toEqual(['m3.cajal', 'main.cajal']);
        expect(since[0].diagnostics).toEqual([]);
    });

    test('a settings change still re-checks a file open since the start, though its text is the same', async () => {
        const { session, mainUri, opened } = await startWithMainOpen('def id (x : Nat[1000000]) : Nat[1000000] = x\n');
        expect(opened.map(d => d.code)).toEqual(['size/too-large']);
        const since = session.published.length;
        await session.connection.sendNotification('workspace/didChangeConfiguration', { settings: { cajal: { maxTensor: 10 ** 12 } } });
        expect(await session.nextDiagnostics(mainUri, since)).toEqual([]);
    });
});

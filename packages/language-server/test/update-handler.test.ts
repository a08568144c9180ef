/**
 * The debounce before re-checking an edited document (lsp/update-handler.ts) ends early when
 * the build is cancelled by a newer edit and when a request waits for the result. The
 * debounce's timer is faked and never fires, so each test passes only if the wait ends by
 * those two routes (without them it hangs and times out).
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { DocumentState, URI, type FileSystemProvider, type LangiumDocument } from 'langium';
import { ast } from '@cajal/language';
import { createCajalServices } from '@cajal/language-server';

const files = new Map<string, string>();
const fileSystemProvider = {
    readFile: async (uri: URI) => files.get(uri.toString()) ?? '', readFileSync: (uri: URI) => files.get(uri.toString()) ?? '',
    stat: async (uri: URI) => ({ uri, isFile: true, isDirectory: false }), statSync: (uri: URI) => ({ uri, isFile: true, isDirectory: false }),
    exists: async (uri: URI) => files.has(uri.toString()), existsSync: (uri: URI) => files.has(uri.toString()),
    readBinary: async () => new Uint8Array(), readBinarySync: () => new Uint8Array(), readDirectory: async () => [], readDirectorySync: () => []
} as unknown as FileSystemProvider;

let counter = 0;

async function openDocument() {
    const { shared } = createCajalServices({ fileSystemProvider: () => fileSystemProvider });
    const uri = URI.parse(`file:///debounce/${++counter}.cajal`);
    files.set(uri.toString(), 'def a : Bool = true\n');
    const document = await shared.workspace.LangiumDocuments.getOrCreateDocument(uri) as LangiumDocument<ast.Module>;
    await shared.workspace.DocumentBuilder.build([document], { validation: true });
    /** An edit as the server makes it: an update through the workspace lock, which cancels the previous one. */
    const edit = (text: string): void => {
        files.set(uri.toString(), text);
        void shared.workspace.WorkspaceLock.write(token => shared.workspace.DocumentBuilder.update([uri], [], token));
    };
    const names = () => (shared.workspace.LangiumDocuments.getDocument(uri) as LangiumDocument<ast.Module>).parseResult.value.declarations.map(d => d.name);
    return { shared, uri, edit, names };
}

const ticks = async (count: number) => { for (let i = 0; i < count; i++) await new Promise(resolve => setImmediate(resolve)); };

beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); });
afterEach(() => { vi.useRealTimers(); });

describe('the debounce before a re-check', () => {
    test('a request waiting for the edited document is answered without waiting out the debounce', async () => {
        const { shared, uri, edit, names } = await openDocument();
        edit('def a : Bool = true\ndef b : Bool = a\n');
        await ticks(5); // the build is now in its debounce, whose timer never fires
        expect(await shared.workspace.DocumentBuilder.waitUntil(DocumentState.Linked, uri)).toEqual(uri);
        expect(names()).toEqual(['a', 'b']);
    });

    test('a newer edit ends the debounce of the build it cancels, so that its own build starts', async () => {
        const { shared, uri, edit, names } = await openDocument();
        let updates = 0;
        shared.workspace.DocumentBuilder.onUpdate(() => { updates++; });
        edit('def a : Bool = true\ndef b : Bool = a\n');
        await ticks(5);
        expect(updates).toBe(1); // the first edit's build waits in its debounce
        edit('def a : Bool = true\ndef c : Bool = a\n');
        await ticks(10);
        expect(updates).toBe(2); // the second edit's update ran: the first build gave up the lock
        await shared.workspace.DocumentBuilder.waitUntil(DocumentState.Validated, uri);
        expect(names()).toEqual(['a', 'c']);
    });

    test('a document new to the workspace (opened in the editor) is checked without a debounce', async () => {
        const { shared } = createCajalServices({ fileSystemProvider: () => fileSystemProvider });
        const uri = URI.parse(`file:///debounce/${++counter}.cajal`);
        files.set(uri.toString(), 'def a : Bool = true\n');
        // As the server's didOpen does; the debounce's timer never fires, so a debounced build would never end.
        await shared.workspace.WorkspaceLock.write(token => shared.workspace.DocumentBuilder.update([uri], [], token));
        const document = shared.workspace.LangiumDocuments.getDocument(uri) as LangiumDocument<ast.Module>;
        expect(document.state).toBe(DocumentState.Validated);
        expect(document.parseResult.value.declarations.map(d => d.name)).toEqual(['a']);
    });
});

// The files a train block reads, shown in the editor before it runs (issue 17): hover on the
// data option and on the block names each file's absolute path, size, and whether it is a
// regular file; a document link opens it; a file outside the workspace folder is a located
// warning (data/outside-workspace) and a missing or non-regular one an error (data/unreadable).
// Over stdio with the real server, on real files.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Diagnostic, DocumentLink, Hover } from 'vscode-languageserver-protocol';
import { fileUri, positionOf, startServer, type ServerSession } from './lsp-client.js';
import { repositoryRoot } from '../../../test/example-files.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-data-files-'));
const workspace = path.join(root, 'ws');
const outside = path.join(root, 'outside.jsonl');
const inside = path.join(workspace, 'data', 'points.jsonl');
const fifo = path.join(workspace, 'pipe.csv');
const program = path.join(workspace, 'src', 'train.cajal');
const text = [
    'extern net : Real[2] -o Bool = mlp(8)',
    '',
    'train near { data "../data/points.jsonl" (x : Real[2], y : Bool); model net x; target y; }',
    '',
    'train far { data "../../outside.jsonl" (x : Real[2], y : Bool); model net x; target y; }',
    '',
    `train absent { data "${path.join(workspace, 'absent.csv')}" (x : Real[2], y : Bool); model net x; target y; }`,
    '',
    'train pipe { data "../pipe.csv" (x : Real[2], y : Bool); model net x; target y; }',
    ''
].join('\n');
let server: ServerSession;
let diagnostics: Diagnostic[];

beforeAll(async () => {
    fs.mkdirSync(path.join(workspace, 'data'), { recursive: true });
    fs.mkdirSync(path.join(workspace, 'src'));
    fs.writeFileSync(inside, '{"x": [0, 1], "y": true}\n'.repeat(100)); // 2,500 bytes
    fs.writeFileSync(outside, '{"x": [1, 0], "y": false}\n');
    execFileSync('mkfifo', [fifo]);
    fs.writeFileSync(program, text);
    server = await startServer({ workspaceFolder: workspace });
    diagnostics = await server.open(fileUri(program), text);
}, 30_000);
afterAll(async () => {
    await server?.close();
    fs.rmSync(root, { recursive: true, force: true });
});

async function hover(needle: string, delta: number): Promise<string> {
    const result = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri: fileUri(program) }, position: positionOf(text, needle, delta) });
    return result ? (result.contents as { value: string }).value : '';
}

describe("a train block's data files in the editor", () => {
    test('diagnostics: outside the workspace a warning, missing or not a regular file an error, each at its path', () => {
        const line = (needle: string) => text.split('\n').findIndex(l => l.includes(needle));
        expect(diagnostics.map(d => [d.code, d.severity, d.range.start.line, d.range.start.character])).toEqual([
            ['data/outside-workspace', 2, line('train far'), 'train far { data '.length],
            ['data/unreadable', 1, line('train absent'), 'train absent { data '.length],
            ['data/unreadable', 1, line('train pipe'), 'train pipe { data '.length]
        ]);
        expect(diagnostics[0].message).toBe(`The data file '../../outside.jsonl' is outside the workspace folder: training reads ${outside}.`);
        expect(diagnostics[1].message).toBe(`The data file '${path.join(workspace, 'absent.csv')}' does not exist: training would stop here.`);
        expect(diagnostics[2].message).toBe(`The data file '../pipe.csv' (${fifo}) is a FIFO (named pipe), not a regular file: training would stop here.`);
    });

    test('hover on the path and on the block: the absolute path, its size or why it cannot be read', async () => {
        expect(await hover('"../data/points.jsonl"', 3)).toBe(`Reads the file:\n\n- \`${inside}\`: regular file, 2.5 KB`);
        expect(await hover('"../pipe.csv"', 3)).toBe(`Reads the file:\n\n- \`${fifo}\`: **is a FIFO (named pipe), not a regular file**`);
        const block = await hover('train absent', 7);
        expect(block).toContain('train absent');
        expect(block).toContain(`- \`${path.join(workspace, 'absent.csv')}\`: **does not exist**`);
    });

    test('document links on the paths of files that exist, to their absolute paths', async () => {
        const links = await server.request<DocumentLink[] | null>('textDocument/documentLink', { textDocument: { uri: fileUri(program) } });
        const start = positionOf(text, '../data/points.jsonl');
        expect(links?.map(link => [link.target, link.range.start, link.range.end.character - link.range.start.character])).toEqual([
            [fileUri(inside), start, '../data/points.jsonl'.length],
            [fileUri(outside), positionOf(text, '../../outside.jsonl'), '../../outside.jsonl'.length]
        ]);
    });
});

test('examples/errors/data-outside-workspace.cajal gives its warning with that folder open', async () => {
    const folder = path.join(repositoryRoot, 'examples', 'errors');
    const example = path.join(folder, 'data-outside-workspace.cajal');
    const exampleText = fs.readFileSync(example, 'utf-8');
    const other = await startServer({ workspaceFolder: folder });
    try {
        const found = await other.open(fileUri(example), exampleText);
        expect(found.map(d => [d.code, d.severity, d.range.start.line])).toEqual([['data/outside-workspace', 2, 4]]);
        expect(found[0].message).toContain(`training reads ${path.join(repositoryRoot, 'test', 'vscode-e2e', 'fixtures', 'points.jsonl')}.`);
    } finally {
        await other.close();
    }
}, 30_000);

// The server reads only regular .cajal files up to the source size cap (issue 17): a huge
// file in a workspace folder is skipped with a logged reason, a FIFO is never opened, and
// the rest of the workspace is checked as usual.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { fileUri, startServer, type ServerSession } from './lsp-client.js';

let server: ServerSession | undefined;
afterAll(async () => { await server?.close(); });

test('a workspace with a 9 MB file, a FIFO and a directory named *.cajal: skipped, the rest checked', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-files-'));
    fs.writeFileSync(path.join(folder, 'huge.cajal'), `def huge : Bool = true -- ${'x'.repeat(9_000_000)}\n`);
    execFileSync('mkfifo', [path.join(folder, 'pipe.cajal')]);
    fs.mkdirSync(path.join(folder, 'folder.cajal'));
    fs.writeFileSync(path.join(folder, 'gates.cajal'), 'def not (x : Bool) : Bool = if x then false else true\n');
    const mainText = 'import gates\nimport huge\ndef main : Bool = not true\n';
    fs.writeFileSync(path.join(folder, 'main.cajal'), mainText);
    const started = Date.now();
    server = await startServer({ workspaceFolder: folder });
    const diagnostics = await server.open(fileUri(path.join(folder, 'main.cajal')), mainText);
    expect(Date.now() - started).toBeLessThan(15_000);
    // `gates` resolves; `huge` was not read, so it is not found.
    expect(diagnostics.map(d => [d.code, d.range.start.line, (d.message as string).slice(0, 28)])).toEqual([['name/unknown', 1, "Cannot find module 'huge': e"]]);
    expect(server.stderr()).toContain(`Not reading ${path.join(folder, 'huge.cajal')}: it is 9 MB, above the limit of 8 MB for source files.`);
}, 30_000);

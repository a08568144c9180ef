// A real editor: Debian's Neovim (0.7, built-in LSP client) runs headless, starts
// `cajal-language-server --stdio`, opens a file with a linearity error and reports the
// diagnostics and a hover it received. Neovim is installed here if missing (apt-get).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { serverBin } from '../executables.js';

function ensureNeovim(): string {
    const found = spawnSync('sh', ['-c', 'command -v nvim'], { encoding: 'utf-8' }).stdout.trim();
    if (found) return found;
    const install = (): boolean => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'neovim'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
    if (!install()) {
        execFileSync('apt-get', ['update'], { stdio: 'ignore' });
        if (!install()) throw new Error('Could not install neovim with apt-get (needed for the Neovim LSP test).');
    }
    return spawnSync('sh', ['-c', 'command -v nvim'], { encoding: 'utf-8' }).stdout.trim();
}

const LUA = `
local out_file = os.getenv('CAJAL_NVIM_OUT')
local server = os.getenv('CAJAL_SERVER_BIN')
local bufnr = vim.api.nvim_get_current_buf()
vim.bo[bufnr].filetype = 'cajal'
local client_id = vim.lsp.start_client({
  name = 'cajal',
  cmd = { 'node', server, '--stdio' },
  root_dir = vim.fn.getcwd(),
})
vim.lsp.buf_attach_client(bufnr, client_id)
local ok = vim.wait(30000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
local result = { waited = ok, diagnostics = {} }
for _, d in ipairs(vim.diagnostic.get(bufnr)) do
  table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, end_col = d.end_col, severity = d.severity, message = d.message, code = d.user_data and d.user_data.lsp and d.user_data.lsp.code or vim.NIL })
end
local hover = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  position = { line = 0, character = 5 },
}, 10000)
for _, response in pairs(hover or {}) do
  if response.result then result.hover = response.result.contents.value end
end
local f = io.open(out_file, 'w')
f:write(vim.fn.json_encode(result))
f:close()
vim.lsp.stop_client(client_id)
vim.cmd('qa!')
`;

let nvim: string;
beforeAll(() => { nvim = ensureNeovim(); }, 600_000);

test('Neovim receives the linearity diagnostics and a hover from the server', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-nvim-'));
    try {
        const file = path.join(folder, 'bad.cajal');
        const source = 'def pick (x : Bool) (y : Bool) : Bool = if x then y else false\n';
        fs.writeFileSync(file, source);
        const config = path.join(folder, 'check.lua');
        fs.writeFileSync(config, LUA);
        const out = path.join(folder, 'out.json');
        const run = spawnSync(nvim, ['--headless', '--clean', '-c', `luafile ${config}`, file], {
            cwd: folder, encoding: 'utf-8', timeout: 60_000,
            env: { ...process.env, CAJAL_NVIM_OUT: out, CAJAL_SERVER_BIN: serverBin }
        });
        expect(fs.existsSync(out), `nvim wrote no result (status ${run.status}): ${run.stderr}`).toBe(true);
        const result = JSON.parse(fs.readFileSync(out, 'utf-8'));
        expect(result.waited).toBe(true);
        expect(result.diagnostics).toHaveLength(1);
        const [diagnostic] = result.diagnostics;
        expect(diagnostic.code).toBe('linearity/branch-mismatch');
        expect(diagnostic.severity).toBe(1); // vim.diagnostic.severity.ERROR
        expect(diagnostic.message).toContain("'y' is used only in the then-branch");
        expect([diagnostic.lnum, diagnostic.col, diagnostic.end_col]).toEqual([0, source.indexOf('if'), source.indexOf('if') + 2]);
        expect(result.hover).toContain('pick : Bool -o Bool -o Bool');
    } finally {
        fs.rmSync(folder, { recursive: true, force: true });
    }
}, 120_000);

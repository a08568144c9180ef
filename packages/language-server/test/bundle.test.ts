// The bundled server (packages/language-server/esbuild.mjs → dist/): it holds no tfjs and no
// training code, it serves diagnostics like the compiled server, and its loader writes one V8
// code cache per thread on the first run and uses them (V8 accepts them) on later runs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { startServer } from './lsp-client.js';
import { repositoryRoot } from '../../../test/example-files.js';
import { expectOneCopyOfEachLspLibrary } from '../../../test/bundle-contents.js';

const dist = path.join(repositoryRoot, 'packages', 'language-server', 'dist');

describe('the bundled language server', () => {
    test('is built and bundles nothing of tfjs, the runtime or training', () => {
        const bundle = fs.readFileSync(path.join(dist, 'server-bundle.cjs'), 'utf-8');
        // esbuild marks each bundled file with a `// path` comment, and leaves what it does not bundle as require("…").
        expect(bundle).toContain('// node_modules/langium/lib/');
        // (The compiler's generated TypeScript names @cajal/runtime in its text: a string, not an import.)
        expect(bundle).not.toMatch(/^\/\/ (node_modules\/@tensorflow|packages\/(runtime|train))\/|require\("@(tensorflow\/|cajal\/(runtime|train))/m);
    });

    test('holds one copy of each LSP library, the one vscode-languageserver uses (esbuild-plugins.mjs, oneLspProtocol)', () => {
        const bundle = fs.readFileSync(path.join(dist, 'server-bundle.cjs'), 'utf-8');
        expectOneCopyOfEachLspLibrary(bundle);
        expect(bundle).toContain('// node_modules/langium/lib/utils/cancellation.js');
        // One ES namespace per CommonJS module, not one per importer (esbuild-plugins.mjs, shareCommonJsNamespaces).
        expect(bundle).toContain('var __toESMNamespaces = [new WeakMap(), new WeakMap()];');
        // The transports' Node modules are required on first use only (esbuild-plugins.mjs, lazyTransportModules).
        const transportRequires = [...bundle.matchAll(/^.*require\("(?:node:)?(?:crypto|net|child_process)"\).*$/gm)].map(match => match[0].trim());
        expect(transportRequires).toHaveLength(3);
        for (const line of transportRequires) expect(line).toMatch(/^var load = \(\) => loaded \?\?= require/);
    });

    test('gives the first diagnostics; the first run writes a code cache per thread, later runs use them', async () => {
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-server-bundle-'));
        try {
            // Both CommonJS, the entry too (its worker starts without Node's ES module loader): no package.json needed.
            for (const file of ['main.cjs', 'server-bundle.cjs']) fs.copyFileSync(path.join(dist, file), path.join(directory, file));
            const caches = ['server-bundle.cjs.main.v8-cache', 'server-bundle.cjs.v8-cache'].map(file => path.join(directory, file));
            let stderr = '';
            const session = async (env: Record<string, string> = {}) => {
                const server = await startServer({ script: path.join(directory, 'main.cjs'), env });
                try {
                    return (await server.open('file:///virtual/bundle.cajal', 'def f (x : Bool) : Bool = y\n')).map(d => `${d.code} ${d.range.start.line}:${d.range.start.character}`);
                } finally {
                    await server.close();
                    stderr = server.stderr();
                }
            };
            const first = await session();
            expect(first).toContain('name/unknown 0:26');
            for (const cache of caches) expect(fs.statSync(cache).size).toBeGreaterThan(100_000);
            const written = caches.map(cache => fs.statSync(cache).mtimeMs);
            expect(await session({ CAJAL_LSP_TIMELINE: '1' })).toEqual(first);
            expect(caches.map(cache => fs.statSync(cache).mtimeMs)).toEqual(written);
            // The start timeline (docs/editors.md, "Start-up"): the checker's thread starts before the relay loads the bundle.
            const steps = [...stderr.matchAll(/^cajal-language-server: timeline \+[\d.]+ (relay|checker) (.+?)(?: \(thread CPU [\d.]+ ms\))?$/gm)].map(match => `${match[1]} ${match[2]}`);
            const relaySteps = steps.filter(step => step.startsWith('relay ')).slice(0, 4);
            expect(relaySteps).toEqual(['relay node started', 'relay checker thread started', 'relay bundle loaded', 'relay listening']);
            expect(steps).toContain('checker built: Validated');
            // Each step with the CPU time its thread has used, where Node can say (22.19 and later).
            if ('threadCpuUsage' in process) expect(stderr).toMatch(/^cajal-language-server: timeline \+[\d.]+ checker didOpen \(thread CPU [\d.]+ ms\)$/m);
            expect(steps).toContain('relay sent textDocument/publishDiagnostics');
        } finally {
            fs.rmSync(directory, { recursive: true, force: true });
        }
    });
});

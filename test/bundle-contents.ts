import { expect } from 'vitest';

/** The LSP libraries Langium and vscode-languageserver both bring (packages/language-server/esbuild-plugins.mjs, oneLspProtocol). */
const LSP_LIBRARIES = ['vscode-languageserver-protocol', 'vscode-jsonrpc', 'vscode-languageserver-types'];

/**
 * Expects an unminified esbuild bundle's text to hold one copy of each LSP library: esbuild
 * heads each bundled file with a `// <path>` comment, so the package folders the library's
 * files came from are its copies (one, whichever npm installed).
 */
export function expectOneCopyOfEachLspLibrary(bundle: string): void {
    for (const library of LSP_LIBRARIES) {
        const copies = new Set([...bundle.matchAll(new RegExp(`^// (\\S*node_modules/${library})/`, 'gm'))].map(match => match[1]));
        expect([...copies], library).toHaveLength(1);
    }
}

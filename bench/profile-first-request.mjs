/**
 * The first semantic-tokens and document-symbols requests on a freshly opened file, in
 * process through the language server's providers (no transport): CPU time of each, for
 * profiling what the first request computes that a repeat request has cached
 * (docs/editors.md § Performance):
 *
 *   node --expose-gc bench/profile-first-request.mjs [--definitions=4000] [--profile=first.cpuprofile]
 *
 * Prints the first requests' CPU time on the file, then on a second copy of it (the
 * providers' code compiled by then), then repeat requests on the first (served from the
 * providers' caches). `--profile` writes a CPU profile of the requests only. Uses the built packages (out/).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { EmptyFileSystem, URI } from 'langium';
import { createCajalServices } from '@cajal/language-server';
import { generateProgram } from './server.bench.mjs';

const option = (name, fallback) => process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const definitions = Number(option('definitions', 4000));
const profile = option('profile', undefined);

const { shared, Cajal } = createCajalServices(EmptyFileSystem);
const text = generateProgram(definitions);
// Two copies of the file: the first requests on the second show the cost once the providers' code is compiled.
const [document, other] = ['generated', 'copy'].map(name => {
    const opened = shared.workspace.LangiumDocumentFactory.fromString(text, URI.parse(`file:///bench/${name}.cajal`));
    shared.workspace.LangiumDocuments.addDocument(opened);
    return opened;
});
await shared.workspace.DocumentBuilder.build([document, other], { validation: true });
if (document.diagnostics.length > 0) throw new Error(`the generated file has diagnostics: ${document.diagnostics[0].message}`);

// Under --expose-gc, the garbage of the build collected first: otherwise a major collection
// lands in whichever request comes next.
globalThis.gc?.();
const session = new Session();
if (profile) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
}
const textDocument = { uri: document.uri.toString() };
const cpuMs = async action => {
    const before = process.cpuUsage();
    const result = await action();
    const used = process.cpuUsage(before);
    return { ms: (used.user + used.system) / 1000, result };
};
const tokens = await cpuMs(() => Cajal.lsp.SemanticTokenProvider.semanticHighlight(document, { textDocument }));
const symbols = await cpuMs(() => Cajal.lsp.DocumentSymbolProvider.getSymbols(document, { textDocument }));
const otherDocument = { uri: other.uri.toString() };
const otherTokens = await cpuMs(() => Cajal.lsp.SemanticTokenProvider.semanticHighlight(other, { textDocument: otherDocument }));
const otherSymbols = await cpuMs(() => Cajal.lsp.DocumentSymbolProvider.getSymbols(other, { textDocument: otherDocument }));
const tokensAgain = await cpuMs(() => Cajal.lsp.SemanticTokenProvider.semanticHighlight(document, { textDocument }));
const symbolsAgain = await cpuMs(() => Cajal.lsp.DocumentSymbolProvider.getSymbols(document, { textDocument }));
if (profile) {
    const { profile: result } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(result));
}
console.log(JSON.stringify({
    lines: text.split('\n').length,
    firstTokensMs: Math.round(tokens.ms), firstSymbolsMs: Math.round(symbols.ms),
    secondFileTokensMs: Math.round(otherTokens.ms), secondFileSymbolsMs: Math.round(otherSymbols.ms),
    repeatTokensMs: Math.round(tokensAgain.ms), repeatSymbolsMs: Math.round(symbolsAgain.ms),
    tokenNumbers: tokens.result.data.length, symbols: symbols.result.length
}));

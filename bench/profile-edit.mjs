/**
 * One-token edits of the server benchmark's generated file, driven in process through the
 * language services (no server, no debounce): how long an edit's re-check takes, and what it
 * re-did. For profiling incremental checking (docs/architecture.md § Incremental checking):
 *
 *   node bench/profile-edit.mjs [--definitions=4000] [--edits=20] [--profile=edit.cpuprofile]
 *
 * `--profile` writes a CPU profile of the edits only (not the first check), for Chrome's
 * DevTools or any .cpuprofile viewer. Uses the built packages (out/).
 * Also printed: the first edit's CPU time (what a session's first keystroke pays, e.g. for
 * making a parser) and whether Langium's parser was ever made (`CajalParser.langiumMade`):
 * the file is well formed, so every re-parse should take the fast path (fast-parser.ts).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { URI } from 'langium';
import { createCajalCoreServices } from '@cajal/language';
import { generateProgram } from './server.bench.mjs';
import { median } from './timing.mjs';

const option = (name, fallback) => process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const definitions = Number(option('definitions', 4000));
const edits = Number(option('edits', 20));
const profile = option('profile', undefined);

const files = new Map();
const fileSystemProvider = {
    readFile: async uri => files.get(uri.toString()) ?? '', readFileSync: uri => files.get(uri.toString()) ?? '',
    stat: async uri => ({ uri, isFile: true, isDirectory: false }), statSync: uri => ({ uri, isFile: true, isDirectory: false }),
    exists: async uri => files.has(uri.toString()), existsSync: uri => files.has(uri.toString()),
    readBinary: async () => new Uint8Array(), readBinarySync: () => new Uint8Array(), readDirectory: async () => [], readDirectorySync: () => []
};
const { shared, Cajal } = createCajalCoreServices({ fileSystemProvider: () => fileSystemProvider });
let text = generateProgram(definitions);
const uri = URI.parse('file:///bench/generated.cajal');
files.set(uri.toString(), text);
const openedAt = performance.now();
const document = await shared.workspace.LangiumDocuments.getOrCreateDocument(uri);
await shared.workspace.DocumentBuilder.build([document], { validation: true });
console.log(`open + check ${text.split('\n').length} lines: ${Math.round(performance.now() - openedAt)} ms, ${document.diagnostics.length} diagnostics`);

await new Promise(resolve => setTimeout(resolve, 1000));
const session = new Session();
if (profile) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
}
// As the server benchmark: `true` ↔ `false` in the middle definition.
const original = `if x then g${definitions / 2 - 1} y true`;
const changed = original.replace('true', 'false');
const times = [];
const cpuTimes = [];
const validated = [];
const checked = Cajal.typing.TypeChecker.checkedDeclarations;
for (let i = 0; i < edits; i++) {
    text = i % 2 === 0 ? text.replace(original, changed) : text.replace(changed, original);
    files.set(uri.toString(), text);
    const startedAt = performance.now();
    const cpuBefore = process.cpuUsage();
    await shared.workspace.DocumentBuilder.update([uri], []);
    times.push(performance.now() - startedAt);
    // CPU time too: on a shared machine, wall time includes waiting for a core.
    const cpu = process.cpuUsage(cpuBefore);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
    validated.push(Cajal.validation.DocumentValidator.lastValidatedDeclarations);
    // A pause, as between keystrokes (and as the server benchmark waits): the collector runs then.
    await new Promise(resolve => setTimeout(resolve, 50));
}
if (profile) {
    const { profile: recorded } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(recorded));
}
console.log(`edit → re-checked: median ${median(times).toFixed(1)} ms wall, ${median(cpuTimes).toFixed(1)} ms CPU over ${edits} edits (min ${Math.min(...times).toFixed(1)} ms wall; `
    + `first edit ${cpuTimes[0].toFixed(1)} ms CPU; Langium's parser made: ${Cajal.parser.LangiumParser.langiumMade ? 'yes' : 'no'}); `
    + `declarations type-checked ${Cajal.typing.TypeChecker.checkedDeclarations - checked}, validated per edit ${median(validated)}; `
    + `parses ${JSON.stringify(shared.workspace.LangiumDocumentFactory.parseCounts)}; RSS ${Math.round(process.memoryUsage().rss / 1048576)} MB`);

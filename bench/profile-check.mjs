/**
 * Where the first check of a file goes, in a fresh process: the server benchmark's generated
 * file (5,000 lines by default) checked once through the language services, as the server's
 * checker thread and `cajal check` do, split into phases:
 *
 *   node bench/profile-check.mjs [--definitions=1000] [--runs=5] [--parse-only] [--untuned] [--allocations] [--profile=check.cpuprofile] [--node-flags="--v8-flag …"]
 *
 * Each run is a new Node process (the first check is what start-up pays: nothing compiled,
 * nothing optimised yet), with V8 set up as the server's and the CLI's checker threads are
 * (@cajal/language/checker-start), or as Node starts with `--untuned`. Phases, in order: loading the language package; creating the
 * services and the parser service (the grammar, the token types, the fast parser's tables — Chevrotain's
 * lexer and Langium's parser are made only for text with an error: cajal-lexer.ts, fast-parser.ts); lexing the file alone with the
 * lexer the check uses, the fast path's (`CajalParser.lexWellFormed`, a first, cold lex); parsing it
 * (lexing again, and the tree); then the
 * document build's phases (indexing, scopes, linking, validation), validation split into
 * the declaration checks it runs (type checking, linearity, tensor sizes, extern uses). Each
 * phase is given in CPU time of the process (all threads: V8 compiles optimised code and
 * collects garbage on helper threads; how much of it ran on those threads is shown) and the
 * checks in wall time (they call each other); `gc` is the collector's pauses during the check. The medians of `--runs` processes are printed.
 * `--parse-only` stops after parsing: the floor of any first check with this parser.
 * `--allocations` also prints how many MB the checks after parsing (the document build:
 * indexing, scopes, linking, validation) allocate, garbage included, as V8's sampling heap
 * profiler estimates it (a sample every 4 KB, including the objects the collector freed):
 * the load on the collector, and a figure the machine's load does not blur. Sampling slows
 * those phases, so their times are not comparable with a run without it.
 * `--profile` writes a CPU profile of one run (from service creation to the end);
 * `--node-flags` are given to each process (e.g. V8's, to try them).
 * Uses the built packages (out/).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median } from './timing.mjs';

const option = (name, fallback) => process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const definitions = Number(option('definitions', 1000));
const parseOnly = process.argv.includes('--parse-only');
const profile = option('profile', undefined);
const allocations = process.argv.includes('--allocations');

/** CPU ms of this process's other threads (V8's compiler and collector helpers), from /proc; undefined elsewhere. */
function otherThreadsCpu() {
    try {
        let ms = 0;
        for (const task of readdirSync('/proc/self/task')) {
            if (Number(task) === process.pid) continue;
            const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf-8');
            const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            ms += (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 1/100 s
        }
        return ms;
    } catch {
        return undefined;
    }
}

/** One fresh check, run in this process when it is the child (CAJAL_PROFILE_CHECK_CHILD set). */
async function child() {
    const cpu = () => { const usage = process.cpuUsage(); return (usage.user + usage.system) / 1000; };
    const phases = {};
    let last = cpu();
    const mark = name => { const now = cpu(); phases[name] = (phases[name] ?? 0) + now - last; last = now; };
    const { PerformanceObserver } = await import('node:perf_hooks');
    let gc = 0;
    new PerformanceObserver(list => { for (const entry of list.getEntries()) if (entry.startTime >= gcFrom) gc += entry.duration; }).observe({ type: 'gc', buffered: true });
    let gcFrom = Infinity;
    if (!process.argv.includes('--untuned')) {
        const { tuneV8ForChecking } = await import('@cajal/language/checker-start');
        tuneV8ForChecking();
    }
    const { URI, DocumentState } = await import('langium');
    const { createCajalCoreServices } = await import('@cajal/language');
    const { generateProgram } = await import('./server.bench.mjs');
    const text = generateProgram(definitions);
    mark('load');
    let session;
    if (process.env.CAJAL_PROFILE_CHECK_FILE) {
        const { Session } = await import('node:inspector/promises');
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        last = cpu();
    }
    const uri = URI.parse('file:///bench/generated.cajal');
    const fileSystemProvider = {
        readFile: async () => text, readFileSync: () => text, stat: async () => ({ uri, isFile: true, isDirectory: false }), statSync: () => ({ uri, isFile: true, isDirectory: false }),
        exists: async () => true, existsSync: () => true, readBinary: async () => new Uint8Array(), readBinarySync: () => new Uint8Array(), readDirectory: async () => [], readDirectorySync: () => []
    };
    const { shared, Cajal } = createCajalCoreServices({ fileSystemProvider: () => fileSystemProvider });
    void Cajal.parser.LangiumParser;
    mark('services and parser');
    // The parse below lexes with the fast path's lexer (Chevrotain's lexer runs only for text with errors).
    if (Cajal.parser.LangiumParser.lexWellFormed(text) === undefined) throw new Error('the generated file does not lex');
    mark('lex (cold)');
    gcFrom = performance.now();
    const othersBefore = otherThreadsCpu();
    const checks = {};
    if (parseOnly) {
        Cajal.parser.LangiumParser.parse(text);
        mark('parse');
    } else {
        // The checks validation runs, timed where they are entered (wall: they call each other, cached).
        const timed = (object, method, name) => {
            const original = object[method];
            object[method] = function (...args) {
                const started = performance.now();
                try {
                    return original.apply(this, args);
                } finally {
                    checks[name] = (checks[name] ?? 0) + performance.now() - started;
                }
            };
        };
        timed(Cajal.typing.TypeChecker, 'checkDeclaration', 'types');
        timed(Cajal.linearity.LinearityChecker, 'checkDeclaration', 'linearity');
        timed(Cajal.typing.TensorSizes, 'checkDeclaration', 'sizes');
        timed(Cajal.references.Linker, 'nonLocalUses', 'extern uses');
        const states = [DocumentState.IndexedContent, DocumentState.ComputedScopes, DocumentState.Linked, DocumentState.IndexedReferences, DocumentState.Validated];
        for (const state of states) shared.workspace.DocumentBuilder.onBuildPhase(state, () => mark(DocumentState[state]));
        const document = await shared.workspace.LangiumDocuments.getOrCreateDocument(uri);
        mark('parse');
        let sampler;
        if (allocations) {
            const { Session } = await import('node:inspector/promises');
            sampler = new Session();
            sampler.connect();
            await sampler.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
            last = cpu();
        }
        await shared.workspace.DocumentBuilder.build([document], { validation: true });
        if (sampler) {
            const { profile: heapProfile } = await sampler.post('HeapProfiler.stopSampling');
            const bytes = node => node.selfSize + node.children.reduce((sum, child) => sum + bytes(child), 0);
            checks['allocated after parsing (MB)'] = bytes(heapProfile.head) / 1e6;
            sampler.disconnect();
        }
        if (document.diagnostics.length > 0) throw new Error(`the generated file has diagnostics: ${document.diagnostics[0].message}`);
    }
    await new Promise(resolve => setTimeout(resolve, 10)); // the last gc entries
    if (session) {
        const { profile: cpuProfile } = await session.post('Profiler.stop');
        writeFileSync(process.env.CAJAL_PROFILE_CHECK_FILE, JSON.stringify(cpuProfile));
    }
    const others = othersBefore === undefined ? undefined : otherThreadsCpu() - othersBefore;
    const total = Object.entries(phases).filter(([name]) => name !== 'load').reduce((sum, [, ms]) => sum + ms, 0);
    console.log(JSON.stringify({ phases, checks, gc, others, total }));
}

if (process.env.CAJAL_PROFILE_CHECK_CHILD) {
    await child();
} else {
    const runs = Number(option('runs', 5));
    const results = [];
    for (let i = 0; i < runs; i++) {
        const env = { ...process.env, CAJAL_PROFILE_CHECK_CHILD: '1', ...(profile && i === 0 ? { CAJAL_PROFILE_CHECK_FILE: profile } : {}) };
        const nodeFlags = option('node-flags', '').split(' ').filter(Boolean);
        const result = spawnSync(process.execPath, [...nodeFlags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { env, encoding: 'utf-8' });
        if (result.status !== 0) throw new Error(`the check failed: ${result.stderr}`);
        results.push(JSON.parse(result.stdout));
    }
    const row = (name, values, unit = 'ms CPU') => console.log(`${name.padEnd(24)} ${median(values).toFixed(0).padStart(6)} ${unit}   (${values.map(v => v.toFixed(0)).join(' ')})`);
    console.log(`first check of generateProgram(${definitions}), ${runs} fresh processes, medians:`);
    for (const name of Object.keys(results[0].phases)) row(name, results.map(r => r.phases[name] ?? 0));
    row('total after loading', results.map(r => r.total));
    if (results[0].others !== undefined) row('  of which other threads', results.map(r => r.others), 'ms CPU (from the lexing on)');
    row('gc pauses in it', results.map(r => r.gc), 'ms wall (from the lexing on)');
    for (const name of Object.keys(results[0].checks)) {
        if (name.endsWith('(MB)')) row(name.replace(' (MB)', ''), results.map(r => r.checks[name]), 'MB');
        else row(`  check: ${name}`, results.map(r => r.checks[name] ?? 0), 'ms wall');
    }
    if (profile) console.log(`CPU profile of the first run: ${profile}`);
}

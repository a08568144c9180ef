#!/usr/bin/env node
/**
 * Benchmark harness: runs every bench/*.bench.mjs module, writes bench/results.json and
 * prints an aligned table. Each module default-exports `async function run(ctx)` returning
 * rows `{ suite, name, value, unit, target?, note? }`.
 *
 * Usage: node bench/run.mjs [--quick] [--only <substring>]
 *   --quick   fewer repetitions and smaller sizes (a smoke run, numbers are rougher)
 *   --only s  run only modules whose file name contains s; if none does, run all modules
 *             but keep only rows whose "suite name" contains s (modules can skip work
 *             early with ctx.wants(suite, name))
 */
import { readFile, readdir, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
const repositoryRoot = path.dirname(benchDirectory);

function parseArguments(argv) {
    const options = { quick: false, only: undefined };
    for (let i = 0; i < argv.length; i++) {
        const argument = argv[i];
        if (argument === '--quick') options.quick = true;
        else if (argument === '--only') {
            options.only = argv[++i];
            if (!options.only) throw new Error('--only needs a substring, e.g. --only matmul');
        } else if (argument.startsWith('--only=')) options.only = argument.slice('--only='.length);
        else if (argument === '--help' || argument === '-h') {
            console.log('usage: node bench/run.mjs [--quick] [--only <substring>]');
            process.exit(0);
        } else throw new Error(`unknown argument '${argument}' (expected --quick or --only <substring>)`);
    }
    return options;
}

/** Checks a row against a target written as a comparison such as '<= 200' or '>= 5'; undefined when the target is free text. */
export function targetMet(value, target) {
    if (typeof target !== 'string' || typeof value !== 'number') return undefined;
    const match = /^\s*(<=|>=|<|>)\s*(-?[\d.]+(?:e-?\d+)?)\s*$/i.exec(target);
    if (!match) return undefined;
    const bound = Number(match[2]);
    switch (match[1]) {
        case '<': return value < bound;
        case '<=': return value <= bound;
        case '>': return value > bound;
        case '>=': return value >= bound;
    }
    return undefined;
}

function formatValue(value) {
    if (typeof value !== 'number') return String(value);
    if (!Number.isFinite(value)) return String(value);
    const magnitude = Math.abs(value);
    if (magnitude >= 1000) return value.toFixed(0);
    if (magnitude >= 100) return value.toFixed(1);
    if (magnitude >= 1) return value.toFixed(2);
    return value.toPrecision(3);
}

/** The rows as an aligned text table (value right-aligned). */
export function formatTable(rows) {
    const header = ['suite', 'name', 'value', 'unit', 'target', 'ok', 'note'];
    const cells = rows.map(row => {
        const met = targetMet(row.value, row.target);
        return [row.suite, row.name, formatValue(row.value), row.unit, row.target ?? '', met === undefined ? '' : met ? 'yes' : 'NO', row.note ?? ''];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map(c => String(c[i]).length)));
    const line = c => c.map((text, i) => (i === 2 ? String(text).padStart(widths[i]) : String(text).padEnd(widths[i]))).join('  ').trimEnd();
    return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function validRow(row) {
    return row && typeof row.suite === 'string' && typeof row.name === 'string' && typeof row.value === 'number' && typeof row.unit === 'string';
}

async function backendSummary() {
    // The runtime picks the backend the benchmarks and `cajal run` use by default.
    const runtimeEntry = path.join(repositoryRoot, 'packages/runtime/out/index.js');
    if (!existsSync(runtimeEntry)) return { backend: null, reason: 'runtime not built (npx tsc -b packages/runtime)' };
    try {
        const { initBackend } = await import(pathToFileURL(runtimeEntry).href);
        return await initBackend('auto');
    } catch (error) {
        return { backend: null, reason: error instanceof Error ? error.message : String(error) };
    }
}

/**
 * Whether this Node is one package.json's engines allow. Results on another differ from what
 * users get (Node 20 has no relaxed SIMD, so the WASM products stay XNNPACK's, and its V8 tiers
 * up differently), so such a run says so.
 */
async function warnOutsideEngines() {
    const { engines } = JSON.parse(await readFile(path.join(benchDirectory, '..', 'package.json'), 'utf-8'));
    const minimum = /^>=(\d+)\.(\d+)/.exec(engines?.node ?? '');
    if (!minimum) return;
    const [major, minor] = process.versions.node.split('.').map(Number);
    const [needMajor, needMinor] = [Number(minimum[1]), Number(minimum[2])];
    if (major > needMajor || (major === needMajor && minor >= needMinor)) return;
    process.stderr.write(`note: node ${process.version} is outside package.json's engines (${engines.node}); its figures are not what users get. `
        + 'Run the benchmarks with a supported Node, e.g. "$(scripts/node-from-npm.sh 22)" bench/run.mjs\n');
}

async function main() {
    const options = parseArguments(process.argv.slice(2));
    await warnOutsideEngines();
    const files = (await readdir(benchDirectory)).filter(f => f.endsWith('.bench.mjs')).sort();
    const only = options.only?.toLowerCase();
    const byFile = only ? files.filter(f => f.toLowerCase().includes(only)) : files;
    const selected = byFile.length > 0 ? byFile : files;
    const filterRows = only !== undefined && byFile.length === 0;

    const ctx = {
        quick: options.quick,
        only: filterRows ? options.only : undefined,
        /** False when --only excludes this row, so a module can skip measuring it. */
        wants: (suite, name) => !filterRows || `${suite} ${name}`.toLowerCase().includes(only),
        log: message => process.stderr.write(`  ${message}\n`),
    };

    const backend = await backendSummary();
    const rows = [];
    const errors = [];
    for (const file of selected) {
        process.stderr.write(`bench ${file}${options.quick ? ' (quick)' : ''}\n`);
        const started = performance.now();
        try {
            const module = await import(pathToFileURL(path.join(benchDirectory, file)).href);
            if (typeof module.default !== 'function') throw new Error('it does not default-export async function run(ctx)');
            const produced = await module.default(ctx);
            if (!Array.isArray(produced)) throw new Error('run(ctx) did not return an array of rows');
            for (const row of produced) {
                if (!validRow(row)) throw new Error(`invalid row ${JSON.stringify(row)}: needs suite, name, value (number), unit`);
                if (ctx.wants(row.suite, row.name)) rows.push({ ...row, module: file });
            }
        } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            errors.push({ module: file, message });
            process.stderr.write(`  FAILED: ${message}\n`);
        }
        process.stderr.write(`  ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }

    const cpus = os.cpus();
    const results = {
        date: new Date().toISOString(),
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        cpus: cpus.length,
        cpuModel: cpus[0]?.model ?? null,
        backend: backend.backend,
        backendReason: backend.reason,
        quick: options.quick,
        only: options.only ?? null,
        rows: rows.map(row => ({ ...row, met: targetMet(row.value, row.target) ?? null })),
        errors,
    };
    // Written via a temporary file so an interrupted run never leaves half a results file.
    // A partial run (--only) goes to its own file, so it never replaces the full results.
    const resultsPath = path.join(benchDirectory, options.only === undefined ? 'results.json' : 'results.partial.json');
    await writeFile(`${resultsPath}.tmp`, JSON.stringify(results, null, 2) + '\n');
    await rename(`${resultsPath}.tmp`, resultsPath);

    console.log(`node ${process.version}, ${cpus.length} cpus (${results.cpuModel ?? 'unknown cpu'}), default backend ${backend.backend ?? 'none'}`);
    console.log(formatTable(rows));
    if (errors.length > 0) {
        console.log(`\n${errors.length} benchmark module(s) failed:`);
        for (const e of errors) console.log(`  ${e.module}: ${e.message}`);
    }
    console.log(`\nwrote ${path.relative(process.cwd(), resultsPath) || resultsPath}`);
    return errors.length > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    main().then(code => { process.exitCode = code; }, error => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 2;
    });
}

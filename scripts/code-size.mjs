// Measures what the developers' guide asks to keep small (issue 16): source files over 300
// lines and functions over 80 lines in packages/*/src (tests and generated code excluded),
// and the public exports of each package's entries. It parses with the TypeScript compiler
// API, so a function is what TypeScript calls one (declarations, methods, accessors,
// constructors, arrows, function expressions) and is measured from its first to its last line.
//
//   node scripts/code-size.mjs [--file-lines 300] [--function-lines 80] [--json]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function option(name, fallback) {
    const index = process.argv.indexOf(name);
    return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}
const maxFileLines = option('--file-lines', 300);
const maxFunctionLines = option('--function-lines', 80);

/** Every hand-written TypeScript source file under packages/<name>/src (not src/generated). */
function sourceFiles() {
    const files = [];
    const walk = directory => {
        for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
            const full = path.join(directory, entry.name);
            if (entry.isDirectory()) {
                if (entry.name !== 'generated') walk(full);
            } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
                files.push(full);
            }
        }
    };
    for (const pkg of fs.readdirSync(path.join(root, 'packages')).sort()) {
        const src = path.join(root, 'packages', pkg, 'src');
        if (fs.existsSync(src)) walk(src);
    }
    return files.sort();
}

/** The name a reader would look for: `Class.method`, `function`, or the variable an arrow is assigned to. */
function functionName(node) {
    const own = node.name && ts.isIdentifier(node.name) ? node.name.text
        : ts.isConstructorDeclaration(node) ? 'constructor'
        : node.parent && ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name) ? node.parent.name.text
        : node.parent && ts.isPropertyAssignment(node.parent) && ts.isIdentifier(node.parent.name) ? node.parent.name.text
        : node.parent && ts.isPropertyDeclaration(node.parent) && ts.isIdentifier(node.parent.name) ? node.parent.name.text
        : '(anonymous)';
    const owner = ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
    return owner + own;
}

function measureFile(file) {
    const text = fs.readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const lineOf = position => source.getLineAndCharacterOfPosition(position).line;
    const functions = [];
    const visit = node => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
            const lines = lineOf(node.end) - lineOf(node.getStart(source)) + 1;
            if (lines > maxFunctionLines) functions.push({ name: functionName(node), line: lineOf(node.getStart(source)) + 1, lines });
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return { file: path.relative(root, file), lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0), functions };
}

/** Named exports (values and types) of each package's entry files: package.json `exports`, else src/index.ts. */
function publicExports() {
    const counts = {};
    for (const pkg of fs.readdirSync(path.join(root, 'packages')).sort()) {
        const manifestPath = path.join(root, 'packages', pkg, 'package.json');
        if (!fs.existsSync(manifestPath)) continue;
        const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
        const entries = {};
        const exportsField = manifest.exports ?? {};
        const targets = typeof exportsField === 'string' ? { '.': exportsField } : exportsField;
        for (const [subpath, target] of Object.entries(targets)) {
            const built = typeof target === 'string' ? target : target.import ?? target.default ?? target.types;
            if (typeof built !== 'string') continue;
            const sourcePath = path.join(root, 'packages', pkg, built.replace(/^\.\/out\//, 'src/').replace(/\.d\.ts$|\.js$/, '.ts'));
            if (fs.existsSync(sourcePath)) entries[subpath] = sourcePath;
        }
        if (Object.keys(entries).length === 0) {
            const index = path.join(root, 'packages', pkg, 'src', 'index.ts');
            if (fs.existsSync(index)) entries['.'] = index;
        }
        for (const [subpath, file] of Object.entries(entries)) {
            const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
            let values = 0;
            let types = 0;
            let stars = 0;
            for (const statement of source.statements) {
                const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some(m => m.kind === ts.SyntaxKind.ExportKeyword);
                if (ts.isExportDeclaration(statement)) {
                    if (!statement.exportClause) { stars++; continue; }
                    if (ts.isNamedExports(statement.exportClause)) {
                        for (const element of statement.exportClause.elements) {
                            if (statement.isTypeOnly || element.isTypeOnly) types++; else values++;
                        }
                    } else {
                        values++;
                    }
                } else if (exported) {
                    const isType = ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement);
                    const names = ts.isVariableStatement(statement) ? statement.declarationList.declarations.length : 1;
                    if (isType) types += names; else values += names;
                }
            }
            counts[`${manifest.name}${subpath === '.' ? '' : subpath.slice(1)}`] = { values, types, ...(stars ? { 'export *': stars } : {}) };
        }
    }
    return counts;
}

const measured = sourceFiles().map(measureFile);
const longFiles = measured.filter(m => m.lines > maxFileLines).sort((a, b) => b.lines - a.lines);
const longFunctions = measured.flatMap(m => m.functions.map(f => ({ ...f, file: m.file }))).sort((a, b) => b.lines - a.lines);
const exportsPerPackage = publicExports();

if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ maxFileLines, maxFunctionLines, longFiles, longFunctions, exportsPerPackage }, null, 2));
} else {
    console.log(`${measured.length} source files in packages/*/src (generated code excluded)`);
    console.log(`\nfiles over ${maxFileLines} lines: ${longFiles.length}`);
    for (const f of longFiles) console.log(`  ${String(f.lines).padStart(5)}  ${f.file}`);
    console.log(`\nfunctions over ${maxFunctionLines} lines: ${longFunctions.length}`);
    for (const f of longFunctions) console.log(`  ${String(f.lines).padStart(5)}  ${f.file}:${f.line}  ${f.name}`);
    console.log('\npublic exports per package entry (values + types):');
    for (const [entry, count] of Object.entries(exportsPerPackage)) {
        const star = count['export *'] ? `, export * ×${count['export *']}` : '';
        console.log(`  ${entry}: ${count.values} + ${count.types}${star}`);
    }
}

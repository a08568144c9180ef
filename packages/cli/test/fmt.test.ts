import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { cajal, directoryWith } from './helpers.js';
import { exampleFiles, repositoryRoot } from '../../../test/example-files.js';

const messy = 'def  not (x:Bool) : Bool=if x then false else true\n-- keep me\ndef add (m : Nat) (n : Nat) : Nat = iter n { zero => m ; succ y => succ y }\n';

describe('cajal fmt', () => {
    test('prints the formatted text, keeping comments; formatting it again changes nothing', async () => {
        const directory = directoryWith({ 'messy.cajal': messy });
        const run = await cajal(['fmt', 'messy.cajal'], directory);
        expect(run.code).toBe(0);
        expect(run.stdout).not.toBe(messy);
        expect(run.stdout).toContain('-- keep me');
        expect(run.stdout).toContain('def not (x : Bool) : Bool =');
        fs.writeFileSync(path.join(directory, 'once.cajal'), run.stdout);
        expect((await cajal(['fmt', 'once.cajal'], directory)).stdout).toBe(run.stdout);
        const checked = await cajal(['check', 'once.cajal'], directory);
        expect(checked.code).toBe(0);
    });

    test('--check lists unformatted files (exit 1); --write fixes them; then --check passes', async () => {
        const directory = directoryWith({ 'messy.cajal': messy });
        const before = await cajal(['fmt', '--check', 'messy.cajal'], directory);
        expect(before).toMatchObject({ code: 1, stdout: 'messy.cajal\n' });
        expect(before.stderr).toBe('1 file is not formatted; run cajal fmt --write.\n');
        expect(fs.readFileSync(path.join(directory, 'messy.cajal'), 'utf-8')).toBe(messy);
        const written = await cajal(['fmt', '--write', 'messy.cajal'], directory);
        expect(written).toMatchObject({ code: 0, stdout: '' });
        expect(fs.readFileSync(path.join(directory, 'messy.cajal'), 'utf-8')).toBe((await cajal(['fmt', 'messy.cajal'], directory)).stdout);
        expect(fs.readdirSync(directory)).toEqual(['messy.cajal']);
        expect(await cajal(['fmt', '--check', 'messy.cajal'], directory)).toMatchObject({ code: 0, stdout: '' });
    });

    test('refuses a file that does not parse, at the syntax error, leaving it untouched', async () => {
        const broken = 'def main : Bool = (true\ndef other : Bool = false\n';
        const directory = directoryWith({ 'broken.cajal': broken });
        const run = await cajal(['fmt', '--write', 'broken.cajal'], directory);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/^broken\.cajal:2:1: error\[parse\]: cannot format: /);
        expect(fs.readFileSync(path.join(directory, 'broken.cajal'), 'utf-8')).toBe(broken);
    });

    test('--check and --write together are a usage error', async () => {
        const directory = directoryWith({ 'a.cajal': 'def a : Bool = true\n' });
        expect((await cajal(['fmt', '--check', '--write', 'a.cajal'], directory)).code).toBe(2);
    });

    test('every shipped example is formatted (cajal fmt --check), except the one that shows a parse error', async () => {
        const files = exampleFiles().map(([file]) => file).filter(file => file !== path.join('examples', 'errors', 'parse.cajal'));
        expect(files.length).toBeGreaterThan(10);
        const run = await cajal(['fmt', '--check', ...files], repositoryRoot);
        expect(run.stdout + run.stderr).toBe('');
        expect(run.code).toBe(0);
        const parse = await cajal(['fmt', '--check', path.join('examples', 'errors', 'parse.cajal')], repositoryRoot);
        expect(parse.stderr).toMatch(/error\[parse\]: cannot format/);
    });

    test('an extern\'s architecture is written against its arguments: mlp(64), not mlp (64)', async () => {
        const directory = directoryWith({ 'x.cajal': 'extern f : Real[2] -o Bool = mlp ( 64 )\ndef g (x : Real[2]) : Bool = f (x)\n' });
        expect((await cajal(['fmt', 'x.cajal'], directory)).stdout).toBe('extern f : Real[2] -o Bool = mlp(64)\n\ndef g (x : Real[2]) : Bool = f (x)\n');
    });
});

/**
 * Golden tests of generated TensorFlow.js modules (pure text, no file system needed to
 * generate; the goldens live beside this file — run with UPDATE_GOLDEN=1 to rewrite them
 * after an intended change, and review the diff), and the generated code run in-process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkText } from '@cajal/language/testing';
import { compileDocumentToTfjs, generateTfjsModule, jsIdentifier } from '@cajal/compiler';
import { expectGolden } from '../../../test/golden-files.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

async function generate(file: string) {
    const text = fs.readFileSync(file, 'utf-8');
    const { services, document, diagnostics } = await checkText(text);
    expect(diagnostics.filter(d => d.severity === 1)).toEqual([]);
    return compileDocumentToTfjs(document, services, { source: path.basename(file) });
}

const golden = (name: string, actual: string) => expectGolden(here, name, actual);

describe('generateTfjsModule', () => {
    for (const [name, file] of [['neurons', path.join(root, 'examples/neurons.cajal')], ['linked', path.join(here, 'fixtures/linked.cajal')]] as const) {
        it(`matches the golden module for ${path.relative(root, file)}`, async () => {
            const module = await generate(file);
            golden(`${name}.js`, module.js);
            golden(`${name}.d.ts`, module.dts);
        });
    }

    it('is pure: the same programs give the same text', async () => {
        const module = await generate(path.join(here, 'fixtures/linked.cajal'));
        expect(generateTfjsModule(module.programs, { source: 'linked.cajal' }).js).toBe(module.js);
        expect(generateTfjsModule(module.programs, { runtimeImport: './rt.js' }).js).toContain('import * as rt from "./rt.js";');
    });

    it('makes JavaScript names of Cajal names', () => {
        expect(jsIdentifier("f'")).toBe('f$');
        expect(jsIdentifier('new')).toBe('new$');
        expect(jsIdentifier('metadata')).toBe('metadata$');
        expect(jsIdentifier('and')).toBe('and');
    });

    it('embeds large constants as base64 float32 and names externs in metadata', async () => {
        const { services, document } = await checkText('def add (m : Nat) (n : Nat) : Nat = iter n { zero => m ; succ y => succ y }\nextern f : Bool -o Bool\ndef g (x : Bool) : Bool = f x');
        const module = compileDocumentToTfjs(document, services);
        expect(module.js).toMatch(/rt\.float32FromBase64\("/);
        expect(module.js).toContain('"g":{"type":"Bool -o Bool"');
        expect(module.js).toContain('rt.requireNetworks(["f"], networks);');
        expect(module.dts).toContain('export declare function add(m: tf.Tensor, n: tf.Tensor, networks?: LinkedNetworks): tf.Tensor;');
    });
});

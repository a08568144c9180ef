import { describe, expect, it } from 'vitest';
import { asMatrix, cellColor, formatWeight, renderMatrixTable, renderNeuronContent, renderNeuronPage } from '../src/heatmap.js';
import type { NeuronInfo } from '../src/protocol.js';

const not: NeuronInfo = { name: 'not', type: 'Bool -o Bool', shape: [2, 2], weights: 4, data: [0, 1, 1, 0], rows: ['true', 'false'], cols: ['true', 'false'] };

/** Cell texts of the rendered table, row by row (a tiny parser for our own markup). */
function cells(html: string): string[][] {
    return [...html.matchAll(/<tr><th scope="row"[^>]*>.*?<\/th>(.*?)<\/tr>/g)].map(row => [...row[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(c => c[1]));
}

describe('heatmap HTML', () => {
    it('lays the matrix out row-major with row and column labels', () => {
        const html = renderNeuronContent(not, { maxCells: 100 });
        expect(cells(html)).toEqual([['0', '1'], ['1', '0']]);
        expect([...html.matchAll(/class="row-label">(.*?)</g)].map(m => m[1])).toEqual(['true', 'false']);
        expect([...html.matchAll(/class="col-label">(.*?)</g)].map(m => m[1])).toEqual(['true', 'false']);
        expect(html).toContain('<span class="shape">[2, 2]</span>, <span class="weights">4</span> weights');
    });

    it('colours by sign and magnitude relative to the largest weight', () => {
        expect(cellColor(2, 2)).toBe('rgba(220, 50, 47, 1)');
        expect(cellColor(-1, 2)).toBe('rgba(38, 110, 220, 0.5)');
        expect(cellColor(0, 2)).toBe('rgba(0, 0, 0, 0)');
        expect(cellColor(1, 0)).toBe('rgba(0, 0, 0, 0)');
        const html = renderMatrixTable([-4, 2], 1, 2, ['r'], ['a', 'b']);
        expect(html).toContain('background-color:rgba(38, 110, 220, 1)');
        expect(html).toContain('background-color:rgba(220, 50, 47, 0.5)');
    });

    it('escapes labels and names so a label cannot inject markup', () => {
        const evil: NeuronInfo = { ...not, name: '<img src=x onerror=alert(1)>', rows: ['<b>', '"q"'], cols: ['a&b', "it's"] };
        const html = renderNeuronContent(evil, { maxCells: 100 });
        expect(html).not.toContain('<img');
        expect(html).not.toContain('<b>');
        expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
        expect(html).toContain('a&amp;b');
        expect(html).toContain('&quot;q&quot;');
    });

    it('views vectors as one column and folds higher ranks into rows', () => {
        expect(asMatrix([2])).toEqual({ rows: 2, cols: 1 });
        expect(asMatrix([3, 4, 5])).toEqual({ rows: 12, cols: 5 });
        expect(asMatrix([])).toEqual({ rows: 1, cols: 1 });
        const html = renderNeuronContent({ name: 'main', type: 'Bool', shape: [2], weights: 2, data: [0, 1], rows: ['true', 'false'], cols: [] }, { maxCells: 100 });
        expect(cells(html)).toEqual([['0'], ['1']]);
    });

    it('summarises matrices above maxCells instead of drawing them', () => {
        const big: NeuronInfo = { name: 'add', type: 'Nat -o Nat -o Nat', shape: [100, 10], weights: 1000, data: Array.from({ length: 1000 }, (_, i) => (i % 11 === 0 ? 1 : 0)), rows: [], cols: [] };
        const html = renderNeuronContent(big, { maxCells: 999 });
        expect(html).not.toContain('<table');
        expect(html).toContain('min 0, max 1, 91 non-zero of 1000');
        expect(renderNeuronContent(big, { maxCells: 1000 })).toContain('data-rows="100" data-cols="10"');
        expect(renderNeuronContent(big, { maxCells: 1000 })).toContain('class="heatmap compact"');
    });

    it('draws a large matrix (add, [100, 10]) as a labelled compact heatmap with zoom, not a hundred rows of numbers', () => {
        // add m n = m + n: row r (out n ↦ result) … here simply a sparse 0/1 pattern with labels.
        const rows = Array.from({ length: 100 }, (_, r) => `${r % 10}↦${Math.floor(r / 10)}`);
        const cols = Array.from({ length: 10 }, (_, c) => String(c));
        const add: NeuronInfo = { name: 'add', type: 'Nat -o Nat -o Nat', shape: [100, 10], weights: 1000, data: Array.from({ length: 1000 }, (_, i) => (i % 11 === 0 ? 1 : 0)), rows, cols };
        const html = renderNeuronContent(add, { maxCells: 4096 });
        expect(html).toContain('<table class="heatmap compact" data-rows="100" data-cols="10" style="--cell:10px">');
        expect(html.match(/<td /g)).toHaveLength(1000);
        // No numbers in the cells: the value is in the title, the colour says the sign and size.
        expect(html).not.toMatch(/<td[^>]*>[^<]+<\/td>/);
        expect(html).toContain('title="0↦0 ← 0: 1"></td>');
        expect(html).toContain('title="9↦9 ← 9: 0"></td>');
        expect([...html.matchAll(/class="row-label">(.*?)</g)]).toHaveLength(100);
        expect([...html.matchAll(/class="col-label"><span>(.*?)</g)].map(m => m[1])).toEqual(cols);
        expect(html).toContain('data-zoom="-1"');
        expect(html).toContain('data-zoom="1"');
        expect(html).toContain('min 0, max 1, 91 non-zero of 1000');
        // Small matrices keep their numbers; the threshold is an option.
        expect(renderNeuronContent(add, { maxCells: 4096, compactAbove: 1000 })).not.toContain('compact');
        expect(cells(renderNeuronContent(not, { maxCells: 4096 }))).toEqual([['0', '1'], ['1', '0']]);
    });

    it('reports errors, missing data and inconsistent shapes', () => {
        expect(renderNeuronContent({ error: 'bad.cajal:2: linearity' }, { maxCells: 10 })).toContain('role="alert">bad.cajal:2: linearity<');
        expect(renderNeuronContent({ ...not, data: null }, { maxCells: 10 })).toContain('did not send the entries');
        expect(renderNeuronContent({ ...not, data: [1, 2, 3] }, { maxCells: 10 })).toContain('has 3 entries but its shape [2, 2] needs 4');
    });

    it('formats weights compactly', () => {
        expect(formatWeight(1)).toBe('1');
        expect(formatWeight(-0.123456)).toBe('-0.123');
        expect(formatWeight(1e-7)).toBe('1e-7');
    });

    it('wraps the content in a page with a strict CSP and a nonce on its only script', () => {
        const page = renderNeuronPage(not, { maxCells: 100, nonce: 'abc123', cspSource: 'vscode-resource:', title: 'Neuron: not' });
        expect(page).toContain("default-src 'none'");
        expect(page).toContain("script-src 'nonce-abc123'");
        expect(page.match(/<script/g)).toHaveLength(1);
        expect(page).toContain('<script nonce="abc123">');
        expect(page).not.toMatch(/https?:\/\//);
        expect(page).toContain('data-rows="2" data-cols="2"');
    });
});

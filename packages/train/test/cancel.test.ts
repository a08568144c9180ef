import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '@cajal/train';
import { POINTS_PROGRAM, interruptInSecondEpoch, runCli, temporaryDirectory, writePoints } from './helpers.js';

function snapshotFiles(weights: string): Record<string, string> {
    const manifest = readManifest(weights);
    const files: Record<string, string> = {};
    for (const entry of Object.values(manifest.externs)) {
        const directory = path.join(weights, path.dirname(entry.model));
        for (const name of fs.readdirSync(directory)) files[path.join(path.dirname(entry.model), name)] = fs.readFileSync(path.join(directory, name)).toString('base64');
    }
    return files;
}

describe('cajal train cancellation (real process, SIGINT)', () => {
    it('a run interrupted in its first epoch leaves the previous weights intact', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 3000);
        fs.writeFileSync(path.join(directory, 'points.cajal'), POINTS_PROGRAM);

        const first = await runCli(['train', 'points.cajal', '--epochs', '1', '--limit', '64', '--out', 'w', '--json', '--backend', 'cpu'], directory);
        expect(first.stderr).not.toMatch(/internal error/);
        expect(first.code).toBe(0);
        const summary = JSON.parse(first.stdout);
        expect(summary).toMatchObject({ train: 'points', epochs: 1, examples: 64, weights: path.join(directory, 'w') });
        expect(Object.keys(summary.final)).toEqual(expect.arrayContaining(['loss', 'accuracy']));
        const weights = path.join(directory, 'w');
        const before = readManifest(weights);
        const beforeFiles = snapshotFiles(weights);

        // 16 batches per epoch: the interrupt at batch 5 lands inside epoch 1.
        let interrupted = false;
        const events: Array<Record<string, unknown>> = [];
        const second = await runCli(['train', 'points.cajal', '--epochs', '3', '--out', 'w', '--events', '--backend', 'cpu', '--seed', '9'], directory, (line, child) => {
            const event = JSON.parse(line);
            events.push(event);
            if (event.event === 'batch' && event.batch === 5 && !interrupted) {
                interrupted = true;
                child.kill('SIGINT');
            }
        });
        expect(interrupted).toBe(true);
        expect(second.code).toBe(130);
        const last = events[events.length - 1];
        expect(last).toEqual({ event: 'cancelled', train: 'points', epochs: 0, weights: null });
        expect(events.some(e => e.event === 'epoch')).toBe(false);
        // The previous run's manifest and snapshot are untouched and still complete.
        expect(readManifest(weights)).toEqual(before);
        expect(snapshotFiles(weights)).toEqual(beforeFiles);
    });

    it('an interrupt after a completed epoch keeps that epoch\'s weights', async () => {
        const directory = temporaryDirectory();
        const { code, events, weights } = await interruptInSecondEpoch(directory, 3000, ['--backend', 'cpu']);
        expect(code).toBe(130);
        expect(events.filter(e => e.event === 'epoch')).toHaveLength(1);
        expect(events[events.length - 1]).toEqual({ event: 'cancelled', train: 'points', epochs: 1, weights });
        expect(readManifest(weights).epoch).toBe(1);
        const history = JSON.parse(fs.readFileSync(path.join(directory, 'w', 'history.json'), 'utf-8'));
        expect(history.history).toHaveLength(1);
    });
});

import { describe, expect, it } from 'vitest';
import { describeCliFailure } from '../src/failures.js';

const failed = (stderr: string, stdout = '', code: number | null = 1) => ({ code, signal: null, stdout, stderr });

describe('what a failed cajal process tells the user', () => {
    it('takes the first error diagnostic of stderr, in file:line:col: message form', () => {
        const stderr = 'a.cajal:2:5: warning[w]: unused\na.cajal:7:3: error[name/unknown]: Unknown name \'c\'.\n    a.cajal:1:1: related\na.cajal:9:1: error[x]: second\n';
        expect(describeCliFailure(failed(stderr), 'run')).toEqual({ summary: "a.cajal:7:3: Unknown name 'c'.", internal: false, missingMnist: false });
    });

    it('prefers the JSON diagnostics of --json output, errors before warnings', () => {
        const stdout = JSON.stringify({ diagnostics: [
            { file: 'b.cajal', line: 1, column: 2, severity: 'warning', message: 'w' },
            { file: 'b.cajal', line: 3, column: 4, severity: 'error', message: 'the error' }
        ] });
        expect(describeCliFailure(failed('', stdout), 'run').summary).toBe('b.cajal:3:4: the error');
    });

    it('keeps the CLI\'s own one-line message, without the command prefix', () => {
        expect(describeCliFailure(failed('cajal train: x.cajal: train t: data file \'p.jsonl\' not found.\n'), 'train').summary).toBe('x.cajal: train t: data file \'p.jsonl\' not found.');
    });

    it('reduces an internal error to its first line, never the stack', () => {
        const failure = describeCliFailure(failed('cajal run: internal error (please report it): RangeError: bad\n    at a (x.js:1:1)\n    at b (x.js:2:2)\n', '', 70), 'run');
        expect(failure.internal).toBe(true);
        expect(failure.summary).toBe('internal error (please report it; the trace is in the Cajal output channel): RangeError: bad');
        expect(failure.summary).not.toContain(' at ');
    });

    it('recognises missing MNIST data, and says how a silent process ended', () => {
        expect(describeCliFailure(failed('cajal train: f: train t: the MNIST data (a, b) was not found; looked in /x.\n'), 'train').missingMnist).toBe(true);
        expect(describeCliFailure({ code: null, signal: 'SIGKILL', stdout: '', stderr: '' }, 'train').summary).toBe('cajal train was stopped by SIGKILL');
        expect(describeCliFailure(failed('', '', 3), 'run').summary).toBe('cajal run exited with code 3');
    });
});

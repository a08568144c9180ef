// What a failed `cajal` process tells the user. The notification gets one line — the first
// error with its place (file:line:col: message), or the CLI's own one-line message — never a
// stack trace nor the last lines of output; the whole stderr stays in the output channel.
import type { CliResult } from './cliProcess.js';

export interface CliFailure {
    /** One line for the notification. */
    summary: string;
    /** The CLI crashed (a bug to report): its trace is in the output channel. */
    internal: boolean;
    /** The MNIST files were not found (the notification offers to choose their folder). */
    missingMnist: boolean;
}

/** `FILE:LINE:COL: error[code]: message`, as `cajal` prints diagnostics on stderr. */
const diagnosticLine = /^(.+?):(\d+):(\d+): error(?:\[[^\]]*\])?: (.*)$/;
const internalError = /internal error \(please report it\):\s*(.*)$/;

interface JsonDiagnostic { file: string; line: number; column: number; severity?: string; message: string }

/** The first error of `cajal … --json`'s `{"diagnostics": […]}` output, if that is what stdout holds. */
function firstJsonDiagnostic(stdout: string): string | undefined {
    let value: unknown;
    try {
        value = JSON.parse(stdout);
    } catch {
        return undefined;
    }
    const diagnostics = (value as { diagnostics?: unknown })?.diagnostics;
    if (!Array.isArray(diagnostics)) return undefined;
    const usable = (diagnostics as JsonDiagnostic[]).filter(d => typeof d?.file === 'string' && typeof d.message === 'string');
    const first = usable.find(d => d.severity === 'error') ?? usable[0];
    return first ? `${first.file}:${first.line}:${first.column}: ${first.message}` : undefined;
}

export function describeCliFailure(result: CliResult, command: string): CliFailure {
    const lines = result.stderr.split(/\r?\n/).map(line => line.trimEnd()).filter(line => line.trim() !== '');
    const missingMnist = /the MNIST data \(.*\) was not found/.test(result.stderr);
    const fromJson = firstJsonDiagnostic(result.stdout.trim());
    if (fromJson) return { summary: fromJson, internal: false, missingMnist };
    for (const line of lines) {
        const match = diagnosticLine.exec(line);
        if (match) return { summary: `${match[1]}:${match[2]}:${match[3]}: ${match[4]}`, internal: false, missingMnist };
    }
    for (const line of lines) {
        const match = internalError.exec(line);
        if (match) {
            // The first line of the error's message (a trace's first line is "Name: message").
            return { summary: `internal error (please report it; the trace is in the Cajal output channel): ${match[1]}`, internal: true, missingMnist };
        }
    }
    // The CLI's own one-line message (`cajal train: FILE: train NAME: …`), without the prefix.
    const message = lines.find(line => !/^\s/.test(line));
    if (message) return { summary: message.replace(new RegExp(`^cajal(?: ${command})?: `), ''), internal: false, missingMnist };
    if (result.signal) return { summary: `cajal ${command} was stopped by ${result.signal}`, internal: false, missingMnist };
    return { summary: `cajal ${command} exited with code ${result.code}${result.stdout.trim() ? `: ${result.stdout.trim().split('\n')[0]}` : ''}`, internal: false, missingMnist };
}

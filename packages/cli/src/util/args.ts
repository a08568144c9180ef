import { parseArgs } from 'node:util';
import { UsageError } from '../command.js';

export interface OptionSpec {
    readonly type: 'boolean' | 'string';
    readonly short?: string;
    /** A string option that may be given several times. */
    readonly multiple?: boolean;
}

export interface ParsedArgs<O extends Record<string, OptionSpec>> {
    readonly positionals: string[];
    readonly options: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string };
}

/**
 * Parses a command's arguments strictly: unknown options and missing option values are
 * usage errors that quote the command's usage. `--help` is always accepted (see `wantsHelp`).
 */
export function parseCommandArgs<O extends Record<string, OptionSpec>>(args: string[], options: O, usage: string): ParsedArgs<O> {
    try {
        const { values, positionals } = parseArgs({
            args,
            options: { ...options, help: { type: 'boolean', short: 'h' } } as never,
            allowPositionals: true,
            strict: true
        });
        const { help: _help, ...rest } = values as Record<string, unknown>;
        return { positionals, options: rest as ParsedArgs<O>['options'] };
    } catch (error) {
        const message = error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '.') : String(error);
        throw new UsageError(message, usage);
    }
}

/** True if `--help` or `-h` appears before any `--` separator. */
export function wantsHelp(args: string[]): boolean {
    const end = args.indexOf('--');
    return (end < 0 ? args : args.slice(0, end)).some(arg => arg === '--help' || arg === '-h');
}

/** Parses a non-negative integer option value, with a clear error naming the option. */
export function integerOption(name: string, value: string | undefined, usage: string): number | undefined {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) {
        throw new UsageError(`--${name} expects a non-negative integer, but got '${value}'.`, usage);
    }
    return Number(value);
}

/** `--max-tensor N`, which every command that checks a program takes (docs/cli.md). */
export const MAX_TENSOR_OPTION = { 'max-tensor': { type: 'string' } } as const;
export const MAX_TENSOR_USAGE = '  --max-tensor N   the largest tensor a program may need, in entries (default 67108864 = 2^26)';

/** The `--max-tensor` value: a whole number of entries, at least 1. */
export function maxTensorOption(options: { 'max-tensor'?: string }, usage: string): number | undefined {
    const value = integerOption('max-tensor', options['max-tensor'], usage);
    if (value !== undefined && (value < 1 || !Number.isSafeInteger(value))) {
        throw new UsageError(`--max-tensor expects a whole number of entries from 1 to 2^53, but got '${options['max-tensor']}'.`, usage);
    }
    return value;
}

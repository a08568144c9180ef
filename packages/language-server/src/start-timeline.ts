/**
 * The server's start timeline, for measuring where the wall time to the first diagnostics
 * goes (docs/editors.md, "Start-up"). With `CAJAL_LSP_TIMELINE=1` each thread writes one
 * stderr line per step, `cajal-language-server: timeline +<ms> <thread> <step>`, the
 * milliseconds counted from the process's start (the main thread's `performance.timeOrigin`,
 * given to the worker through its environment), and where Node has `process.threadCpuUsage`
 * (22.19 and later) the CPU time the thread has used so far, ` (thread CPU <ms> ms)`: on a
 * loaded machine the steadier figure. Without it, marking costs one comparison.
 */
import { isMainThread } from 'node:worker_threads';

/** Whether this process writes its start timeline. */
export const startTimelineEnabled = process.env.CAJAL_LSP_TIMELINE === '1';
const enabled = startTimelineEnabled;
const ORIGIN_VARIABLE = 'CAJAL_LSP_TIMELINE_ORIGIN';
if (enabled && isMainThread) process.env[ORIGIN_VARIABLE] = String(performance.timeOrigin);
const origin = enabled ? Number(process.env[ORIGIN_VARIABLE] ?? performance.timeOrigin) : 0;
const marked = new Set<string>();

/** Writes a step of the start (once per step name and thread) while the timeline is on. */
export function markStart(step: string): void {
    if (!enabled || marked.has(step)) return;
    marked.add(step);
    const ms = performance.timeOrigin + performance.now() - origin;
    const cpu = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.();
    const cpuNote = cpu ? ` (thread CPU ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms)` : '';
    process.stderr.write(`cajal-language-server: timeline +${ms.toFixed(1)} ${isMainThread ? 'relay' : 'checker'} ${step}${cpuNote}\n`);
}

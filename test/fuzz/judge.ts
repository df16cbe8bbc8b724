import type { FuzzCase, RunOutcome } from './types.js';

/**
 * What counts as a failure. The promise being fuzzed: whatever the input, tsfalco ends with
 * exit 0 or with one clear message naming the file or the flag and exit 1; it never crashes,
 * hangs, prints a stack trace, leaks a JavaScript internal, prints raw control characters, or
 * grows past the memory limit.
 */

export type FailureKind = 'crash' | 'hang' | 'memory' | 'stack' | 'exit-code' | 'unnamed' | 'internals' | 'escape' | 'disagree';

export interface Failure {
  kind: FailureKind;
  detail: string;
}

export interface Limits {
  timeoutMs: number;
  rssBytes: number;
}

const STACK = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

/** Words of JavaScript and its libraries, not ours: a message quoting them explains nothing. */
const INTERNALS = [
  /\b(TypeError|RangeError|ReferenceError|SyntaxError: Unexpected)\b/,
  /Cannot read propert/,
  /is not a function/,
  /is not safe to convert/,
  /Cannot (convert|mix) .*BigInt/,
  /\bundefined\b/,
  /\bNaN\b/,
  /\[object Object\]/,
  /Maximum call stack/,
  /Invalid (array|typed array|string) length/,
  /offset is out of bounds/,
];

/** C0 controls other than tab and newline, DEL, C1: raw, they drive the terminal. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

export function judgeRun(r: RunOutcome, c: FuzzCase, limits: Limits): Failure | null {
  if (r.hang) return { kind: 'hang', detail: `no answer in ${limits.timeoutMs} ms` };
  if (r.died) return { kind: /heap|memory|invalid size/i.test(r.died) ? 'memory' : 'crash', detail: `the process died: ${r.died.slice(-600)}` };
  if (r.crash) return { kind: 'crash', detail: r.crash.slice(0, 1500) };
  if (r.peakRss > limits.rssBytes) return { kind: 'memory', detail: `peak RSS ${(r.peakRss / 2 ** 20).toFixed(0)} MiB` };
  if (STACK.test(r.stderr)) return { kind: 'stack', detail: r.stderr.slice(0, 1500) };
  if (r.exitCode !== 0 && r.exitCode !== 1) return { kind: 'exit-code', detail: `exit ${r.exitCode}: ${r.stderr.slice(0, 300)}` };
  if (CONTROL.test(r.stderr)) return { kind: 'escape', detail: JSON.stringify(r.stderr.slice(0, 300)) };
  let errors = r.stderr.split('\n').filter((l) => l.startsWith('tsfalco: ') || /^error\b/i.test(l));
  // `rules validate` reports on stdout, as `falco -V` does.
  if (!errors.length && r.exitCode === 1) errors = r.stdout.split('\n').filter((l, i) => (i === 0 && l.trim()) || / error /.test(l));
  if (r.exitCode === 1) {
    if (!errors.length) return { kind: 'unnamed', detail: `exit 1 without an error line: ${JSON.stringify(r.stderr.slice(0, 300))}` };
    const unnamed = errors.find((l) => !c.mustName.some((n) => l.includes(n)));
    if (unnamed) return { kind: 'unnamed', detail: `${unnamed.slice(0, 300)} (names none of ${c.mustName.join(', ')})` };
  }
  for (const line of errors) {
    // A value the user gave is quoted in the message (`got "NaN"`): not a leak.
    // The same for the -o option the message starts with (`-o key=NaN: …`).
    const ours = line.replace(/^tsfalco: -o \S+: /, 'tsfalco: -o OPTION: ').replace(/"[^"]*"/g, '""');
    const leak = INTERNALS.find((re) => re.test(ours));
    if (leak) return { kind: 'internals', detail: line.slice(0, 300) };
  }
  return null;
}

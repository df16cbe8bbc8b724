/**
 * Rules benchmark (node dist/test/bench/rules-eval.js after tsc):
 * 1. time to load and compile the three upstream Falco rule files (YAML, parse, macro/list
 *    resolution, checking, event types, condition and output compilation), cold and warm;
 * 2. evaluations per second of the compiled conditions on synthetic syscall events, both
 *    naively (every rule on every event) and indexed by event type (only the rules whose
 *    event-type set contains the event's type, as the engine does).
 * Events are stored column-wise (one array per field, `name[arg]` for arguments) and the cursor
 * is a row index, as over a record batch; BENCH_EVENTS sets how many (default 200k).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  checkCondition,
  compileCondition,
  conditionEventTypes,
  parseCondition,
  resolveCondition,
  type Expr,
  type ExtractorProvider,
} from '../../src/rules/condition/index.js';
import { compileOutput } from '../../src/rules/output/index.js';
import { syscallCatalog, syscallEventTypes } from '../../src/engine/fields/catalog.js';
import { FALCO_RULES, upstreamPath, upstreamProblem } from '../helpers/upstream-paths.js';

const FILES = FALCO_RULES;
const MISSING = upstreamProblem(...FILES);
if (MISSING) {
  console.error(`bench: ${MISSING}`);
  process.exit(1);
}
const N = Number(process.env.BENCH_EVENTS ?? 200_000);

/** Column store of the synthetic events; the cursor is `{ i }` (the row). */
const columns = new Map<string, unknown[]>();
interface Cursor {
  i: number;
}
const provider: ExtractorProvider = {
  extractor: (f, arg) => {
    const key = arg === undefined ? f.name : `${f.name}[${arg}]`;
    let col = columns.get(key);
    if (!col) columns.set(key, (col = []));
    const c0 = col;
    return (c) => c0[(c as Cursor).i];
  },
};

interface Compiled {
  name: string;
  fn: (c: unknown) => boolean;
  types: Set<string>;
  matchesAll: boolean;
}

function loadAndCompile(mode: 'codegen' | 'closures' = 'codegen'): { rules: Compiled[]; ms: Record<string, number> } {
  const ms: Record<string, number> = { yaml: 0, parse: 0, resolve: 0, check: 0, evttypes: 0, compile: 0, outputs: 0 };
  const time = <T>(k: string, f: () => T): T => {
    const t = performance.now();
    const r = f();
    ms[k]! += performance.now() - t;
    return r;
  };
  const macroText = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const ruleItems: Array<{ rule: string; condition: string; output: string }> = [];
  time('yaml', () => {
    for (const f of FILES) {
      for (const doc of parseAllDocuments(readFileSync(upstreamPath(f), 'utf8'))) {
        for (const it of (doc.toJS() ?? []) as Array<Record<string, unknown>>) {
          if (typeof it.list === 'string') lists.set(it.list, ((it.items as unknown[]) ?? []).map(String));
          else if (typeof it.macro === 'string') macroText.set(it.macro, String(it.condition));
          else if (typeof it.rule === 'string') ruleItems.push({ rule: it.rule, condition: String(it.condition), output: String(it.output) });
        }
      }
    }
  });
  const macros = new Map<string, Expr>();
  time('parse', () => {
    for (const [n, c] of macroText) macros.set(n, parseCondition(c));
  });
  const env = { macro: (n: string) => macros.get(n), list: (n: string) => lists.get(n) };
  const rules: Compiled[] = [];
  for (const r of ruleItems) {
    const parsed = time('parse', () => parseCondition(r.condition));
    const e = time('resolve', () => resolveCondition(parsed, env));
    const { errors } = time('check', () => checkCondition(e, syscallCatalog));
    if (errors.length) throw new Error(`${r.rule}: ${errors[0]!.message}`);
    const types = time('evttypes', () => conditionEventTypes(e, syscallEventTypes));
    const fn = time('compile', () => compileCondition(e, syscallCatalog, provider, { mode }));
    time('outputs', () => compileOutput(r.output, syscallCatalog, provider));
    rules.push({ name: r.rule, fn, types, matchesAll: types.matchesAll });
  }
  return { rules, ms };
}

function syntheticEvents(n: number): Array<Record<string, unknown>> {
  let seed = 7;
  const rand = (m: number): number => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) % m;
  const types = ['openat', 'openat', 'openat', 'read', 'read', 'close', 'execve', 'connect', 'accept', 'setuid', 'unlink', 'rename', 'mmap', 'ptrace', 'clone'];
  const comms = ['nginx', 'bash', 'sh', 'python3', 'java', 'sshd', 'cron', 'node', 'postgres', 'curl', 'runc'];
  const paths = ['/etc/passwd', '/etc/shadow', '/var/lib/app/data.db', '/usr/bin/python3', '/tmp/x', '/proc/1/environ', '/dev/null', '/root/.ssh/authorized_keys', '/etc/ld.so.preload', '/var/log/syslog'];
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) {
    const type = types[rand(types.length)]!;
    const comm = comms[rand(comms.length)]!;
    const path = paths[rand(paths.length)]!;
    const inContainer = rand(3) === 0;
    out.push({
      'evt.type': type,
      'evt.dir': '<',
      'evt.num': BigInt(i + 1),
      'evt.rawres': rand(10) === 0 ? -2 : 3,
      'evt.res': 'SUCCESS',
      'evt.is_open_read': type === 'openat' && rand(2) === 0,
      'evt.is_open_write': type === 'openat' && rand(4) === 0,
      'evt.arg.flags': type === 'openat' ? 'O_RDONLY|O_CLOEXEC' : '',
      'evt.arg[flags]': type === 'openat' ? 'O_RDONLY|O_CLOEXEC' : '',
      'proc.name': comm,
      'proc.pname': comms[rand(comms.length)],
      'proc.aname': [comms[rand(comms.length)], 'systemd'],
      'proc.aname[2]': 'systemd',
      'proc.exe': comm,
      'proc.exepath': `/usr/bin/${comm}`,
      'proc.cmdline': `${comm} -c run ${rand(100)}`,
      'proc.pcmdline': 'bash',
      'proc.args': `-c run ${rand(100)}`,
      'proc.pid': 1000 + rand(5000),
      'proc.vpid': 1 + rand(50),
      'proc.tty': rand(5) === 0 ? 34816 : 0,
      'proc.sname': 'bash',
      'user.name': rand(2) ? 'root' : 'app',
      'user.uid': rand(2) ? 0 : 1000,
      'user.loginuid': -1,
      'fd.name': path,
      'fd.directory': path.slice(0, path.lastIndexOf('/')),
      'fd.filename': path.slice(path.lastIndexOf('/') + 1),
      'fd.typechar': 'f',
      'fd.type': 'file',
      'fd.num': 3 + rand(60),
      'fd.sip': '10.0.0.5',
      'fd.sport': [443, 80, 22, 5432][rand(4)],
      'fd.l4proto': 'tcp',
      'container.id': inContainer ? 'abcdef123456' : 'host',
      'container.image.repository': inContainer ? 'docker.io/library/nginx' : '',
      'container.privileged': false,
    });
  }
  return out;
}

function main(): void {
  const cold = performance.now();
  const first = loadAndCompile();
  const coldMs = performance.now() - cold;
  let warmMs = Infinity;
  let warm = first;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    warm = loadAndCompile();
    warmMs = Math.min(warmMs, performance.now() - t);
  }
  const rules = warm.rules;
  const fmt = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
  console.log(`upstream rules: ${rules.length} compiled`);
  console.log(`load+compile, cold (first in process): ${coldMs.toFixed(1)} ms  [${fmt(first.ms)}]`);
  console.log(`load+compile, warm (best of 3):        ${warmMs.toFixed(1)} ms  [${fmt(warm.ms)}]`);

  const events = syntheticEvents(N);
  for (const [key, col] of columns) {
    col.length = 0;
    for (const e of events) col.push(e[key]);
  }
  const typeCol = events.map((e) => e['evt.type'] as string);
  console.log('codegen (one generated function per condition, the default):');
  evaluate(rules, events.length, typeCol);
  console.log('closures (nested closures, for comparison):');
  evaluate(loadAndCompile('closures').rules, events.length, typeCol);
}

function evaluate(rules: Compiled[], n: number, typeCol: string[]): void {
  const cur: Cursor = { i: 0 };
  // naive: every rule on every event
  let matches = 0;
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    cur.i = i;
    for (const r of rules) if (r.fn(cur)) matches++;
  }
  let s = (performance.now() - t) / 1000;
  const evals = n * rules.length;
  console.log(
    `  naive:   ${n} events x ${rules.length} rules = ${evals} evaluations in ${s.toFixed(2)} s: ` +
      `${(evals / s / 1e6).toFixed(2)} M evals/s, ${(n / s / 1e3).toFixed(0)} k events/s, ${matches} matches`,
  );
  // indexed by event type, as the engine will do
  const byType = new Map<string, Compiled[]>();
  const always = rules.filter((r) => r.matchesAll);
  for (const r of rules) if (!r.matchesAll) for (const ty of r.types) byType.set(ty, [...(byType.get(ty) ?? []), r]);
  let indexedEvals = 0;
  matches = 0;
  t = performance.now();
  for (let i = 0; i < n; i++) {
    cur.i = i;
    const list = byType.get(typeCol[i]!);
    if (list) for (const r of list) {
      indexedEvals++;
      if (r.fn(cur)) matches++;
    }
    for (const r of always) {
      indexedEvals++;
      if (r.fn(cur)) matches++;
    }
  }
  s = (performance.now() - t) / 1000;
  console.log(
    `  indexed: ${indexedEvals} evaluations in ${s.toFixed(2)} s: ${(indexedEvals / s / 1e6).toFixed(2)} M evals/s, ` +
      `${(n / s / 1e3).toFixed(0)} k events/s, ${matches} matches`,
  );
}

main();

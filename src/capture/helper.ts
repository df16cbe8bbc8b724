import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';

/**
 * Finding, checking and starting the native helper (src/capture/helper/, built into
 * dist/helper/tsfalco-capture-helper by `npm install` or `npm run build:helper`).
 */

export const TOOLCHAIN_PACKAGES = 'clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make pkg-config';

/** The repository (or installed package) root: this file is src/capture/ or dist/src/capture/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../..');
}

export function helperPath(): string {
  return process.env.TSFALCO_HELPER ?? join(packageRoot(), 'dist', 'helper', 'tsfalco-capture-helper');
}

/** Capabilities in /proc/self/status, as a bit set. */
function effectiveCaps(): bigint {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt('0x' + m[1]) : 0n;
  } catch {
    return 0n;
  }
}

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/** What is missing for a capture, as one clear message; null when everything is there. */
export function capturePrerequisiteProblem(): string | null {
  if (process.platform !== 'linux') return 'tsfalco capture needs Linux (eBPF)';
  const caps = effectiveCaps();
  const has = (c: bigint) => ((caps >> c) & 1n) === 1n;
  if (process.geteuid?.() !== 0 && !(has(CAP_BPF) && has(CAP_PERFMON)) && !has(CAP_SYS_ADMIN)) {
    return 'tsfalco capture needs root (or CAP_BPF and CAP_PERFMON): run it with sudo';
  }
  if (!existsSync('/sys/kernel/btf/vmlinux')) {
    return 'this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): tsfalco capture needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (Linux 5.11 or later)';
  }
  if (!existsSync('/sys/fs/bpf') && !existsSync('/proc/sys/kernel/unprivileged_bpf_disabled')) {
    return 'this kernel has no eBPF support (CONFIG_BPF_SYSCALL): tsfalco capture cannot run here';
  }
  const helper = helperPath();
  try {
    accessSync(helper, constants.X_OK);
  } catch {
    return `the capture helper is not built (${helper} is missing): install the toolchain with "apt-get install -y ${TOOLCHAIN_PACKAGES}", then run "npm run build:helper"`;
  }
  return null;
}

export interface HelperOptions {
  syscalls: string;
  ringbufBytes: number;
  follow: number[];
  exclude: number[];
  comm?: string;
  cgroupIds: bigint[];
  env: boolean;
  snaplen: number;
  statsMs?: number;
}

export function helperArgs(o: HelperOptions): string[] {
  const args = ['--syscalls', o.syscalls, '--ringbuf', String(o.ringbufBytes), '--snaplen', String(o.snaplen)];
  for (const p of o.follow) args.push('--follow', String(p));
  for (const p of o.exclude) args.push('--exclude', String(p));
  for (const c of o.cgroupIds) args.push('--cgroup', String(c));
  if (o.comm) args.push('--comm', o.comm);
  if (o.env) args.push('--env');
  if (o.statsMs) args.push('--stats-ms', String(o.statsMs));
  return args;
}

export function startHelper(o: HelperOptions): ChildProcess {
  return spawn(helperPath(), helperArgs(o), { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The helper's exit codes (loader.c) as messages. */
export function helperFailure(code: number | null, stderr: string, signal?: NodeJS.Signals | null): UserError {
  const detail = stderr
    .split('\n')
    .map((l) => l.replace(/^tsfalco-capture-helper: /, '').trim())
    .filter((l) => l && !l.startsWith('libbpf:'))
    .pop();
  const libbpf = stderr.includes('libbpf:') ? ' (run with TSFALCO_DEBUG=1 to see libbpf\'s log)' : '';
  if (code === 3 || code === 4) return new UserError(`${detail ?? 'the kernel refused the BPF program'}${libbpf}`);
  if (code === null && signal) return new UserError(`capture helper killed by ${signal}${detail ? ` (its last words: ${detail})` : ''}`);
  return new UserError(`the capture helper failed (exit ${code ?? 'unknown'})${detail ? `: ${detail}` : ''}${libbpf}`);
}

import { describe, expect, it } from 'vitest';
import { cloneFlags, encodeDev, openFlags, protFlags } from '../../src/capture/convert.js';
import { ipv6Text } from '../../src/util/ip.js';
import { fcntlCmdToPpm, ptraceRequestToPpm } from '../../src/capture/ppm-codes.js';
import { DEFAULT_SYSCALLS, selectSyscalls } from '../../src/capture/syscalls.js';
import { VALUE_TABLES } from '../../src/scap/value-names.js';
import { PPM_CL, PPM_O } from '../../src/trace/flags.js';
import { tsfalco } from '../helpers/cli.js';
import { FALCO_RULES, upstreamIt, upstreamPath } from '../helpers/upstream.js';

function eventsOf(json: unknown, acc = new Set<string>()): Set<string> {
  if (Array.isArray(json)) json.forEach((x) => eventsOf(x, acc));
  else if (json && typeof json === 'object') {
    for (const [k, v] of Object.entries(json)) {
      if (k === 'events' && Array.isArray(v)) v.forEach((x) => acc.add(String(x)));
      else eventsOf(v, acc);
    }
  }
  return acc;
}

describe('capture syscall sets', () => {
  upstreamIt('the default set holds every syscall the upstream Falco rules look at', FALCO_RULES, () => {
    const r = tsfalco(['rules', 'list', ...FALCO_RULES.flatMap((f) => ['-r', upstreamPath(f)]), '--json']);
    expect(r.status).toBe(0);
    const used = eventsOf(JSON.parse(r.stdout));
    expect(used.size).toBeGreaterThan(30);
    const defaults = new Set(selectSyscalls('default').names.values());
    expect([...used].filter((t) => !defaults.has(t))).toEqual([]);
  }, { test: it.skipIf(process.arch !== 'x64') });

  it.skipIf(process.arch !== 'x64')('resolves default, all, lists and additions; unknown names are one clear error', () => {
    expect(selectSyscalls(undefined).names.size).toBe(DEFAULT_SYSCALLS.length);
    const all = selectSyscalls('all');
    expect(all.names.size).toBeGreaterThan(350);
    expect(all.names.get(0)).toBe('read');
    expect(all.names.get(17)).toBe('pread'); // pread64, under Falco's name
    const list = selectSyscalls('openat, execve');
    expect([...list.names.values()].sort()).toEqual(['execve', 'openat']);
    expect(list.helperArg.split(',').sort()).toEqual(['257:24', '59:8']);
    const plus = selectSyscalls('+read');
    expect(plus.names.size).toBe(DEFAULT_SYSCALLS.length + 1);
    // mmap and mprotect: only with PROT_EXEC in the default set (category flag 0x80).
    expect(selectSyscalls('default').helperArg.split(',')).toContain(`9:${1 | 0x80}`);
    expect(() => selectSyscalls('openat,frobnicate')).toThrow(/--events: unknown syscall "frobnicate"/);
  });
});

describe('kernel flags to Falco encodings', () => {
  it('open flags', () => {
    expect(openFlags(0)).toBe(PPM_O.RDONLY);
    expect(openFlags(0o1 | 0o100 | 0o1000)).toBe(PPM_O.WRONLY | PPM_O.CREAT | PPM_O.TRUNC);
    expect(openFlags(0o2 | 0o2000000 | 0o200000)).toBe(PPM_O.RDWR | PPM_O.CLOEXEC | PPM_O.DIRECTORY);
    expect(openFlags(0o20200000 | 0o2)).toBe(PPM_O.RDWR | PPM_O.TMPFILE);
    expect(openFlags(0o4010000)).toBe(PPM_O.RDONLY | PPM_O.SYNC | PPM_O.DSYNC);
    expect(openFlags(0o1 | 0o100, 0x100000)).toBe(PPM_O.WRONLY | PPM_O.CREAT | PPM_O.F_CREATED);
  });
  it('clone flags, prot, devices, IPv6 text', () => {
    // glibc's fork(): CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD
    expect(cloneFlags(0x1200011)).toBe(PPM_CL.CLONE_CHILD_SETTID | PPM_CL.CLONE_CHILD_CLEARTID);
    expect(cloneFlags(0x3d0f00n)).toBe(PPM_CL.CLONE_VM | PPM_CL.CLONE_FS | PPM_CL.CLONE_FILES | PPM_CL.CLONE_SIGHAND | PPM_CL.CLONE_THREAD | PPM_CL.CLONE_SYSVSEM | PPM_CL.CLONE_SETTLS | PPM_CL.CLONE_PARENT_SETTID | PPM_CL.CLONE_CHILD_CLEARTID);
    expect(protFlags(0x7)).toBe(7);
    expect(encodeDev((8 << 20) | 1)).toBe(0x801);
    expect(encodeDev((136 << 20) | 300)).toBe((300 & 0xff) | (136 << 8) | ((300 & ~0xff) << 12));
    const v6 = (hex: string) => ipv6Text(Uint8Array.from(Buffer.from(hex, 'hex')), 0);
    expect(v6('00000000000000000000000000000001')).toBe('::1');
    expect(v6('20010db8000000000001000000000001')).toBe('2001:db8::1:0:0:1');
    expect(v6('00000000000000000000ffff7f000001')).toBe('::ffff:127.0.0.1');
  });
  it('ptrace requests and fcntl commands in Falco\'s numbering, checked against libs\' value tables', () => {
    const ppm = (table: string, name: string) => VALUE_TABLES[table].find(([n]) => n === name)?.[1];
    // Linux (x86_64) numbers from <sys/ptrace.h> and <fcntl.h>, independent of the tables.
    const ptrace: [number, string][] = [[0, 'PTRACE_TRACEME'], [4, 'PTRACE_POKETEXT'], [12, 'PTRACE_GETREGS'], [16, 'PTRACE_ATTACH'], [17, 'PTRACE_DETACH'], [24, 'PTRACE_SYSCALL'], [0x4206, 'PTRACE_SEIZE'], [0x420b, 'PTRACE_SETSIGMASK']];
    for (const [linux, name] of ptrace) expect(ptraceRequestToPpm(linux), name).toBe(ppm('ptrace_requests', name));
    const fcntl: [number, string][] = [[0, 'F_DUPFD'], [1, 'F_GETFD'], [4, 'F_SETFL'], [6, 'F_SETLK'], [9, 'F_GETOWN'], [37, 'F_OFD_SETLK'], [1024, 'F_SETLEASE'], [1030, 'F_DUPFD_CLOEXEC'], [1032, 'F_GETPIPE_SZ']];
    for (const [linux, name] of fcntl) expect(fcntlCmdToPpm(linux), name).toBe(ppm('fcntl_commands', name));
    expect([ptraceRequestToPpm(999), fcntlCmdToPpm(999)]).toEqual([0, 0]);
  });
});

import { EF, EVENT_TABLE, latestCode } from './event-table.js';
import { SCAP_FD } from './format.js';
import { syscallCode } from './ppm-sc.js';

/**
 * Which libscap a written .scap file is for. The format only ever grows, but an older reader does
 * not know the event codes, fd types and process-list fields added after it was built:
 *
 * - `sysdig-0.29`: libs as of March 2022 (git e5c53d64), inside sysdig 0.29 (Debian's package).
 *   Its event table stops at code 336 (it silently skips events with a higher code), its syscall
 *   codes at 329, its fd types at 16 (it rejects a file with a higher one), and it reads the
 *   process list fields in the layout libs wrote before 0.10 (loginuid right after the root
 *   directory). Each syscall is written as the event pair that libs version's driver emitted for
 *   it (dup2 as `dup`, umount2 as `umount`…), or as a generic syscall event, or not at all when
 *   that libs had no code for it. Current libs reads these files too (it converts old layouts).
 * - `latest`: the newest event code of every syscall and the full process list, for current
 *   Falco, sysdig and Stratoshark.
 */
export type ScapTarget = 'sysdig-0.29' | 'latest';

/** How one event type of a trace is written. */
export type EventChoice =
  /** An enter/exit pair (`enter` is null for event types that only have one event, e.g. procexit). */
  | { kind: 'pair'; enter: number | null; exit: number | null }
  /** A generic syscall event pair (PPME_GENERIC_E/X) with this PPM_SC code. */
  | { kind: 'generic'; ppmSc: number }
  /** Nothing the target can read. */
  | { kind: 'none' };

export interface TargetProfile {
  readonly name: ScapTarget;
  /** Event codes below this are known to the reader. */
  readonly maxEventCode: number;
  /** PPM_SC codes below this are known to the reader. */
  readonly maxPpmSc: number;
  /** Highest fd type the reader accepts. */
  readonly maxFdType: number;
  /** Process list entries in the layout of libs < 0.10 (then tty, exe_ino… are not written). */
  readonly preLibs010ProcessList: boolean;
  choose(type: string): EventChoice;
  /** The generic syscall event for a type, when the target knows its syscall code. */
  genericOf(type: string): EventChoice;
}

const GENERIC_E = 0;

/**
 * Syscalls that libs of 2022 wrote under another event's name (its driver/syscall_table.c for
 * x86_64): the trace keeps the syscall's own name.
 */
const OLD_EVENT_NAME: Readonly<Record<string, string>> = {
  pipe2: 'pipe',
  eventfd2: 'eventfd',
  dup2: 'dup',
  dup3: 'dup',
  signalfd4: 'signalfd',
  inotify_init1: 'inotify_init',
  prlimit64: 'prlimit',
  umount2: 'umount',
  accept4: 'accept',
};

/** The exit code of `name` with the highest value below `limit`, and its enter code. */
function pairBelow(name: string, limit: number): EventChoice | null {
  let exit = -1;
  for (let c = 1; c < limit && c < EVENT_TABLE.length; c += 2) {
    const e = EVENT_TABLE[c];
    if (e.name === name && !(e.flags & EF.UNUSED)) exit = c;
  }
  if (exit < 0) {
    // Events that only have an enter half (procexit).
    let enter = -1;
    for (let c = 0; c < limit && c < EVENT_TABLE.length; c += 2) if (EVENT_TABLE[c].name === name) enter = c;
    return enter >= 0 ? { kind: 'pair', enter, exit: null } : null;
  }
  return { kind: 'pair', enter: EVENT_TABLE[exit - 1].name === name ? exit - 1 : null, exit };
}

function generic(type: string, maxPpmSc: number): EventChoice {
  // A generic event of a syscall its driver had no code for (read from a .scap): code 0 again.
  if (type === '<unknown>') return { kind: 'generic', ppmSc: 0 };
  const sc = syscallCode(type);
  return sc !== undefined && sc > 0 && sc < maxPpmSc ? { kind: 'generic', ppmSc: sc } : { kind: 'none' };
}

function cached(choose: (type: string) => EventChoice): (type: string) => EventChoice {
  const cache = new Map<string, EventChoice>();
  return (type) => {
    let c = cache.get(type);
    if (!c) {
      c = choose(type);
      cache.set(type, c);
    }
    return c;
  };
}

const SYSDIG_029: TargetProfile = {
  name: 'sysdig-0.29',
  maxEventCode: 336,
  maxPpmSc: 329,
  maxFdType: SCAP_FD.FILE_V2,
  preLibs010ProcessList: true,
  // (PPM_SC code 298, rt_sigreturn now, was named sigreturn there, and x86_64's rt_sigreturn used it.)
  choose: cached((type) => pairBelow(OLD_EVENT_NAME[type] ?? type, 336) ?? generic(type, 329)),
  genericOf: (type) => generic(type, 329),
};

const LATEST: TargetProfile = {
  name: 'latest',
  maxEventCode: EVENT_TABLE.length,
  maxPpmSc: Number.MAX_SAFE_INTEGER,
  maxFdType: SCAP_FD.PIDFD,
  preLibs010ProcessList: false,
  choose: cached((type) => {
    const exit = latestCode(type, '<');
    if (exit !== undefined) {
      const enter = EVENT_TABLE[exit - 1]?.name === type ? exit - 1 : (latestCode(type, '>') ?? null);
      return { kind: 'pair', enter, exit };
    }
    const enter = latestCode(type, '>');
    if (enter !== undefined) return { kind: 'pair', enter, exit: null };
    return generic(type, Number.MAX_SAFE_INTEGER);
  }),
  genericOf: (type) => generic(type, Number.MAX_SAFE_INTEGER),
};

export function targetProfile(target: ScapTarget): TargetProfile {
  return target === 'latest' ? LATEST : SYSDIG_029;
}

export { GENERIC_E };

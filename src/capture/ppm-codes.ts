/**
 * Linux request and command numbers → Falco's (libs' PPM_*) numbers, for the `op` column.
 *
 * The trace stores arguments in Falco's encodings (src/trace/README.md), so that a capture and a
 * .scap file mean the same thing: Falco's driver converts ptrace requests and fcntl commands to
 * its own numbering (PTRACE_ATTACH is 16 in Linux, 11 in libs), and evt.arg.request / evt.arg.cmd
 * name them by that numbering. x86_64 values. Unknown numbers become 0 (PTRACE_UNKNOWN,
 * UNKNOWN), as the driver does.
 */

const PTRACE: ReadonlyMap<number, number> = new Map([
  [0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 8], [8, 9], [9, 10], // TRACEME … SINGLESTEP
  [12, 26], [13, 27], [14, 28], [15, 29], // GETREGS, SETREGS, GETFPREGS, SETFPREGS
  [16, 11], [17, 12], // ATTACH, DETACH
  [18, 30], [19, 31], [21, 32], // GETFPXREGS, SETFPXREGS, OLDSETOPTIONS
  [24, 13], [25, 33], [26, 34], [30, 35], [31, 36], [32, 37], [33, 38], // SYSCALL, GET/SET_THREAD_AREA, ARCH_PRCTL, SYSEMU, SYSEMU_SINGLESTEP, SINGLEBLOCK
  [0x4200, 14], [0x4201, 15], [0x4202, 16], [0x4203, 17], [0x4204, 18], [0x4205, 19], // SETOPTIONS … SETREGSET
  [0x4206, 20], [0x4207, 21], [0x4208, 22], [0x4209, 23], [0x420a, 24], [0x420b, 25], // SEIZE … SETSIGMASK
]);

const FCNTL: ReadonlyMap<number, number> = new Map([
  [0, 1], [1, 2], [2, 3], [3, 4], [4, 5], // DUPFD, GETFD, SETFD, GETFL, SETFL
  [5, 6], [6, 8], [7, 9], [8, 10], [9, 12], [10, 13], [11, 15], // GETLK, SETLK, SETLKW, SETOWN, GETOWN, SETSIG, GETSIG
  [15, 21], [16, 22], [36, 30], [37, 31], [38, 32], // SETOWN_EX, GETOWN_EX, OFD_GETLK, OFD_SETLK, OFD_SETLKW
  [1024, 23], [1025, 24], [1026, 27], [1029, 25], [1030, 26], [1031, 28], [1032, 29], // SETLEASE … GETPIPE_SZ
]);

export const ptraceRequestToPpm = (linux: number): number => PTRACE.get(linux) ?? 0;
export const fcntlCmdToPpm = (linux: number): number => FCNTL.get(linux) ?? 0;

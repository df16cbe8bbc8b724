/**
 * What the .scap writer needs of the capture file format besides the block types (blocks.ts):
 * version, fd types and size limits, as libscap defines them (falcosecurity/libs
 * userspace/libscap/scap_savefile.h and scap.h). A file is a sequence of little-endian blocks,
 * each `u32 type, u32 total length, body, padding to 4 bytes, u32 total length again`:
 *
 * - the section header block (SHB) first: `u32 byte-order magic, u16 major, u16 minor, u64
 *   section length` (-1: unknown);
 * - metadata blocks: machine info, interface list, user list, process list, one fd list per
 *   process;
 * - event blocks: `u16 cpu, [u32 flags,] event`, where an event is a header `u64 ts, u64 tid,
 *   u32 len, u16 type, u32 nparams`, then nparams lengths (u16, or u32 in the *_LARGE blocks),
 *   then the parameter values back to back.
 */

export { BLOCK, SHB_MAGIC } from './blocks.js';

/** File format version libscap writes (1.2: block versions frozen, fields appended). */
export const SCAP_VERSION = { major: 1, minor: 2 } as const;

/** File descriptor types of fd list entries (scap_fd_type). */
export const SCAP_FD = {
  UNKNOWN: 0,
  FILE: 1,
  DIRECTORY: 2,
  IPV4_SOCK: 3,
  IPV6_SOCK: 4,
  IPV4_SERVSOCK: 5,
  IPV6_SERVSOCK: 6,
  FIFO: 7,
  UNIX_SOCK: 8,
  EVENT: 9,
  UNSUPPORTED: 10,
  SIGNALFD: 11,
  EVENTPOLL: 12,
  INOTIFY: 13,
  TIMERFD: 14,
  NETLINK: 15,
  FILE_V2: 16,
  BPF: 17,
  USERFAULTFD: 18,
  IOURING: 19,
  MEMFD: 20,
  PIDFD: 21,
} as const;

/** User list entry kinds. */
export const USERBLOCK = { USER: 0, GROUP: 1 } as const;

/** Longest strings libscap accepts in metadata blocks (it rejects the file beyond them). */
export const SCAP_MAX = {
  PATH: 1024,
  /** An fd's name in an fd list: strictly shorter than PATH ("invalid filename len 1024"). */
  FD_NAME: 1023,
  ARGS: 4096,
  ENV: 4096,
  CGROUPS: 4096,
  /** User and group names: strictly shorter than this. */
  CREDENTIALS: 256,
} as const;

/** Machine info block body: u32 cpus, u64 memory, u64 max pid, char hostname[128], 4 × u64. */
export const MACHINE_INFO_SIZE = 4 + 8 + 8 + 128 + 32;

/** Socket address families in event parameters (PPM_AF_*; the Linux values on every arch). */
export const PPM_AF = { UNSPEC: 0, UNIX: 1, INET: 2, INET6: 10 } as const;

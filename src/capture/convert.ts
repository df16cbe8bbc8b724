import { PPM_CL, PPM_O } from '../trace/flags.js';

/**
 * Kernel (x86_64 Linux) flag values to the encodings the trace stores (Falco's PPM_*), and
 * address formatting. Values from include/uapi/asm-generic/fcntl.h, linux/sched.h, mman.h.
 */

const O_WRONLY = 0o1;
const O_RDWR = 0o2;
const OPEN_BITS: ReadonlyArray<[number, number]> = [
  [0o100, PPM_O.CREAT],
  [0o200, PPM_O.EXCL],
  [0o1000, PPM_O.TRUNC],
  [0o2000, PPM_O.APPEND],
  [0o4000, PPM_O.NONBLOCK],
  [0o10000, PPM_O.DSYNC],
  [0o40000, PPM_O.DIRECT],
  [0o100000, PPM_O.LARGEFILE],
  [0o2000000, PPM_O.CLOEXEC],
];
const O_DIRECTORY = 0o200000;
const O_SYNC = 0o4010000;
const O_TMPFILE = 0o20200000;
const FMODE_CREATED = 0x100000;

/** open/openat flags to PPM_O_*; `fmode` (the opened file's f_mode) adds F_CREATED. */
export function openFlags(flags: number, fmode?: number): number {
  let out = (flags & O_RDWR) === O_RDWR ? PPM_O.RDWR : flags & O_WRONLY ? PPM_O.WRONLY : PPM_O.RDONLY;
  for (const [k, p] of OPEN_BITS) if (flags & k) out |= p;
  if ((flags & O_SYNC) === O_SYNC) out |= PPM_O.SYNC;
  if ((flags & O_TMPFILE) === O_TMPFILE) out |= PPM_O.TMPFILE;
  else if (flags & O_DIRECTORY) out |= PPM_O.DIRECTORY;
  if (fmode !== undefined && fmode & FMODE_CREATED) out |= PPM_O.F_CREATED;
  return out >>> 0;
}

/**
 * open/openat/openat2 mode to what libs records (open_modes_to_scap): the permission bits
 * (PPM_S_* are Linux's), and 0 unless the flags create a file (O_CREAT or O_TMPFILE).
 */
export function openMode(flags: number, mode: number): number {
  if ((flags & (0o100 | O_TMPFILE)) === 0) return 0;
  return (mode & 0o7777) >>> 0;
}

/** openat2's RESOLVE_* (linux/openat2.h) to PPM_RESOLVE_* (libs' openat2_resolve_to_scap). */
const RESOLVE_BITS: ReadonlyArray<[number, number]> = [
  [0x01, 1 << 4], // NO_XDEV
  [0x02, 1 << 2], // NO_MAGICLINKS
  [0x04, 1 << 3], // NO_SYMLINKS
  [0x08, 1 << 0], // BENEATH
  [0x10, 1 << 1], // IN_ROOT
  [0x20, 1 << 5], // CACHED
];
export function resolveFlags(resolve: number): number {
  let out = 0;
  for (const [k, p] of RESOLVE_BITS) if (resolve & k) out |= p;
  return out >>> 0;
}

const CLONE_BITS: ReadonlyArray<[number, number]> = [
  [0x100, PPM_CL.CLONE_VM],
  [0x200, PPM_CL.CLONE_FS],
  [0x400, PPM_CL.CLONE_FILES],
  [0x800, PPM_CL.CLONE_SIGHAND],
  [0x2000, PPM_CL.CLONE_PTRACE],
  [0x4000, PPM_CL.CLONE_VFORK],
  [0x8000, PPM_CL.CLONE_PARENT],
  [0x10000, PPM_CL.CLONE_THREAD],
  [0x20000, PPM_CL.CLONE_NEWNS],
  [0x40000, PPM_CL.CLONE_SYSVSEM],
  [0x80000, PPM_CL.CLONE_SETTLS],
  [0x100000, PPM_CL.CLONE_PARENT_SETTID],
  [0x200000, PPM_CL.CLONE_CHILD_CLEARTID],
  [0x800000, PPM_CL.CLONE_UNTRACED],
  [0x1000000, PPM_CL.CLONE_CHILD_SETTID],
  [0x2000000, PPM_CL.CLONE_NEWCGROUP],
  [0x4000000, PPM_CL.CLONE_NEWUTS],
  [0x8000000, PPM_CL.CLONE_NEWIPC],
  [0x10000000, PPM_CL.CLONE_NEWUSER],
  [0x20000000, PPM_CL.CLONE_NEWPID],
  [0x40000000, PPM_CL.CLONE_NEWNET],
  [0x80000000, PPM_CL.CLONE_IO],
];

/** clone/clone3/unshare/setns flags to PPM_CL_*. `flags` may exceed 32 bits (clone3). */
export function cloneFlags(flags: bigint | number): number {
  const low = Number(BigInt(flags) & 0xffffffffn);
  let out = 0;
  for (const [k, p] of CLONE_BITS) if ((low & k) >>> 0) out |= p;
  return out >>> 0;
}

/** mmap/mprotect prot to PPM_PROT_*. */
export function protFlags(prot: number): number {
  let out = prot & 0x7; // READ, WRITE, EXEC have the same bits
  if (prot & 0x8) out |= 1 << 3; // SEM
  if (prot & 0x01000000) out |= 1 << 4; // GROWSDOWN
  if (prot & 0x02000000) out |= 1 << 5; // GROWSUP
  return out >>> 0;
}

const MMAP_BITS: ReadonlyArray<[number, number]> = [
  [0x1, 1 << 0], // SHARED
  [0x2, 1 << 1], // PRIVATE
  [0x10, 1 << 2], // FIXED
  [0x20, 1 << 3], // ANONYMOUS
  [0x40, 1 << 4], // 32BIT
  [0x4000, 1 << 6], // NORESERVE
  [0x8000, 1 << 7], // POPULATE
  [0x10000, 1 << 8], // NONBLOCK
  [0x100, 1 << 9], // GROWSDOWN
  [0x800, 1 << 10], // DENYWRITE
  [0x1000, 1 << 11], // EXECUTABLE
  [0x2000, 1 << 14], // LOCKED
];

/** mmap flags to PPM_MAP_*. */
export function mmapFlags(flags: number): number {
  let out = 0;
  for (const [k, p] of MMAP_BITS) if (flags & k) out |= p;
  return out >>> 0;
}

/** The kernel's dev_t (major << 20 | minor) as Falco and /proc encode it (new_encode_dev). */
export function encodeDev(kdev: number): number {
  const major = kdev >>> 20;
  const minor = kdev & 0xfffff;
  return ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
}


/**
 * Flag encodings stored in the `flags`, `mode`, `prot` and `exe_flags` columns. They are Falco's
 * (scap's PPM_*) encodings, not the kernel's, so that traces from .scap files and from our capture
 * mean the same thing and `evt.rawarg.flags` shows what Falco shows. Values from libs'
 * driver/ppm_events_public.h.
 */

/** Open flags (open, openat, openat2, creat, and fd snapshot rows). */
export const PPM_O = {
  NONE: 0,
  RDONLY: 1 << 0,
  WRONLY: 1 << 1,
  RDWR: (1 << 0) | (1 << 1),
  CREAT: 1 << 2,
  APPEND: 1 << 3,
  DSYNC: 1 << 4,
  EXCL: 1 << 5,
  NONBLOCK: 1 << 6,
  SYNC: 1 << 7,
  TRUNC: 1 << 8,
  DIRECT: 1 << 9,
  DIRECTORY: 1 << 10,
  LARGEFILE: 1 << 11,
  CLOEXEC: 1 << 12,
  TMPFILE: 1 << 13,
  F_CREATED: 1 << 14,
  /** The file is in the upper / lower layer of an overlayfs (PPM_FD_UPPER_LAYER, PPM_FD_LOWER_LAYER). */
  FD_UPPER_LAYER: 1 << 15,
  FD_LOWER_LAYER: 1 << 16,
} as const;

/** creat's separate `creat_flags` parameter (PPM_FD_UPPER_LAYER_CREAT, PPM_FD_LOWER_LAYER_CREAT). */
export const PPM_CREAT = { UPPER_LAYER: 1 << 0, LOWER_LAYER: 1 << 1 } as const;

/** Clone flags (clone, clone3, fork, vfork). */
export const PPM_CL = {
  CLONE_FILES: 1 << 0,
  CLONE_FS: 1 << 1,
  CLONE_IO: 1 << 2,
  CLONE_NEWIPC: 1 << 3,
  CLONE_NEWNET: 1 << 4,
  CLONE_NEWNS: 1 << 5,
  CLONE_NEWPID: 1 << 6,
  CLONE_NEWUTS: 1 << 7,
  CLONE_PARENT: 1 << 8,
  CLONE_PARENT_SETTID: 1 << 9,
  CLONE_PTRACE: 1 << 10,
  CLONE_SIGHAND: 1 << 11,
  CLONE_SYSVSEM: 1 << 12,
  CLONE_THREAD: 1 << 13,
  CLONE_UNTRACED: 1 << 14,
  CLONE_VM: 1 << 15,
  CLONE_NEWUSER: 1 << 20,
  CLONE_CHILD_CLEARTID: 1 << 23,
  CLONE_CHILD_SETTID: 1 << 24,
  CLONE_SETTLS: 1 << 25,
  CLONE_STOPPED: 1 << 26,
  CLONE_VFORK: 1 << 27,
  CLONE_NEWCGROUP: 1 << 28,
  /** The new thread is not in the init pid namespace. */
  CHILD_IN_PIDNS: 1 << 29,
} as const;

/** Executable properties (execve/execveat exit, `exe_flags`). */
export const PPM_EXE = {
  WRITABLE: 1 << 0,
  UPPER_LAYER: 1 << 1,
  FROM_MEMFD: 1 << 2,
  LOWER_LAYER: 1 << 3,
} as const;

/** fcntl commands (PPM_FCNTL_*) that create an fd: the trace marks their rows with `fd2` = the new fd. */
export const PPM_FCNTL_CREATES_FD: ReadonlySet<number> = new Set([1 /* F_DUPFD */, 26 /* F_DUPFD_CLOEXEC */]);

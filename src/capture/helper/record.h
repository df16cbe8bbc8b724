/*
 * The binary records the helper writes to its stdout, shared by the BPF program and the loader.
 * The layout is documented in src/capture/README.md and decoded by src/capture/decode.ts: keep
 * the three in step (TSF_PROTOCOL_VERSION changes when the layout does).
 *
 * Every record starts with a 4-byte prefix { u16 size; u8 kind; u8 flags }, size counting the
 * whole record. All integers are little-endian (the host's order; x86_64 and arm64 only).
 */
#ifndef TSF_RECORD_H
#define TSF_RECORD_H

#define TSF_PROTOCOL_VERSION 1
#define TSF_MAGIC 0x31465354 /* "TSF1" */

/* Record kinds. */
#define REC_SYSCALL 1 /* a completed syscall (or exit_group, recorded at entry) */
#define REC_PROCEXIT 2 /* sched_process_exit: a thread ended */
#define REC_STATS 3 /* written by the loader: per-cpu counters */
#define REC_HELLO 4 /* written by the loader, first record of the stream */

/* Record flags. */
#define REC_F_NO_EXIT 1 /* recorded at syscall entry: the syscall never returns (exit, exit_group) */
#define REC_F_TRUNCATED 2 /* some item did not fit in the record */

/* Syscall categories: what the BPF side reads besides the header and the raw arguments. */
#define CAT_PLAIN 1 /* nothing more */
#define CAT_PATH0 2 /* user string at arg0 -> ITEM_PATH */
#define CAT_PATH1 3 /* user string at arg1 -> ITEM_PATH */
#define CAT_PATH01 4 /* arg0 -> ITEM_PATH, arg1 -> ITEM_PATH2 (rename, link, symlink) */
#define CAT_PATH13 5 /* arg1 -> ITEM_PATH, arg3 -> ITEM_PATH2 (renameat, renameat2, linkat) */
#define CAT_PATH02 6 /* arg0 -> ITEM_PATH, arg2 -> ITEM_PATH2 (symlinkat) */
#define CAT_MOUNT 7 /* arg0 -> PATH, arg1 -> PATH2, arg2 -> NAME */
#define CAT_EXECVE 8 /* filename at arg0 (read at entry), process image at exit */
#define CAT_EXECVEAT 9 /* filename at arg1 (read at entry), process image at exit */
#define CAT_CLONE 10 /* clone, fork, vfork: ITEM_PROC */
#define CAT_CLONE3 11 /* clone3: ITEM_PROC + ITEM_CLONE3 (clone_args.flags) */
#define CAT_CONNECT 12 /* fd arg0, sockaddr arg1/len arg2 -> ITEM_SOCKADDR + ITEM_SOCK of fd */
#define CAT_ACCEPT 13 /* ITEM_SOCK of the returned fd */
#define CAT_BIND 14 /* sockaddr arg1/len arg2 -> ITEM_SOCKADDR, ITEM_SOCK of fd arg0 */
#define CAT_SENDTO 15 /* ITEM_SOCK of fd arg0, ITEM_SOCKADDR of arg4/arg5 (dest), ITEM_DATA of arg1 */
#define CAT_RECVFROM 16 /* ITEM_SOCK of fd arg0, ITEM_DATA of arg1 (ret bytes) */
#define CAT_MSG 17 /* sendmsg, recvmsg: ITEM_SOCK of fd arg0 */
#define CAT_RW 18 /* read/write family: ITEM_DATA of arg1 (write: arg2 bytes, read: ret bytes) */
#define CAT_NAME0 19 /* user string at arg0 -> ITEM_NAME (memfd_create) */
#define CAT_PRCTL 20 /* PR_SET_NAME: user string at arg1 -> ITEM_NAME */
#define CAT_NAME1 21 /* user string at arg1 -> ITEM_NAME (finit_module uargs) */
#define CAT_NAME2 22 /* user string at arg2 -> ITEM_NAME (init_module uargs) */
#define CAT_OPEN 23 /* path arg0 + ITEM_FILE of the returned fd (open, creat) */
#define CAT_OPENAT 24 /* path arg1 + ITEM_FILE of the returned fd (openat) */
#define CAT_FDPAIR0 25 /* int[2] at arg0 -> ITEM_FDPAIR (pipe, pipe2) */
#define CAT_FDPAIR3 26 /* int[2] at arg3 -> ITEM_FDPAIR (socketpair) */
#define CAT_SOCKFD 27 /* ITEM_SOCK of fd arg0 (listen, shutdown) */
#define CAT_CAPSET 28 /* ITEM_PROC after the change */
#define CAT_EXIT 29 /* exit, exit_group: recorded at entry (REC_F_NO_EXIT) */
#define CAT_READ 30 /* like CAT_RW but the data is what was read (ret bytes) */
#define CAT_OPENAT2 31 /* openat2: path arg1 + ITEM_OPEN_HOW (struct open_how at arg2, arg3 bytes) + ITEM_FILE */
/* Category flag: record mmap/mprotect only when prot (arg2) has PROT_EXEC. */
#define CAT_F_EXEC_ONLY 0x80
#define CAT_MASK 0x7f

/* Items that follow the fixed part of a syscall record: { u16 tag; u16 len; u8 data[len] }. */
#define ITEM_PATH 1 /* user string, no NUL */
#define ITEM_PATH2 2
#define ITEM_NAME 3
#define ITEM_SOCKADDR 4 /* raw struct sockaddr as the process passed it */
#define ITEM_SOCK 5 /* struct item_sock: the kernel socket's addresses */
#define ITEM_ARGV 6 /* the new image's argv area: NUL-separated strings */
#define ITEM_ENV 7 /* the new image's environment area: NUL-separated strings */
#define ITEM_EXEPATH 8 /* path components of the executable, leaf first, each NUL-terminated */
#define ITEM_CWD 9 /* path components of the cwd, leaf first, each NUL-terminated */
#define ITEM_CGROUP 10 /* cgroup v2 path components, leaf first, each NUL-terminated */
#define ITEM_PROC 11 /* struct item_proc */
#define ITEM_FILE 12 /* struct item_file: what an open returned */
#define ITEM_DATA 13 /* first snaplen bytes of data read or written */
#define ITEM_CLONE3 14 /* u64 clone_args.flags */
#define ITEM_FDPAIR 15 /* int32 fds[2] */
#define ITEM_FILENAME 16 /* execve filename read at entry */
#define ITEM_OPEN_HOW 17 /* struct item_open_how: openat2's struct open_how, kernel values */

struct rec_prefix {
	__u16 size;
	__u8 kind;
	__u8 flags;
};

/* REC_SYSCALL: 128 bytes, then items. */
struct rec_syscall {
	__u16 size;
	__u8 kind;
	__u8 flags;
	__u16 nr; /* syscall number (native ABI) */
	__u16 cpu;
	__u64 ts; /* CLOCK_BOOTTIME ns at exit (at entry for REC_F_NO_EXIT) */
	__u64 latency; /* exit - entry, ns */
	__s64 ret;
	__u32 tid, pid, ppid;
	__u32 uid, gid, euid, egid;
	__u32 loginuid;
	char comm[16];
	__u64 args[6];
};

/* REC_PROCEXIT: 64 bytes. */
struct rec_procexit {
	__u16 size;
	__u8 kind;
	__u8 flags;
	__u16 pad;
	__u16 cpu;
	__u64 ts;
	__u32 tid, pid, ppid;
	__s32 exit_code; /* task->exit_code: status << 8 | signal */
	__u32 uid, euid;
	char comm[16];
};

struct item_hdr {
	__u16 tag;
	__u16 len;
};

struct item_sock {
	__u8 family; /* AF_* */
	__u8 type; /* SOCK_* */
	__u8 proto; /* IPPROTO_* */
	__u8 pad;
	__u16 lport; /* host order */
	__u16 rport;
	__u8 laddr[16]; /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
};

struct item_proc {
	__u32 tty; /* new_encode_dev(tty_devnum) as /proc/PID/stat's tty_nr, 0 = none */
	__s32 pgid; /* in the task's pid namespace */
	__s32 sid;
	__s32 vtid;
	__s32 vpid;
	__u32 exe_flags; /* PPM_EXE_* */
	__u64 exe_ino;
	__u64 exe_ctime; /* ns since the epoch */
	__u64 exe_mtime;
	__u64 cap_inheritable;
	__u64 cap_permitted;
	__u64 cap_effective;
	__u64 start_boottime; /* thread group leader's start, CLOCK_BOOTTIME ns */
};

struct item_file {
	__u32 dev; /* kernel dev_t (major << 20 | minor) */
	__u32 mode; /* i_mode */
	__u64 ino;
	__u32 f_mode; /* FMODE_* (FMODE_CREATED = 0x100000) */
	__u32 pad;
};

/* openat2's struct open_how as the process passed it (read at exit; kernel O_* and RESOLVE_*
 * values, converted to Falco's encodings by the decoder). Only when arg3 (its size) is at least
 * 24 bytes, the kernel's smallest accepted size, and the read succeeded. */
struct item_open_how {
	__u64 flags; /* O_* */
	__u64 mode;
	__u64 resolve; /* RESOLVE_* */
};

/* Counters per cpu, read by the loader for REC_STATS. */
struct cpu_counters {
	__u64 events; /* records the kernel side tried to emit */
	__u64 drops; /* of those, lost because the ring buffer was full */
};

/* REC_HELLO: the loader's first record. */
struct rec_hello {
	__u16 size;
	__u8 kind;
	__u8 flags;
	__u32 magic;
	__u32 version;
	__u32 ncpus;
	__s64 boot_to_realtime_ns; /* add to CLOCK_BOOTTIME ns to get ns since the epoch */
	__u32 helper_pid;
	__u32 ringbuf_bytes;
};

/* REC_STATS: header then ncpus x struct cpu_counters. */
struct rec_stats {
	__u16 size;
	__u8 kind;
	__u8 flags;
	__u32 ncpus;
	__u64 ts; /* CLOCK_BOOTTIME ns */
	/* struct cpu_counters counters[ncpus]; */
};

#endif

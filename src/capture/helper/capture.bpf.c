// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tsfalco's kernel side: one record per completed syscall of the selected set, plus process
 * exits, into one ring buffer. Arguments are stashed per thread at sys_enter (task storage) and
 * the record is built at sys_exit, so that a record holds both the arguments and the result.
 *
 * CO-RE: types come from vmlinux.h, generated at build time from /sys/kernel/btf/vmlinux.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "record.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define REC_MAX 16384 /* largest record */
#define REC_MASK (REC_MAX - 1)
#define STR_MAX 4096 /* a path or a user string */
#define NAME_MAX_ 256 /* one path component */
#define AREA_MAX 4096 /* argv or environment area */
#define DATA_MAX 256 /* snaplen cap */
#define PATH_DEPTH 32 /* path components walked */
#define SYSCALL_SLOTS 512

#define PROT_EXEC 4
#define PR_SET_NAME 15
#define FMODE_CREATED 0x100000
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define SB_RDONLY 1
#define S_IMMUTABLE 8
#define S_IWOTH 00002
#define S_IWGRP 00020
#define CAP_DAC_OVERRIDE 1
#define PPM_EXE_WRITABLE 1
#define PPM_EXE_UPPER_LAYER 2
#define PPM_EXE_FROM_MEMFD 4
#define PPM_EXE_LOWER_LAYER 8

/* Settings, fixed before load by the loader. */
const volatile __u32 self_tgid = 0; /* the loader */
const volatile __u32 follow_mode = 0; /* record only the tgids in `followed` (and their children) */
const volatile __u32 comm_filter = 0; /* record only threads whose comm is `comm_value` */
const volatile char comm_value[16] = {};
const volatile __u32 cgroup_filter = 0; /* record only tasks whose cgroup id is in `cgroups` */
const volatile __u32 capture_env = 0;
const volatile __u32 snaplen = 0;
/* Ring buffer wakeups: records are written without waking the reader (BPF_RB_NO_WAKEUP), which
 * polls on a short timer instead; once `wakeup_bytes` are waiting the reader is woken at once, at
 * most every `wakeup_gap_ns` per cpu. 0 = the kernel's default (a wakeup per record whenever the
 * reader has caught up), which costs an interrupt per record: most of the tracing cost. */
const volatile __u32 wakeup_bytes = 0;
const volatile __u64 wakeup_gap_ns = 1000000;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by the loader */
} events SEC(".maps");

/* Per syscall number: 0 = not recorded, else CAT_* | CAT_F_*. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_SLOTS);
	__type(key, __u32);
	__type(value, __u8);
} syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_counters);
} counters SEC(".maps");

/* Record scratch space, twice the largest record so that bounded writes past REC_MAX stay inside. */
struct scratch {
	char buf[REC_MAX * 2];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/* Process filters. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} followed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} excluded SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} cgroups SEC(".maps");

/* What sys_enter saw, for sys_exit. */
struct stash {
	__u64 ts;
	__u64 args[6];
	__u32 nr;
	__u32 active; /* 1 between a recorded enter and its exit */
	__u32 filename_len;
	char filename[STR_MAX]; /* execve/execveat only: the user memory is gone after exec */
};
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct stash);
} stashes SEC(".maps");

/* Per cpu: when this cpu last forced a wakeup. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last_wakeup SEC(".maps");

static __always_inline __u64 output_flags(__u64 now)
{
	if (!wakeup_bytes)
		return 0;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&last_wakeup, &zero);
	if (!last)
		return 0;
	if (now - *last < wakeup_gap_ns)
		return BPF_RB_NO_WAKEUP;
	*last = now;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void count(int dropped)
{
	__u32 zero = 0;
	struct cpu_counters *c = bpf_map_lookup_elem(&counters, &zero);
	if (!c)
		return;
	c->events++;
	if (dropped)
		c->drops++;
}

static __always_inline int traced(struct task_struct *task, __u32 tgid)
{
	if (tgid == self_tgid)
		return 0;
	if (bpf_map_lookup_elem(&excluded, &tgid))
		return 0;
	if (follow_mode && !bpf_map_lookup_elem(&followed, &tgid))
		return 0;
	if (comm_filter) {
		char comm[16];
		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < 16; i++) {
			if (comm[i] != comm_value[i])
				return 0;
			if (comm[i] == 0)
				break;
		}
	}
	if (cgroup_filter) {
		__u64 id = bpf_get_current_cgroup_id();
		if (!bpf_map_lookup_elem(&cgroups, &id))
			return 0;
	}
	return 1;
}

/* The fixed part every syscall record starts with. */
static __always_inline void fill_header(struct rec_syscall *r, struct task_struct *task, __u64 pid_tgid)
{
	r->kind = REC_SYSCALL;
	r->flags = 0;
	r->cpu = bpf_get_smp_processor_id();
	r->tid = (__u32)pid_tgid;
	r->pid = pid_tgid >> 32;
	/* `task` is a trusted BTF pointer (tp_btf): plain loads, no bpf_probe_read_kernel calls. */
	r->ppid = task->real_parent->tgid;
	const struct cred *cred = task->cred;
	r->uid = cred->uid.val;
	r->gid = cred->gid.val;
	r->euid = cred->euid.val;
	r->egid = cred->egid.val;
	if (bpf_core_field_exists(task->loginuid))
		r->loginuid = task->loginuid.val;
	else
		r->loginuid = (__u32)-1;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
}

static __always_inline __u32 put_hdr(char *buf, __u32 at, __u16 tag, __u32 len)
{
	at &= REC_MASK;
	struct item_hdr *h = (struct item_hdr *)(buf + at);
	h->tag = tag;
	h->len = len;
	return at + sizeof(*h) + len;
}

/* Appends a user string as an item; returns the new end (unchanged when absent or no room). */
static __noinline __u32 add_user_str(char *buf, __u32 off, __u16 tag, const char *uptr)
{
	off &= REC_MASK;
	if (!uptr || off > REC_MAX - STR_MAX - 8)
		return off;
	long n = bpf_probe_read_user_str(buf + off + sizeof(struct item_hdr), STR_MAX, uptr);
	if (n <= 0)
		return off;
	return put_hdr(buf, off, tag, n - 1);
}

/* Appends `len` bytes of user memory (at most AREA_MAX) as an item. */
static __noinline __u32 add_user_bytes(char *buf, __u32 off, __u16 tag, const void *uptr, __u64 len)
{
	off &= REC_MASK;
	if (!uptr || off > REC_MAX - AREA_MAX - 8)
		return off;
	if (len > AREA_MAX)
		len = AREA_MAX;
	if (len == 0)
		return off;
	if (bpf_probe_read_user(buf + off + sizeof(struct item_hdr), len & (AREA_MAX * 2 - 1), uptr))
		return off;
	return put_hdr(buf, off, tag, len);
}

static __always_inline __u32 add_fixed(char *buf, __u32 off, __u16 tag, const void *src, __u32 len)
{
	off &= REC_MASK;
	if (off > REC_MAX - 512)
		return off;
	__builtin_memcpy(buf + off + sizeof(struct item_hdr), src, len);
	return put_hdr(buf, off, tag, len);
}

/* Path components of (dentry, vfsmount), leaf first, each NUL-terminated, crossing mounts. */
static __noinline __u32 add_dpath(char *buf, __u32 off, __u16 tag, struct dentry *d, struct vfsmount *vm)
{
	off &= REC_MASK;
	if (off > REC_MAX - PATH_DEPTH * NAME_MAX_ - 8 || !d || !vm)
		return off;
	__u32 start = off;
	__u32 end = off + sizeof(struct item_hdr);
	struct mount *mnt = container_of(vm, struct mount, mnt);
	for (int i = 0; i < PATH_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		struct dentry *mnt_root = BPF_CORE_READ(vm, mnt_root);
		/* A pseudo dentry (memfd, pipe, anonymous inode) is its own parent: its name is all. */
		int pseudo = d == parent && d != mnt_root;
		if (d == mnt_root || (d == parent && !pseudo)) {
			struct mount *mparent = BPF_CORE_READ(mnt, mnt_parent);
			if (mparent == mnt || !mparent)
				break;
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mparent;
			vm = &mparent->mnt;
			continue;
		}
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		end &= REC_MASK;
		if (end > REC_MAX - NAME_MAX_ - 8)
			break;
		long n = bpf_probe_read_kernel_str(buf + end, NAME_MAX_, name);
		if (n <= 0)
			break;
		end += n;
		if (pseudo)
			break;
		d = parent;
	}
	return put_hdr(buf, start, tag, end - start - sizeof(struct item_hdr));
}

struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

/* The cgroup v2 path of the task, leaf first. */
static __noinline __u32 add_cgroup(char *buf, __u32 off, struct task_struct *task)
{
	off &= REC_MASK;
	if (off > REC_MAX - 16 * NAME_MAX_ - 8)
		return off;
	struct kernfs_node *kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	__u32 end = off + sizeof(struct item_hdr);
	for (int i = 0; i < 16 && kn; i++) {
		struct kernfs_node *parent;
		if (bpf_core_field_exists(kn->__parent))
			parent = BPF_CORE_READ(kn, __parent);
		else
			parent = BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
		if (!parent)
			break; /* the root's name is "/" or "", not a component */
		const char *name = BPF_CORE_READ(kn, name);
		end &= REC_MASK;
		if (end > REC_MAX - NAME_MAX_ - 8)
			break;
		long n = bpf_probe_read_kernel_str(buf + end, NAME_MAX_, name);
		if (n <= 0)
			break;
		end += n;
		kn = parent;
	}
	return put_hdr(buf, off, ITEM_CGROUP, end - off - sizeof(struct item_hdr));
}

static __always_inline struct file *fd_file(struct task_struct *task, __s64 fd)
{
	if (fd < 0)
		return NULL;
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The kernel's view of a socket fd: family, type, protocol, local and remote address. */
static __noinline __u32 add_sock(char *buf, __u32 off, struct task_struct *task, __s64 fd)
{
	struct file *f = fd_file(task, fd);
	if (!f)
		return off;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	/* Only socket files: their f_op is socket_file_ops, their inode a socket inode. Checking the
	 * socket's back pointer to the file is cheap and reliable. */
	if (!sock || BPF_CORE_READ(sock, file) != f)
		return off;
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return off;
	struct item_sock s = {};
	s.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	s.type = BPF_CORE_READ(sk, sk_type);
	s.proto = BPF_CORE_READ(sk, sk_protocol);
	s.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	s.rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (s.family == 2) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(s.laddr, &l, 4);
		__builtin_memcpy(s.raddr, &r, 4);
	} else if (s.family == 10) {
		BPF_CORE_READ_INTO(&s.laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&s.raddr, sk, __sk_common.skc_v6_daddr);
	}
	return add_fixed(buf, off, ITEM_SOCK, &s, sizeof(s));
}

static __noinline __u32 add_file(char *buf, __u32 off, struct task_struct *task, __s64 fd)
{
	struct file *f = fd_file(task, fd);
	if (!f)
		return off;
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	struct item_file it = {};
	it.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	it.mode = BPF_CORE_READ(inode, i_mode);
	it.ino = BPF_CORE_READ(inode, i_ino);
	it.f_mode = BPF_CORE_READ(f, f_mode);
	return add_fixed(buf, off, ITEM_FILE, &it, sizeof(it));
}

struct inode___old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

static __always_inline __u64 inode_ctime(struct inode *inode)
{
	if (bpf_core_field_exists(inode->i_ctime_sec))
		return BPF_CORE_READ(inode, i_ctime_sec) * 1000000000ULL + BPF_CORE_READ(inode, i_ctime_nsec);
	struct inode___old *o = (void *)inode;
	return BPF_CORE_READ(o, i_ctime.tv_sec) * 1000000000ULL + BPF_CORE_READ(o, i_ctime.tv_nsec);
}

static __always_inline __u64 inode_mtime(struct inode *inode)
{
	if (bpf_core_field_exists(inode->i_mtime_sec))
		return BPF_CORE_READ(inode, i_mtime_sec) * 1000000000ULL + BPF_CORE_READ(inode, i_mtime_nsec);
	struct inode___old *o = (void *)inode;
	return BPF_CORE_READ(o, i_mtime.tv_sec) * 1000000000ULL + BPF_CORE_READ(o, i_mtime.tv_nsec);
}

/* Falco's proc.is_exe_writable: owner, group or other write bit, or CAP_DAC_OVERRIDE; never on a
 * read-only file system or an immutable file. */
static __always_inline int exe_writable(struct task_struct *task, struct inode *inode)
{
	__u16 mode = BPF_CORE_READ(inode, i_mode);
	if (BPF_CORE_READ(inode, i_sb, s_flags) & SB_RDONLY)
		return 0;
	if (BPF_CORE_READ(inode, i_flags) & S_IMMUTABLE)
		return 0;
	const struct cred *cred = BPF_CORE_READ(task, cred);
	__u32 fsuid = BPF_CORE_READ(cred, fsuid.val);
	__u32 fsgid = BPF_CORE_READ(cred, fsgid.val);
	if (fsuid == BPF_CORE_READ(inode, i_uid.val))
		return 1;
	if (mode & S_IWOTH)
		return 1;
	if (fsgid == BPF_CORE_READ(inode, i_gid.val) && (mode & S_IWGRP))
		return 1;
	__u64 caps = BPF_CORE_READ(cred, cap_effective.val);
	return (caps >> CAP_DAC_OVERRIDE) & 1;
}

static __always_inline __s32 pid_nr_in_ns(struct pid *pid, __u32 level)
{
	if (!pid)
		return 0;
	if (level > 31)
		return 0;
	/* struct upid numbers[] is a flexible array: numbers[level].nr */
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level]);
	return up.nr;
}

/* Process state for execve and clone rows: tty, sessions, namespaced ids, executable, caps. */
static __noinline __u32 add_proc(char *buf, __u32 off, struct task_struct *task, int with_exe)
{
	struct item_proc p = {};
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct tty_struct *tty = BPF_CORE_READ(sig, tty);
	if (tty) {
		__u32 major = BPF_CORE_READ(tty, driver, major);
		__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		p.tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
	}
	struct pid *tpid = BPF_CORE_READ(task, thread_pid);
	__u32 level = BPF_CORE_READ(tpid, level);
	p.vtid = pid_nr_in_ns(tpid, level);
	p.vpid = pid_nr_in_ns(BPF_CORE_READ(task, group_leader, thread_pid), level);
	p.pgid = pid_nr_in_ns(BPF_CORE_READ(sig, pids[PIDTYPE_PGID]), level);
	p.sid = pid_nr_in_ns(BPF_CORE_READ(sig, pids[PIDTYPE_SID]), level);
	const struct cred *cred = BPF_CORE_READ(task, cred);
	p.cap_inheritable = BPF_CORE_READ(cred, cap_inheritable.val);
	p.cap_permitted = BPF_CORE_READ(cred, cap_permitted.val);
	p.cap_effective = BPF_CORE_READ(cred, cap_effective.val);
	p.start_boottime = BPF_CORE_READ(task, group_leader, start_boottime);
	if (with_exe) {
		struct file *exe = BPF_CORE_READ(task, mm, exe_file);
		if (exe) {
			struct inode *inode = BPF_CORE_READ(exe, f_inode);
			p.exe_ino = BPF_CORE_READ(inode, i_ino);
			p.exe_ctime = inode_ctime(inode);
			p.exe_mtime = inode_mtime(inode);
			if (exe_writable(task, inode))
				p.exe_flags |= PPM_EXE_WRITABLE;
			char name[8] = {};
			bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
			if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':')
				p.exe_flags |= PPM_EXE_FROM_MEMFD;
			if (BPF_CORE_READ(inode, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
				/* struct ovl_inode keeps the upper dentry right after its vfs inode. */
				struct dentry *upper = NULL;
				bpf_probe_read_kernel(&upper, sizeof(upper), (char *)inode + bpf_core_type_size(struct inode));
				if (upper && BPF_CORE_READ(upper, d_inode, i_ino) == p.exe_ino)
					p.exe_flags |= PPM_EXE_UPPER_LAYER;
				else
					p.exe_flags |= PPM_EXE_LOWER_LAYER;
			}
		}
	}
	return add_fixed(buf, off, ITEM_PROC, &p, sizeof(p));
}

/* The new image after a successful execve: argv, env, executable path, cwd, cgroup, process. */
static __noinline __u32 add_exec_image(char *buf, __u32 off, struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long as = BPF_CORE_READ(mm, arg_start), ae = BPF_CORE_READ(mm, arg_end);
	off = add_user_bytes(buf, off, ITEM_ARGV, (void *)as, ae - as);
	if (capture_env) {
		unsigned long es = BPF_CORE_READ(mm, env_start), ee = BPF_CORE_READ(mm, env_end);
		off = add_user_bytes(buf, off, ITEM_ENV, (void *)es, ee - es);
	}
	struct file *exe = BPF_CORE_READ(mm, exe_file);
	if (exe)
		off = add_dpath(buf, off, ITEM_EXEPATH, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt));
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	off = add_dpath(buf, off, ITEM_CWD, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt));
	off = add_cgroup(buf, off, task);
	off = add_proc(buf, off, task, 1);
	return off;
}

static __always_inline __u8 category_of(__u32 nr)
{
	if (nr >= SYSCALL_SLOTS)
		return 0;
	__u8 *cat = bpf_map_lookup_elem(&syscalls, &nr);
	return cat ? *cat : 0;
}

static __always_inline void emit(char *buf, __u32 size, __u64 now)
{
	size &= REC_MASK;
	if (size < sizeof(struct rec_syscall))
		return;
	((struct rec_prefix *)buf)->size = size;
	count(bpf_ringbuf_output(&events, buf, size, output_flags(now)) != 0);
}

/* Items for the completed syscall, by category. */
static __noinline __u32 add_items(char *buf, struct task_struct *task, __u8 cat, struct stash *st, __s64 ret)
{
	__u32 off = sizeof(struct rec_syscall);
	__u64 *a = st->args;
	switch (cat) {
	case CAT_PATH0:
		return add_user_str(buf, off, ITEM_PATH, (const char *)a[0]);
	case CAT_PATH1:
		return add_user_str(buf, off, ITEM_PATH, (const char *)a[1]);
	case CAT_PATH01:
		off = add_user_str(buf, off, ITEM_PATH, (const char *)a[0]);
		return add_user_str(buf, off, ITEM_PATH2, (const char *)a[1]);
	case CAT_PATH13:
		off = add_user_str(buf, off, ITEM_PATH, (const char *)a[1]);
		return add_user_str(buf, off, ITEM_PATH2, (const char *)a[3]);
	case CAT_PATH02:
		off = add_user_str(buf, off, ITEM_PATH, (const char *)a[0]);
		return add_user_str(buf, off, ITEM_PATH2, (const char *)a[2]);
	case CAT_MOUNT:
		off = add_user_str(buf, off, ITEM_PATH, (const char *)a[0]);
		off = add_user_str(buf, off, ITEM_PATH2, (const char *)a[1]);
		return add_user_str(buf, off, ITEM_NAME, (const char *)a[2]);
	case CAT_OPEN:
		off = add_user_str(buf, off, ITEM_PATH, (const char *)a[0]);
		return ret >= 0 ? add_file(buf, off, task, ret) : off;
	case CAT_OPENAT:
		off = add_user_str(buf, off, ITEM_PATH, (const char *)a[1]);
		return ret >= 0 ? add_file(buf, off, task, ret) : off;
	case CAT_OPENAT2: {
		off = add_user_str(buf, off, ITEM_PATH, (const char *)a[1]);
		/* struct open_how is in the process's memory, still there at exit. Its first 24 bytes
		 * (flags, mode, resolve: all libs records) exist whenever the kernel accepted the size
		 * (it refuses less than 24 with EINVAL); a later, longer version only adds fields. */
		struct item_open_how how = {};
		if (a[3] >= sizeof(how) && bpf_probe_read_user(&how, sizeof(how), (void *)a[2]) == 0)
			off = add_fixed(buf, off, ITEM_OPEN_HOW, &how, sizeof(how));
		return ret >= 0 ? add_file(buf, off, task, ret) : off;
	}
	case CAT_EXECVE:
	case CAT_EXECVEAT: {
		__u32 len = st->filename_len & (STR_MAX - 1);
		barrier_var(len);
		if (len > 0) {
			off &= REC_MASK;
			bpf_probe_read_kernel(buf + off + sizeof(struct item_hdr), len, st->filename);
			off = put_hdr(buf, off, ITEM_FILENAME, len);
		}
		if (ret == 0)
			return add_exec_image(buf, off, task);
		return off;
	}
	case CAT_CLONE:
		return add_proc(buf, off, task, 0);
	case CAT_CLONE3: {
		__u64 flags = 0;
		if (bpf_probe_read_user(&flags, sizeof(flags), (void *)a[0]) == 0)
			off = add_fixed(buf, off, ITEM_CLONE3, &flags, sizeof(flags));
		return add_proc(buf, off, task, 0);
	}
	case CAT_CONNECT:
	case CAT_BIND:
		off = add_user_bytes(buf, off, ITEM_SOCKADDR, (void *)a[1], a[2] < 128 ? a[2] : 128);
		return add_sock(buf, off, task, (__s32)a[0]);
	case CAT_ACCEPT:
		return ret >= 0 ? add_sock(buf, off, task, ret) : off;
	case CAT_SENDTO:
		off = add_sock(buf, off, task, (__s32)a[0]);
		off = add_user_bytes(buf, off, ITEM_SOCKADDR, (void *)a[4], a[5] < 128 ? a[5] : 128);
		if (snaplen && ret > 0)
			off = add_user_bytes(buf, off, ITEM_DATA, (void *)a[1], ret < snaplen ? ret : snaplen);
		return off;
	case CAT_RECVFROM:
		off = add_sock(buf, off, task, (__s32)a[0]);
		if (snaplen && ret > 0)
			off = add_user_bytes(buf, off, ITEM_DATA, (void *)a[1], ret < snaplen ? ret : snaplen);
		return off;
	case CAT_MSG:
	case CAT_SOCKFD:
		return add_sock(buf, off, task, (__s32)a[0]);
	case CAT_RW:
	case CAT_READ:
		if (snaplen && ret > 0)
			off = add_user_bytes(buf, off, ITEM_DATA, (void *)a[1], ret < snaplen ? ret : snaplen);
		return off;
	case CAT_NAME0:
		return add_user_str(buf, off, ITEM_NAME, (const char *)a[0]);
	case CAT_NAME1:
		return add_user_str(buf, off, ITEM_NAME, (const char *)a[1]);
	case CAT_NAME2:
		return add_user_str(buf, off, ITEM_NAME, (const char *)a[2]);
	case CAT_PRCTL:
		if (a[0] == PR_SET_NAME)
			return add_user_str(buf, off, ITEM_NAME, (const char *)a[1]);
		return off;
	case CAT_FDPAIR0:
	case CAT_FDPAIR3: {
		__s32 fds[2] = {};
		if (ret == 0 && bpf_probe_read_user(fds, sizeof(fds), (void *)a[cat == CAT_FDPAIR0 ? 0 : 3]) == 0)
			off = add_fixed(buf, off, ITEM_FDPAIR, fds, sizeof(fds));
		return off;
	}
	case CAT_CAPSET:
		return add_proc(buf, off, task, 0);
	}
	return off;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_enter, struct pt_regs *regs, long id)
{
	__u8 cat = category_of(id);
	if (!cat)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task = bpf_get_current_task_btf();
	if (!traced(task, pid_tgid >> 32))
		return 0;
	/* `regs` is a trusted BTF pointer (tp_btf): plain loads. */
	__u64 args[6];
#if defined(__TARGET_ARCH_x86)
	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;
#else
	args[0] = regs->orig_x0;
	args[1] = regs->regs[1];
	args[2] = regs->regs[2];
	args[3] = regs->regs[3];
	args[4] = regs->regs[4];
	args[5] = regs->regs[5];
#endif
	if ((cat & CAT_F_EXEC_ONLY) && !(args[2] & PROT_EXEC))
		return 0;
	cat &= CAT_MASK;
	__u64 now = bpf_ktime_get_boot_ns();

	if (cat == CAT_EXIT) {
		/* exit and exit_group never return: record them now. */
		__u32 zero = 0;
		struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
		if (!s)
			return 0;
		struct rec_syscall *r = (void *)s->buf;
		fill_header(r, task, pid_tgid);
		r->flags = REC_F_NO_EXIT;
		r->nr = id;
		r->ts = now;
		r->latency = 0;
		r->ret = 0;
		__builtin_memcpy(r->args, args, sizeof(args));
		emit(s->buf, sizeof(*r), now);
		return 0;
	}

	struct stash *st = bpf_task_storage_get(&stashes, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		return 0;
	st->ts = now;
	st->nr = id;
	st->active = 1;
	__builtin_memcpy(st->args, args, sizeof(args));
	st->filename_len = 0;
	if (cat == CAT_EXECVE || cat == CAT_EXECVEAT) {
		long n = bpf_probe_read_user_str(st->filename, STR_MAX, (const char *)args[cat == CAT_EXECVE ? 0 : 1]);
		st->filename_len = n > 0 ? n - 1 : 0;
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_exit, struct pt_regs *regs, long ret)
{
	/* Most syscalls are not in the set: leave before looking for a stash. (The stash's number
	 * stays the authority: sys_enter saw the same number.) */
#if defined(__TARGET_ARCH_x86)
	if (!category_of(regs->orig_ax))
		return 0;
#else
	if (!category_of(regs->syscallno))
		return 0;
#endif
	struct task_struct *task = bpf_get_current_task_btf();
	struct stash *st = bpf_task_storage_get(&stashes, task, 0, 0);
	if (!st || !st->active)
		return 0;
	st->active = 0;
	__u32 nr = st->nr;
	__u8 cat = category_of(nr) & CAT_MASK;
	if (!cat)
		return 0;
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;
	__u64 now = bpf_ktime_get_boot_ns();
	struct rec_syscall *r = (void *)s->buf;
	fill_header(r, task, bpf_get_current_pid_tgid());
	r->nr = nr;
	r->ts = now;
	r->latency = now - st->ts;
	r->ret = ret;
	__builtin_memcpy(r->args, st->args, sizeof(r->args));
	__u32 size = add_items(s->buf, task, cat, st, ret);
	emit(s->buf, size, now);
	return 0;
}

/* A new thread or process: the child inherits the parent's pending clone (so that its own
 * return from clone is recorded too) and, when following a process tree, joins it. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid;
	__u32 ctgid = child->tgid;
	if (follow_mode && ptgid != ctgid && bpf_map_lookup_elem(&followed, &ptgid)) {
		__u8 one = 1;
		bpf_map_update_elem(&followed, &ctgid, &one, BPF_ANY);
	}
	struct stash *pst = bpf_task_storage_get(&stashes, parent, 0, 0);
	if (!pst || !pst->active)
		return 0;
	struct stash *cst = bpf_task_storage_get(&stashes, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cst)
		return 0;
	cst->ts = pst->ts;
	cst->nr = pst->nr;
	cst->active = 1;
	cst->filename_len = 0;
	__builtin_memcpy(cst->args, pst->args, sizeof(cst->args));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_process_exit, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	int last = BPF_CORE_READ(task, signal, live.counter) == 0;
	int trace = traced(task, tgid);
	if (follow_mode && last)
		bpf_map_delete_elem(&followed, &tgid);
	if (!trace)
		return 0;
	struct rec_procexit r = {};
	r.size = sizeof(r);
	r.kind = REC_PROCEXIT;
	r.cpu = bpf_get_smp_processor_id();
	r.ts = bpf_ktime_get_boot_ns();
	r.tid = (__u32)pid_tgid;
	r.pid = tgid;
	r.ppid = BPF_CORE_READ(task, real_parent, tgid);
	r.exit_code = BPF_CORE_READ(task, exit_code);
	const struct cred *cred = BPF_CORE_READ(task, cred);
	r.uid = BPF_CORE_READ(cred, uid.val);
	r.euid = BPF_CORE_READ(cred, euid.val);
	bpf_get_current_comm(r.comm, sizeof(r.comm));
	count(bpf_ringbuf_output(&events, &r, sizeof(r), output_flags(r.ts)) != 0);
	return 0;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * tsfalco-capture-helper: loads capture.bpf.c, attaches it, and streams the ring buffer's
 * records to stdout (see src/capture/README.md for the layout), with a REC_HELLO record first
 * and REC_STATS records (per-cpu counters) every second and at the end.
 *
 * It stops on SIGINT/SIGTERM, when stdout is closed, or when its parent dies (PR_SET_PDEATHSIG
 * plus a getppid() check), and detaches everything on the way out. If it is killed outright the
 * kernel detaches the programs when their file descriptors close with the process.
 *
 * Usage: tsfalco-capture-helper --syscalls NR:CAT,NR:CAT,... [--ringbuf BYTES] [--follow PID]...
 *          [--exclude PID]... [--comm NAME] [--cgroup ID]... [--env] [--snaplen N] [--stats-ms N]
 *          [--poll-ms N (10)] [--wakeup-div N (8: the kernel wakes us when 1/N of the ring is
 *          waiting; 0: on every record, the kernel's default)] [--queue-bytes N (128 MiB)]
 * Exit codes: 0 done, 2 usage, 3 no BTF, 4 BPF refused (permissions or kernel support), 5 other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "record.h"
#include "capture.skel.h"

/*
 * Records go to stdout through a queue of 1 MiB blocks and a writer thread, so that the ring
 * buffer keeps being drained while the reader (Node, which may be descheduled on a busy machine)
 * is behind: up to --queue-bytes (default 128 MiB) wait in user memory, on top of the ring
 * buffer. When the queue is full the loop stops taking records and the kernel side counts drops.
 * A block is handed over when full, or at once when the writer is idle (no added latency when
 * the reader keeps up).
 */
#define BLOCK_BYTES (1 << 20)
#define FREE_BLOCKS 4

struct block {
	struct block *next;
	size_t len;
	unsigned char data[BLOCK_BYTES];
};

static volatile sig_atomic_t stopping;
static pid_t parent_at_start;
static volatile int out_broken;
static struct block *cur; /* being filled by the main thread */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct block *q_head, *q_tail; /* handed over, waiting for the writer */
static struct block *free_blocks;
static size_t n_free;
static size_t queued_bytes; /* in q_head.. and being written */
static int q_closing;
static unsigned long long queue_max = 128ull << 20;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static struct block *new_block(void)
{
	pthread_mutex_lock(&q_lock);
	struct block *b = free_blocks;
	if (b) {
		free_blocks = b->next;
		n_free--;
	}
	pthread_mutex_unlock(&q_lock);
	if (!b)
		b = malloc(sizeof(*b));
	if (b) {
		b->next = NULL;
		b->len = 0;
	}
	return b;
}

/* Hands the current block to the writer (always when `force`, else only if the writer is idle). */
static void submit(int force)
{
	if (!cur || cur->len == 0)
		return;
	pthread_mutex_lock(&q_lock);
	if (!force && q_head) {
		pthread_mutex_unlock(&q_lock);
		return;
	}
	if (q_tail)
		q_tail->next = cur;
	else
		q_head = cur;
	q_tail = cur;
	queued_bytes += cur->len;
	pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
	cur = NULL;
}

static size_t queued(void)
{
	pthread_mutex_lock(&q_lock);
	size_t n = queued_bytes;
	pthread_mutex_unlock(&q_lock);
	return n;
}

static void *writer_main(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to the main thread */
	for (;;) {
		pthread_mutex_lock(&q_lock);
		while (!q_head && !q_closing)
			pthread_cond_wait(&q_cond, &q_lock);
		struct block *b = q_head;
		if (!b) {
			pthread_mutex_unlock(&q_lock);
			break;
		}
		q_head = b->next;
		if (!q_head)
			q_tail = NULL;
		pthread_mutex_unlock(&q_lock);
		size_t done = 0;
		while (done < b->len && !out_broken) {
			ssize_t n = write(STDOUT_FILENO, b->data + done, b->len - done);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				out_broken = 1; /* the reader is gone: stop */
				stopping = 1;
				break;
			}
			done += (size_t)n;
		}
		pthread_mutex_lock(&q_lock);
		queued_bytes -= b->len;
		if (n_free < FREE_BLOCKS) {
			b->next = free_blocks;
			free_blocks = b;
			n_free++;
			b = NULL;
		}
		pthread_mutex_unlock(&q_lock);
		free(b);
	}
	return NULL;
}

static void put(const void *data, size_t len)
{
	if (len > BLOCK_BYTES || out_broken)
		return;
	if (cur && cur->len + len > BLOCK_BYTES)
		submit(1);
	if (!cur && !(cur = new_block())) {
		stopping = 1; /* out of memory */
		return;
	}
	memcpy(cur->data + cur->len, data, len);
	cur->len += len;
}

static int on_record(void *ctx, void *data, size_t len)
{
	(void)ctx;
	put(data, len);
	return 0;
}

static __u64 clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void write_stats(struct capture_bpf *skel, int ncpus)
{
	struct cpu_counters *values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return;
	__u32 zero = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &zero, values) == 0) {
		struct rec_stats h = {0};
		h.size = (__u16)(sizeof(h) + (size_t)ncpus * sizeof(*values));
		h.kind = REC_STATS;
		h.ncpus = (__u32)ncpus;
		h.ts = clock_ns(CLOCK_BOOTTIME);
		put(&h, sizeof(h));
		put(values, (size_t)ncpus * sizeof(*values));
	}
	free(values);
}

static int fail(int code, const char *what)
{
	fprintf(stderr, "tsfalco-capture-helper: %s\n", what);
	return code;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	if (level == LIBBPF_INFO && !getenv("TSFALCO_HELPER_VERBOSE"))
		return 0;
	return vfprintf(stderr, fmt, args);
}

int main(int argc, char **argv)
{
	const char *syscalls = NULL, *comm = NULL;
	unsigned long ringbuf = 8ul << 20;
	int env = 0, stats_ms = 1000, poll_ms = 10;
	unsigned long wakeup_div = 8;
	unsigned snaplen = 0;
	long follow[64], exclude[64];
	unsigned long long cgroup_ids[256];
	int nfollow = 0, nexclude = 0, ncgroups = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--env")) {
			env = 1;
			continue;
		}
		if (!v)
			return fail(2, "missing value after an option");
		i++;
		if (!strcmp(a, "--syscalls"))
			syscalls = v;
		else if (!strcmp(a, "--ringbuf"))
			ringbuf = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--follow") && nfollow < 64)
			follow[nfollow++] = strtol(v, NULL, 10);
		else if (!strcmp(a, "--exclude") && nexclude < 64)
			exclude[nexclude++] = strtol(v, NULL, 10);
		else if (!strcmp(a, "--cgroup") && ncgroups < 256)
			cgroup_ids[ncgroups++] = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--comm"))
			comm = v;
		else if (!strcmp(a, "--snaplen"))
			snaplen = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--stats-ms"))
			stats_ms = atoi(v);
		else if (!strcmp(a, "--poll-ms"))
			poll_ms = atoi(v);
		else if (!strcmp(a, "--wakeup-div"))
			wakeup_div = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--queue-bytes"))
			queue_max = strtoull(v, NULL, 10);
		else
			return fail(2, "unknown option");
	}
	if (!syscalls)
		return fail(2, "--syscalls is required");
	if (ringbuf < 4096 || (ringbuf & (ringbuf - 1)))
		return fail(2, "--ringbuf must be a power of two of at least 4096");
	if (snaplen > 256)
		snaplen = 256;

	/* Die with the parent: the signal covers most cases, the check the race at start. */
	parent_at_start = getppid();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent_at_start)
		return 0;
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20); /* fails harmlessly when stdout is not a pipe */

	struct stat st;
	if (stat("/sys/kernel/btf/vmlinux", &st) != 0)
		return fail(3, "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing): a kernel built with CONFIG_DEBUG_INFO_BTF=y is needed");

	libbpf_set_print(libbpf_quiet);
	struct capture_bpf *skel = capture_bpf__open();
	if (!skel)
		return fail(5, "cannot open the BPF object");
	skel->rodata->self_tgid = (__u32)getpid();
	skel->rodata->follow_mode = nfollow > 0;
	skel->rodata->capture_env = env;
	skel->rodata->snaplen = snaplen;
	skel->rodata->cgroup_filter = ncgroups > 0;
	/* Wake the reader once an eighth of the ring buffer is waiting; otherwise it polls. */
	skel->rodata->wakeup_bytes = wakeup_div ? (__u32)(ringbuf / wakeup_div) : 0;
	if (comm) {
		skel->rodata->comm_filter = 1;
		strncpy((char *)skel->rodata->comm_value, comm, 15);
	}
	bpf_map__set_max_entries(skel->maps.events, (__u32)ringbuf);

	int err = capture_bpf__load(skel);
	if (err) {
		capture_bpf__destroy(skel);
		if ((err == -EPERM || err == -EACCES) && geteuid() != 0)
			return fail(4, "the kernel refused to load the BPF program (permission denied): run as root, or with CAP_BPF and CAP_PERFMON");
		char msg[256];
		snprintf(msg, sizeof(msg), "the kernel refused to load the BPF program (%s): eBPF with BTF, task storage and ring buffers (Linux 5.11+) is needed", strerror(-err));
		return fail(4, msg);
	}

	/* The syscall set: "NR:CAT,NR:CAT,..." */
	int map_fd = bpf_map__fd(skel->maps.syscalls);
	for (const char *p = syscalls; *p;) {
		char *end;
		unsigned long nr = strtoul(p, &end, 10);
		if (*end != ':') {
			capture_bpf__destroy(skel);
			return fail(2, "bad --syscalls list");
		}
		unsigned long cat = strtoul(end + 1, &end, 10);
		__u32 key = (__u32)nr;
		__u8 value = (__u8)cat;
		if (nr < 512)
			bpf_map_update_elem(map_fd, &key, &value, BPF_ANY);
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			break;
	}
	__u8 one = 1;
	for (int i = 0; i < nfollow; i++) {
		__u32 k = (__u32)follow[i];
		bpf_map_update_elem(bpf_map__fd(skel->maps.followed), &k, &one, BPF_ANY);
	}
	for (int i = 0; i < nexclude; i++) {
		__u32 k = (__u32)exclude[i];
		bpf_map_update_elem(bpf_map__fd(skel->maps.excluded), &k, &one, BPF_ANY);
	}
	for (int i = 0; i < ncgroups; i++) {
		__u64 k = cgroup_ids[i];
		bpf_map_update_elem(bpf_map__fd(skel->maps.cgroups), &k, &one, BPF_ANY);
	}

	err = capture_bpf__attach(skel);
	if (err) {
		capture_bpf__destroy(skel);
		char msg[256];
		snprintf(msg, sizeof(msg), "cannot attach to the syscall and scheduler tracepoints (%s)", strerror(-err));
		return fail(4, msg);
	}

	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
	if (!rb) {
		capture_bpf__destroy(skel);
		return fail(5, "cannot map the ring buffer");
	}

	int ncpus = libbpf_num_possible_cpus();
	struct rec_hello hello = {0};
	hello.size = sizeof(hello);
	hello.kind = REC_HELLO;
	hello.magic = TSF_MAGIC;
	hello.version = TSF_PROTOCOL_VERSION;
	hello.ncpus = (__u32)ncpus;
	hello.boot_to_realtime_ns = (__s64)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME));
	hello.helper_pid = (__u32)getpid();
	hello.ringbuf_bytes = (__u32)ringbuf;
	pthread_t writer;
	if (pthread_create(&writer, NULL, writer_main, NULL) != 0) {
		ring_buffer__free(rb);
		capture_bpf__destroy(skel);
		return fail(5, "cannot start the writer thread");
	}
	put(&hello, sizeof(hello));
	submit(1);

	__u64 next_stats = clock_ns(CLOCK_MONOTONIC) + (__u64)stats_ms * 1000000ull;
	while (!stopping) {
		if (queued() < queue_max) {
			/* Records come without wakeups (see wakeup_bytes): the poll times out and all that
			 * is waiting is taken in one go, unless enough piled up for the kernel to wake us. */
			int n = ring_buffer__poll(rb, poll_ms);
			if (n < 0 && n != -EINTR)
				break;
			n = ring_buffer__consume(rb);
			if (n < 0 && n != -EINTR)
				break;
		} else {
			usleep((useconds_t)poll_ms * 1000); /* the reader is far behind: let the kernel side count drops */
		}
		if (getppid() != parent_at_start)
			break;
		__u64 now = clock_ns(CLOCK_MONOTONIC);
		if (now >= next_stats) {
			write_stats(skel, ncpus);
			next_stats = now + (__u64)stats_ms * 1000000ull;
		}
		submit(0);
	}
	/* Detach first, then hand over what is still in the ring buffer and the final counters. */
	capture_bpf__detach(skel);
	if (!out_broken) {
		ring_buffer__consume(rb);
		write_stats(skel, ncpus);
	}
	submit(1);
	pthread_mutex_lock(&q_lock);
	q_closing = 1;
	pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
	pthread_join(writer, NULL);
	ring_buffer__free(rb);
	capture_bpf__destroy(skel);
	return 0;
}

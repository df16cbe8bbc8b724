// Syscall-heavy workload for `npm run bench:capture`: a file loop (open/fstat/read/close and
// stat), a fork/exec loop (fork + execve /bin/true + wait), and a socket loop (socket + connect
// to a local listener + accept + close). Prints one line per phase: "phase seconds iterations",
// then "cpu SECONDS 0": the process's own CPU time.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long files = argc > 1 ? atol(argv[1]) : 200000;
	long execs = argc > 2 ? atol(argv[2]) : 2000;
	long conns = argc > 3 ? atol(argv[3]) : 20000;
	if (argc > 4 && !freopen(argv[4], "w", stdout)) /* results to a file */
		return 1;
	char buf[64];
	struct stat st;

	double t = now();
	for (long i = 0; i < files; i++) {
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		fstat(fd, &st);
		if (read(fd, buf, sizeof(buf)) < 0)
			return 1;
		close(fd);
		stat("/etc/passwd", &st);
	}
	printf("files %.6f %ld\n", now() - t, files);

	t = now();
	for (long i = 0; i < execs; i++) {
		pid_t p = fork();
		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int status;
		waitpid(p, &status, 0);
	}
	printf("execs %.6f %ld\n", now() - t, execs);

	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1024))
		return 1;
	socklen_t alen = sizeof(a);
	getsockname(lfd, (struct sockaddr *)&a, &alen);
	t = now();
	for (long i = 0; i < conns; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct linger lg = { 1, 0 }; /* close with RST: no TIME_WAIT, no port exhaustion */
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (connect(c, (struct sockaddr *)&a, sizeof(a)))
			return 1;
		int s = accept(lfd, NULL, NULL);
		close(c);
		close(s);
	}
	printf("sockets %.6f %ld\n", now() - t, conns);
	/* CPU time of this process (not its children): the traced syscalls' in-kernel cost lands here. */
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("cpu %.6f 0\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	return 0;
}

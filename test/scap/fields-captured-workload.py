# The workload of test/scap/fields-captured-sysdig.test.ts: every syscall of tsfalco's default
# capture set (src/capture/syscalls.ts) at least once, in success and in failure where it can
# fail, through raw syscalls (ctypes) so that each is the syscall named, with absolute, relative,
# `..`-traversing and dirfd-relative paths. Run as root by `tsfalco capture --only-command`.
# argv: DIR, a JSON object of syscall name -> x86_64 number.
import ctypes, json, os, signal, socket, struct, sys, time

D = sys.argv[1]
NR = json.loads(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
AT_FDCWD = -100


def sc(name, *args):
    """The raw syscall `name`; its result, or -errno (never raises)."""
    conv = []
    for a in args:
        if isinstance(a, str):
            conv.append(ctypes.c_char_p(a.encode()))
        elif isinstance(a, bytes):
            conv.append(ctypes.c_char_p(a))
        elif isinstance(a, int):
            conv.append(ctypes.c_long(a))
        else:
            conv.append(a)
    r = libc.syscall(ctypes.c_long(NR[name]), *conv)
    return -ctypes.get_errno() if r == -1 else r


def child(fn):
    """fn() in a forked child (os.fork: clone); waits for it."""
    pid = os.fork()
    if pid == 0:
        try:
            fn()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


os.chdir(D)
os.mkdir("sub")
# --- open family: absolute, relative, `..`, dirfd-relative; success and failure
fd = sc("open", D + "/a.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644); sc("close", fd)
sc("open", D + "/missing/x", os.O_RDONLY)
fd = sc("open", "a.txt", os.O_RDONLY); sc("close", fd)
fd = sc("open", "sub/../a.txt", os.O_RDWR | os.O_APPEND); sc("close", fd)
sc("open", "sub/../nothere", os.O_RDONLY)
fd = sc("creat", "b.txt", 0o600); sc("close", fd)
sc("creat", "/proc/nope/b.txt", 0o600)
dirfd = sc("open", D + "/sub", os.O_RDONLY | os.O_DIRECTORY)
fd = sc("openat", dirfd, "c.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640); sc("close", fd)
sc("openat", dirfd, "c.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
fd = sc("openat", dirfd, "../a.txt", os.O_RDONLY | os.O_CLOEXEC); sc("close", fd)
fd = sc("openat", AT_FDCWD, "sub/c.txt", os.O_RDONLY); sc("close", fd)
fd = sc("openat", AT_FDCWD, "/etc/hostname", os.O_RDONLY | os.O_NONBLOCK); sc("close", fd)
sc("openat", AT_FDCWD, D + "/../" + os.path.basename(D) + "/none", os.O_RDONLY)
how = struct.pack("QQQ", os.O_RDWR | os.O_CREAT, 0o600, 0x04)  # RESOLVE_NO_SYMLINKS
fd = sc("openat2", dirfd, "d.txt", how, len(how)); sc("close", fd)
how = struct.pack("QQQ", os.O_RDONLY, 0, 0x08)  # RESOLVE_BENEATH
sc("openat2", dirfd, "../a.txt", how, len(how))
fd = sc("openat2", AT_FDCWD, D + "/a.txt", struct.pack("QQQ", os.O_RDONLY, 0, 0), 24); sc("close", fd)
sc("close", 999)
# --- dup and fcntl
fd = sc("open", "a.txt", os.O_RDONLY)
fd2 = sc("dup", fd); sc("dup2", fd, 40); sc("dup3", fd, 41, os.O_CLOEXEC)
sc("dup", 998); sc("dup2", 998, 42); sc("dup3", fd, fd, 0)
libc.fcntl(fd, 0, 43)  # F_DUPFD
libc.fcntl(fd, 1030, 44)  # F_DUPFD_CLOEXEC
libc.fcntl(997, 0, 45)
for f in (fd, fd2, 40, 41, 43, 44):
    sc("close", f)
# --- links, renames, removal, directories
sc("link", "a.txt", "a.hard"); sc("link", "none", "x.hard")
sc("linkat", dirfd, "c.txt", AT_FDCWD, "c.hard", 0); sc("linkat", dirfd, "none", dirfd, "n2", 0)
sc("symlink", D + "/a.txt", "a.sym"); sc("symlink", "a.txt", "a.sym")
sc("symlinkat", "../a.txt", dirfd, "up.sym"); sc("symlinkat", "x", dirfd, "up.sym")
fd = sc("open", "sub/up.sym", os.O_RDONLY); sc("close", fd)
sc("rename", "a.hard", "a.hard2"); sc("rename", "none", "none2")
sc("renameat", dirfd, "c.txt", dirfd, "c2.txt"); sc("renameat", dirfd, "none", AT_FDCWD, "none2")
sc("renameat2", AT_FDCWD, "a.hard2", dirfd, "a3", 1); sc("renameat2", AT_FDCWD, "b.txt", dirfd, "a3", 1)  # RENAME_NOREPLACE
sc("unlink", "a.sym"); sc("unlink", "a.sym")
sc("unlinkat", dirfd, "up.sym", 0); sc("unlinkat", dirfd, "up.sym", 0)
sc("mkdir", "m1", 0o755); sc("mkdir", "m1", 0o755)
sc("mkdirat", dirfd, "m2", 0o700); sc("mkdirat", 996, "m2", 0o700)
sc("unlinkat", dirfd, "m2", 0x200)  # AT_REMOVEDIR
sc("rmdir", "m1"); sc("rmdir", "m1"); sc("rmdir", "sub/../sub")
# --- permissions and owners
sc("chmod", "a.txt", 0o4755); sc("chmod", "none", 0o644)
fd = sc("open", "a.txt", os.O_RDONLY)
sc("fchmod", fd, 0o600); sc("fchmod", 995, 0o600)
sc("fchmodat", dirfd, "c2.txt", 0o2755); sc("fchmodat", dirfd, "none", 0o644)
sc("fchmodat2", dirfd, "c2.txt", 0o644, 0); sc("fchmodat2", dirfd, "none", 0o644, 0)
sc("chown", "a.txt", 1000, 1000); sc("chown", "none", 0, 0)
sc("fchown", fd, 0, 0); sc("fchown", 994, 0, 0)
sc("lchown", "a.txt", 0, 0); sc("lchown", "none", 0, 0)
sc("fchownat", dirfd, "c2.txt", 1, 1, 0); sc("fchownat", dirfd, "none", 1, 1, 0)
sc("close", fd)
# --- file handles
fh = ctypes.create_string_buffer(struct.pack("II", 128, 0) + b"\0" * 128)
mount_id = ctypes.c_int(0)
sc("name_to_handle_at", AT_FDCWD, "a.txt", fh, ctypes.byref(mount_id), 0)
mfd = sc("open", D, os.O_RDONLY | os.O_DIRECTORY)
fd = sc("open_by_handle_at", mfd, fh, os.O_RDONLY); sc("close", fd)
sc("open_by_handle_at", 993, fh, os.O_RDONLY)
sc("close", mfd)
# --- pipes, memfd
fds = (ctypes.c_int * 2)()
sc("pipe", fds); sc("close", fds[0]); sc("close", fds[1])
sc("pipe2", fds, os.O_CLOEXEC | os.O_NONBLOCK); sc("close", fds[0]); sc("close", fds[1])
sc("pipe2", fds, 0x7fffffff)
mfd = sc("memfd_create", "tsfalco-mem", 1); sc("close", mfd)  # MFD_CLOEXEC
sc("memfd_create", "bad", 0xfff0)
sc("memfd_secret", 0)
# --- mmap / mprotect with PROT_EXEC
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = sc("open", "a.txt", os.O_RDONLY)
addr = sc("mmap", 0, 4096, 5, 2, fd, 0)  # PROT_READ|PROT_EXEC, MAP_PRIVATE
sc("mmap", 0, 4096, 5, 2, 992, 0)
anon = sc("mmap", 0, 4096, 3, 0x22, -1, 0)  # RW, MAP_PRIVATE|MAP_ANONYMOUS
sc("mprotect", anon, 4096, 5); sc("mprotect", 1, 4096, 5)
sc("close", fd)
# --- sockets: IPv4, IPv6, unix; success and failure
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    srv = sc("socket", fam, socket.SOCK_STREAM, 0)
    if fam == socket.AF_INET:
        sa = struct.pack("=H", fam) + struct.pack("!H4s8x", 0, socket.inet_pton(fam, host))
    else:
        sa = struct.pack("=H", fam) + struct.pack("!HI16sI", 0, 0, socket.inet_pton(fam, host), 0)
    sc("bind", srv, sa, len(sa)); sc("bind", 991, sa, len(sa))
    sc("listen", srv, 4); sc("listen", 990, 4)
    s = socket.socket(fileno=os.dup(srv)); port = s.getsockname()[1]; s.detach()
    cli = sc("socket", fam, socket.SOCK_STREAM, 0)
    target = (host, port) if fam == socket.AF_INET else (host, port, 0, 0)
    c = socket.socket(fam, socket.SOCK_STREAM, 0, os.dup(cli))
    c.connect(target)
    c.detach()
    a1 = sc("accept", srv, 0, 0)
    sc("sendto", cli, b"ping", 4, 0, 0, 0); sc("recvfrom", a1, ctypes.create_string_buffer(16), 16, 0, 0, 0)
    cli2 = sc("socket", fam, socket.SOCK_STREAM | socket.SOCK_CLOEXEC, 0)
    c = socket.socket(fam, socket.SOCK_STREAM, 0, os.dup(cli2)); c.connect(target); c.detach()
    a2 = sc("accept4", srv, 0, 0, socket.SOCK_CLOEXEC)
    s = socket.socket(fileno=os.dup(a2)); s.sendmsg([b"hello"]); s.close()
    s = socket.socket(fileno=os.dup(cli2)); s.recvmsg(16); s.close()
    sc("accept", 989, 0, 0); sc("accept4", cli, 0, 0, 0)
    sc("sendto", 988, b"x", 1, 0, 0, 0)
    for f in (a1, a2, cli, cli2, srv):
        sc("close", f)
    # a refused connect, on a port nobody listens on any more
    bad = socket.socket(fam, socket.SOCK_STREAM)
    try:
        bad.connect(target)
    except OSError:
        pass
    bad.close()
    # UDP: sendto an address, connect, recvfrom
    u = socket.socket(fam, socket.SOCK_DGRAM); u.bind(target[:1] + (0,) + target[2:])
    v = socket.socket(fam, socket.SOCK_DGRAM); v.sendto(b"dgram", u.getsockname()); u.recvfrom(16)
    v.connect(u.getsockname()); v.send(b"x"); u.recvfrom(16)
    u.close(); v.close()
sc("socket", 9999, socket.SOCK_STREAM, 0)
un = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); un.bind(D + "/u.sock"); un.listen(1)
uc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); uc.connect(D + "/u.sock")
ua, _ = un.accept(); uc.sendall(b"u"); ua.recv(4); ua.close(); uc.close(); un.close()
uc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    uc.connect(D + "/none.sock")
except OSError:
    pass
uc.close()
sp = (ctypes.c_int * 2)()
sc("socketpair", socket.AF_UNIX, socket.SOCK_STREAM, 0, sp); sc("close", sp[0]); sc("close", sp[1])
sc("socketpair", socket.AF_INET, socket.SOCK_STREAM, 0, sp)
# --- processes: fork, vfork, clone, clone3, exit, kill, sessions, namespaces, chroot
pid = sc("fork")
if pid == 0:
    sc("exit_group", 0)
os.waitpid(pid, 0)
ca = struct.pack("QQQQQQQQ", 0, 0, 0, 0, 17, 0, 0, 0)  # exit_signal SIGCHLD
pid = sc("clone3", ca, len(ca))
if pid == 0:
    sc("exit", 0)
os.waitpid(pid, 0)
sc("clone3", ca, 8)
pid = sc("clone", 17, 0, 0, 0, 0)
if pid == 0:
    sc("exit_group", 3)
os.waitpid(pid, 0)
sc("clone", 0x00010000, 0, 0, 0, 0)  # CLONE_THREAD without CLONE_SIGHAND: EINVAL


def sessions():
    sc("setpgid", 0, 0); sc("setpgid", 0, 999999)
    sc("setsid"); sc("setsid")
child(sessions)
sc("kill", os.getpid(), 0); sc("kill", 999999, 0); sc("kill", os.getpid(), 9999)


def namespaces():
    sc("unshare", 0x00020000)  # CLONE_NEWNS
    sc("mount", "none", "/", 0, 0x40000 | 0x4000, 0)  # MS_REC|MS_PRIVATE
    sc("mount", "tmpfs", D + "/sub", "tmpfs", 0, "size=64k")
    sc("mount", "nodev", D + "/sub", "nosuchfs", 0, 0)
    sc("umount2", D + "/sub", 0); sc("umount2", D + "/sub", 0)
    sc("unshare", 0x00000080)  # CLONE_SIGHAND alone: EINVAL
    ns = sc("open", "/proc/self/ns/mnt", os.O_RDONLY)
    sc("setns", ns, 0); sc("setns", 987, 0)
    sc("pivot_root", D + "/sub", D + "/sub")
    sc("chroot", D + "/sub"); sc("chroot", "/nonexistent")
    sc("chdir", "/"); sc("chdir", "/nonexistent")
child(namespaces)
# --- cwd: chdir, fchdir, then relative paths and exec from there
sc("chdir", "sub"); fd = sc("open", "../a.txt", os.O_RDONLY); sc("close", fd)
sc("chdir", ".."); sc("chdir", "nonexistent")
sc("fchdir", dirfd); fd = sc("open", "c2.txt", os.O_RDONLY); sc("close", fd)
sc("fchdir", 986); sc("fchdir", sc("open", D + "/a.txt", os.O_RDONLY))
sc("chdir", D)
# --- credentials and capabilities, in children
def creds():
    sc("setresgid", 100, 100, 100); sc("setfsgid", 100); sc("setregid", 100, 100); sc("setgid", 100)
    sc("setfsuid", 1000); sc("setreuid", 0, 0)
    hdr = struct.pack("Ii", 0x20080522, 0)
    data = ctypes.create_string_buffer(struct.pack("IIIIII", 0x400, 0x400, 0, 0, 0, 0))
    sc("capset", hdr, data)
    sc("capset", hdr, ctypes.create_string_buffer(struct.pack("IIIIII", 0xffffffff, 0xffffffff, 0, 0, 0, 0)))
    sc("setresuid", 1000, 1000, 1000); sc("setuid", 1000)
    sc("setuid", 0); sc("setgid", 0); sc("setresuid", 0, 0, 0); sc("setresgid", 0, 0, 0)
    sc("setreuid", 0, 0); sc("setregid", 0, 0)
    sc("open", "/etc/shadow", os.O_RDONLY)
child(creds)
sc("prctl", 15, "tsf-renamed"); sc("prctl", 99999)
sc("prctl", 15, "python3")
# --- ptrace: attach to a child, detach; failures
pid = os.fork()
if pid == 0:
    time.sleep(5); os._exit(0)
sc("ptrace", 16, pid, 0, 0)  # PTRACE_ATTACH
os.waitpid(pid, 0)
sc("ptrace", 17, pid, 0, 0)  # PTRACE_DETACH
sc("ptrace", 16, 999999, 0, 0)
sc("ptrace", 0x4206, pid, 0, 0)  # PTRACE_SEIZE
sc("kill", pid, 9); os.waitpid(pid, 0)
# --- process memory, pidfds, bpf, userfaultfd, io_uring, modules
buf = ctypes.create_string_buffer(8); src = ctypes.create_string_buffer(b"abcdefg")
iov_l = struct.pack("QQ", ctypes.addressof(buf), 8); iov_r = struct.pack("QQ", ctypes.addressof(src), 8)
sc("process_vm_readv", os.getpid(), iov_l, 1, iov_r, 1, 0); sc("process_vm_readv", 999999, iov_l, 1, iov_r, 1, 0)
sc("process_vm_writev", os.getpid(), iov_r, 1, iov_l, 1, 0); sc("process_vm_writev", 999999, iov_r, 1, iov_l, 1, 0)
pfd = sc("pidfd_open", os.getpid(), 0)
g = sc("pidfd_getfd", pfd, 0, 0); sc("close", g); sc("pidfd_getfd", pfd, 985, 0); sc("close", pfd)
attr = ctypes.create_string_buffer(struct.pack("IIII", 2, 4, 4, 1) + b"\0" * 112)  # BPF_MAP_TYPE_ARRAY
m = sc("bpf", 0, attr, 128); sc("close", m); sc("bpf", 9999, attr, 128)
u = sc("userfaultfd", 1); sc("close", u); sc("userfaultfd", 0xffff)
params = ctypes.create_string_buffer(120)
r = sc("io_uring_setup", 1, params); sc("close", r); sc("io_uring_setup", 0, params)
sc("init_module", 0, 0, ""); sc("finit_module", 984, "", 0); sc("delete_module", "tsfalco_no_such_module", 0)
# --- exec: absolute, relative, from a changed cwd, failed, memfd (execveat)
os.chdir("/bin")
pid = os.fork()
if pid == 0:
    os.execv("./true", ["./true", "rel"])
os.waitpid(pid, 0)
os.chdir(D + "/sub")
pid = os.fork()
if pid == 0:
    os.execv("../../../../../../bin/sh", ["sh", "-c", "cd ..; exec /bin/true up"])
os.waitpid(pid, 0)
os.chdir(D)
pid = os.fork()
if pid == 0:
    try:
        os.execv("./nonexistent", ["nonexistent"])
    except OSError:
        os._exit(1)
os.waitpid(pid, 0)
data = open("/bin/true", "rb").read()
mfd = os.memfd_create("tsf-exe", 0); os.write(mfd, data)
pid = os.fork()
if pid == 0:
    os.execve(mfd, ["memfd-true"], {"A": "1"})
os.waitpid(pid, 0)
pid = os.fork()
if pid == 0:
    try:
        sc("execveat", 983, "", ctypes.c_void_p(0), ctypes.c_void_p(0), 0x1000)
    finally:
        os._exit(2)
os.waitpid(pid, 0)
os.close(mfd)
# vfork: python's subprocess starts children with vfork()
import subprocess
subprocess.run(["/bin/true", "vfork"])
# a session whose leader has exited (as under CI runners): proc.sname, proc.sid.exe of its members
# come from the eldest ancestor sharing the session id, not from a thread with pid = sid
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.setsid()
    leader = os.getpid()
    if os.fork() != 0:
        os._exit(0)  # the leader goes
    while os.getppid() == leader:
        time.sleep(0.005)
    pid = os.fork()
    if pid == 0:
        fd = sc("open", D + "/a.txt", os.O_RDONLY); sc("close", fd)
        os._exit(0)
    os.waitpid(pid, 0)
    os._exit(0)  # closes w: the parent's read ends
os.close(w)
os.waitpid(pid, 0)
os.read(r, 1)
os.close(r)

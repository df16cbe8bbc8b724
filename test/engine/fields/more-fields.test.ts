import { afterAll, describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../../src/trace/event.js';
import { PPM_CL, PPM_O } from '../../../src/trace/flags.js';
import { tempDir } from '../../helpers/cli.js';
import { fieldValues, writeEvents } from '../../helpers/replay.js';
import { loaderFor } from '../../../src/cli/rules-env.js';
import { loadFalcoConfig } from '../../../src/config/index.js';
import { syscallProvider } from '../../../src/engine/extract/fields.js';
import { loadRulesContent } from '../../../src/rules/load/index.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

const BOOT = 1_699_990_000_000_000_000n;
const CID = 'abc123def4567890abc123def4567890abc123def4567890abc123def4567890';
const bash = { tid: 100, pid: 100, ppid: 1, comm: 'bash', uid: 1000, gid: 1000, euid: 1000, egid: 1000, loginuid: 1000 };
const ev = (e: Partial<TraceEvent>): Partial<TraceEvent> => ({ dir: '<', cpu: 0, ...bash, ...e });
const snapshot: Partial<TraceEvent>[] = [
  { type: 'snapshot_machine', name: 'web-01', extra: { boot_time_ns: String(BOOT) } },
  { type: 'snapshot_proc', ...bash, exe: '-bash', exepath: '/usr/bin/bash', args: [], cwd: '/home/alice' },
  {
    type: 'snapshot_container',
    container_id: CID.slice(0, 12),
    name: 'web',
    image: 'nginx@sha256:d977378f890d',
    extra: { runtime: 'containerd', ip: '10.0.0.5', image_id: '6f7e2741b66b', healthcheck: 'curl -f localhost', host_network: 'true', host_pid: 'false', cni_json: '{"ips":["10.0.0.5"]}' },
  },
  { type: 'snapshot_end' },
];
// execve and clone exits of .scap traces keep these parameters in `extra`.
const resources = { fdlimit: '1024', pgft_maj: '3', pgft_min: '200', vm_size: '5000', vm_rss: '1200', vm_swap: '7' };

describe('process resource fields (execve/clone/mmap exit parameters)', () => {
  const trace = writeEvents(tmp.dir, [
    ...snapshot,
    ev({ type: 'getpid', res: 100n }),
    ev({ type: 'execve', res: 0n, exe: '/usr/bin/cat', exepath: '/usr/bin/cat', args: [], extra: resources }),
    ev({ type: 'openat', dirfd: -100n, path: '/etc/hosts', flags: PPM_O.RDONLY, res: 3n }),
    ev({ type: 'openat', dirfd: -100n, path: '/etc/hostname', flags: PPM_O.RDONLY, res: 4n }),
    ev({ type: 'getpid', res: 100n }),
    ev({ type: 'mmap', res: 0x7f0000000000n, extra: { vm_size: '6000', vm_rss: '1300', vm_swap: '8' } }),
    ev({ type: 'getpid', res: 100n }),
    // a second thread of the process
    ev({ type: 'getpid', tid: 101, res: 100n }),
  ]);

  it('gives no value while the trace has not said, then the figures of the last exit that did', () => {
    const rows = fieldValues(trace, 'evt.type=getpid', ['thread.tid', 'proc.fdlimit', 'proc.fdusage', 'proc.vmsize', 'proc.vmrss', 'proc.vmswap', 'thread.pfmajor', 'thread.pfminor', 'thread.vmsize', 'thread.vmrss', 'thread.vmsize.b', 'thread.vmrss.b']);
    expect(rows[0]).toEqual({ 'thread.tid': '100', 'proc.fdlimit': '<NA>', 'proc.fdusage': '<NA>', 'proc.vmsize': '<NA>', 'proc.vmrss': '<NA>', 'proc.vmswap': '<NA>', 'thread.pfmajor': '<NA>', 'thread.pfminor': '<NA>', 'thread.vmsize': '<NA>', 'thread.vmrss': '<NA>', 'thread.vmsize.b': '<NA>', 'thread.vmrss.b': '<NA>' });
    // two fds open of 1024: 0.1953125 %, printed as libsinsp prints doubles ("%.1lf")
    expect(rows[1]).toMatchObject({ 'proc.fdusage': '0.2', 'proc.fdlimit': '1024', 'proc.vmsize': '5000', 'proc.vmrss': '1200', 'proc.vmswap': '7', 'thread.pfmajor': '3', 'thread.pfminor': '200', 'thread.vmsize': '5000', 'thread.vmsize.b': String(5000 * 1024) });
    // mmap's exit updates the memory figures
    expect(rows[2]).toMatchObject({ 'proc.vmsize': '6000', 'proc.vmrss': '1300', 'proc.vmswap': '8', 'thread.vmrss.b': String(1300 * 1024), 'thread.pfmajor': '3' });
    // another thread: the process's fd limit, but thread.vm* are 0 off the main thread (libsinsp)
    expect(rows[3]).toMatchObject({ 'thread.tid': '101', 'proc.fdlimit': '1024', 'thread.vmsize': '0', 'thread.vmrss': '0', 'thread.vmsize.b': '0', 'thread.vmrss.b': '0' });
  });

  it('chains the thread name and tid (thread.nametid)', () => {
    expect(fieldValues(trace, 'evt.type=mmap', ['thread.nametid'])).toEqual([{ 'thread.nametid': 'bash100' }]);
  });
});

describe('pid namespace and container fields', () => {
  const child = { tid: 200, pid: 200, ppid: 100, vtid: 1, vpid: 1, comm: 'nginx', cgroup: `/kubepods/besteffort/pod1234/${CID}` };
  const trace = writeEvents(tmp.dir, [
    ...snapshot,
    // the child's own clone exit: in a pid namespace created 5 s after boot
    ev({ type: 'clone', ...child, res: 0n, flags: PPM_CL.CLONE_NEWPID | PPM_CL.CHILD_IN_PIDNS, extra: { pidns_init_start_ts: '5000000000' } }),
    ev({ type: 'execve', ...child, res: 0n, exe: 'nginx', exepath: '/usr/sbin/nginx', args: [], exe_ino: 42n, exe_ctime: BOOT + 7_000_000_000n }),
    ev({ type: 'getpid', ...child, res: 1n }),
    ev({ type: 'getpid', res: 100n }),
  ]);

  it('dates the pid namespace from the clone exit and the boot time', () => {
    const rows = fieldValues(trace, 'evt.type=getpid', ['proc.pidns_init_start_ts', 'proc.exe_ino.ctime_duration_pidns_start']);
    expect(rows[0]).toEqual({ 'proc.pidns_init_start_ts': String(BOOT + 5_000_000_000n), 'proc.exe_ino.ctime_duration_pidns_start': '2000000000' });
    // bash was seen only in a snapshot that did not say
    expect(rows[1]).toEqual({ 'proc.pidns_init_start_ts': '<NA>', 'proc.exe_ino.ctime_duration_pidns_start': '<NA>' });
  });

  it('reads container details from the snapshot and gives none where the trace has none', () => {
    const fields = ['container.image.id', 'container.image.digest', 'container.healthcheck', 'container.liveness_probe', 'container.readiness_probe', 'container.cni.json', 'container.host_pid', 'container.host_network', 'container.host_ipc', 'k8s.pod.ip', 'k8s.pod.cni.json', 'k8s.ns.id', 'k8s.ns.labels', 'k8s.rc.name', 'k8s.svc.name', 'k8s.rs.name', 'k8s.deployment.name', 'k8s.deployment.label.app'];
    const rows = fieldValues(trace, 'evt.type=getpid', fields);
    expect(rows[0]).toEqual({
      'container.image.id': '6f7e2741b66b',
      'container.image.digest': 'sha256:d977378f890d',
      // deprecated: Falco's container plugin extracts nothing
      'container.healthcheck': '<NA>',
      'container.liveness_probe': '<NA>',
      'container.readiness_probe': '<NA>',
      'container.cni.json': '{"ips":["10.0.0.5"]}',
      'container.host_pid': 'false',
      'container.host_network': 'true',
      'container.host_ipc': '<NA>',
      'k8s.pod.ip': '10.0.0.5',
      'k8s.pod.cni.json': '{"ips":["10.0.0.5"]}',
      'k8s.ns.id': '<NA>',
      'k8s.ns.labels': '<NA>',
      'k8s.rc.name': '<NA>',
      'k8s.svc.name': '<NA>',
      'k8s.rs.name': '<NA>',
      'k8s.deployment.name': '<NA>',
      'k8s.deployment.label.app': '<NA>',
    });
    expect(Object.values(rows[1]).every((v) => v === '<NA>')).toBe(true);
  });
});

describe('I/O buffer lengths and overlay layers', () => {
  const trace = writeEvents(tmp.dir, [
    ...snapshot,
    ev({ type: 'openat', dirfd: -100n, path: '/etc/hosts', flags: PPM_O.RDONLY | PPM_O.FD_UPPER_LAYER, res: 3n }),
    ev({ type: 'openat', dirfd: -100n, path: '/usr/bin/ls', flags: PPM_O.RDONLY | PPM_O.FD_LOWER_LAYER, res: 5n }),
    ev({ type: 'socket', sock_family: 2, l4proto: 6, res: 4n }),
    // the buffer holds what the capture kept (snaplen), the result what the call moved
    ev({ type: 'read', fd: 3n, res: 10n, buffer: new Uint8Array(4) }),
    ev({ type: 'write', fd: 4n, res: 20n }),
    ev({ type: 'read', fd: 3n, res: -11n }),
    ev({ type: 'write', fd: 9n, res: 5n }),
    ev({ type: 'read', fd: 5n, res: 0n }),
  ]);

  it('gives the bytes of I/O exits by direction and fd kind', () => {
    const fields = ['evt.buflen', 'evt.buflen.in', 'evt.buflen.out', 'evt.buflen.file', 'evt.buflen.file.in', 'evt.buflen.file.out', 'evt.buflen.net', 'evt.buflen.net.in', 'evt.buflen.net.out'];
    const rows = fieldValues(trace, 'evt.type in (read, write)', fields).map((r) => fields.map((f) => r[f]).join(' '));
    expect(rows).toEqual([
      '10 10 <NA> 10 10 <NA> <NA> <NA> <NA>', // read of a file
      '20 <NA> 20 <NA> <NA> <NA> 20 <NA> 20', // write to a TCP socket
      '<NA> <NA> <NA> <NA> <NA> <NA> <NA> <NA> <NA>', // failed read
      '<NA> <NA> <NA> <NA> <NA> <NA> <NA> <NA> <NA>', // unknown fd
      '0 0 <NA> 0 0 <NA> <NA> <NA> <NA>',
    ]);
  });

  it('tells overlayfs layers from the open flags', () => {
    const rows = fieldValues(trace, 'evt.type=read and evt.res=SUCCESS', ['fd.name', 'fd.is_upper_layer', 'fd.is_lower_layer']);
    expect(rows).toEqual([
      { 'fd.name': '/etc/hosts', 'fd.is_upper_layer': 'true', 'fd.is_lower_layer': 'false' },
      { 'fd.name': '/usr/bin/ls', 'fd.is_upper_layer': 'false', 'fd.is_lower_layer': 'true' },
    ]);
  });
});

describe('event fields of other event kinds', () => {
  const trace = writeEvents(tmp.dir, [
    ...snapshot,
    ev({ type: 'switch', cpu: 1 }), // ts base + 5000
    ev({ type: 'getpid', res: 100n }),
    ev({ type: 'switch', cpu: 1 }), // + 7000
    ev({ type: 'procinfo', extra: { cpu_usr: '10', cpu_sys: '5' } }),
    ev({ type: 'procinfo', extra: { cpu_usr: '30', cpu_sys: '8' } }),
    ev({ type: 'procinfo', tid: 101, extra: { cpu_usr: '1', cpu_sys: '1' } }),
  ]);

  it('times switches per CPU (thread.exectime) and gives 0 on other events', () => {
    const rows = fieldValues(trace, 'evt.type in (switch, getpid)', ['evt.type', 'thread.exectime', 'thread.totexectime']);
    expect(rows).toEqual([
      { 'evt.type': 'switch', 'thread.exectime': '0', 'thread.totexectime': '0' },
      { 'evt.type': 'getpid', 'thread.exectime': '0', 'thread.totexectime': '0' },
      { 'evt.type': 'switch', 'thread.exectime': '2000', 'thread.totexectime': '2000' },
    ]);
  });

  it('counts procinfo events and the thread CPU between them', () => {
    const rows = fieldValues(trace, 'evt.type in (procinfo, getpid)', ['evt.count.procinfo', 'evt.count.threadinfo', 'thread.cpu', 'thread.cpu.user', 'thread.cpu.system']);
    expect(rows).toEqual([
      { 'evt.count.procinfo': '0', 'evt.count.threadinfo': '0', 'thread.cpu': '<NA>', 'thread.cpu.user': '<NA>', 'thread.cpu.system': '<NA>' },
      { 'evt.count.procinfo': '1', 'evt.count.threadinfo': '1', 'thread.cpu': '0.0', 'thread.cpu.user': '0.0', 'thread.cpu.system': '0.0' },
      { 'evt.count.procinfo': '1', 'evt.count.threadinfo': '1', 'thread.cpu': '23.0', 'thread.cpu.user': '20.0', 'thread.cpu.system': '3.0' },
      // a thread that is not its process's main thread
      { 'evt.count.procinfo': '0', 'evt.count.threadinfo': '1', 'thread.cpu': '0.0', 'thread.cpu.user': '0.0', 'thread.cpu.system': '0.0' },
    ]);
  });

  it('gives libsinsp’s constant or absent values for latency, plugin and infrastructure fields', () => {
    const rows = fieldValues(trace, 'evt.type=getpid', ['evt.latency.quantized', 'evt.wait_latency', 'evt.pluginname', 'evt.plugininfo', 'evt.infra.docker.name', 'evt.infra.docker.container.id', 'evt.infra.docker.container.name', 'evt.infra.docker.container.image']);
    expect(rows).toEqual([
      { 'evt.latency.quantized': '0', 'evt.wait_latency': '0', 'evt.pluginname': '<NA>', 'evt.plugininfo': '<NA>', 'evt.infra.docker.name': '<NA>', 'evt.infra.docker.container.id': '<NA>', 'evt.infra.docker.container.name': '<NA>', 'evt.infra.docker.container.image': '<NA>' },
    ]);
  });

  it('matches events around a time (evt.around[T]=D, D in milliseconds)', () => {
    const base = 1_700_000_000_000_000_000n; // writeEvents: event n at base + n µs
    const at = (n: bigint) => String(base + n * 1000n);
    expect(fieldValues(trace, `evt.around[${at(6n)}]=0`, ['evt.type'])).toEqual([{ 'evt.type': 'getpid' }]);
    expect(fieldValues(trace, `evt.around[${at(6n)}]=1`, ['evt.type'])).toHaveLength(6);
    expect(fieldValues(trace, `evt.around[${String(base - 2_000_000n)}]=1`, ['evt.type'])).toHaveLength(0);
  });

  it('rejects evt.around with another operator, as libsinsp', () => {
    const loader = loaderFor(loadFalcoConfig({}), undefined, syscallProvider);
    const yaml = '- rule: r\n  desc: d\n  condition: evt.around[1700000000000000000]>10\n  output: o\n  priority: WARNING\n';
    const res = loadRulesContent(loader, 'r.yaml', yaml);
    expect(res.successful).toBe(false);
    expect(JSON.stringify(res.errors)).toContain("evt.around supports only '=' comparison operator");
  });
});

describe('context switches', () => {
  const trace = writeEvents(tmp.dir, [
    ...snapshot,
    ev({ type: 'getpid', tid: 101, res: 100n }),
    // a switch away from thread 101 carries its page faults and its process's memory sizes
    ev({ type: 'switch', dir: '>', tid: 101, extra: { next: '100', pgft_maj: '1', pgft_min: '50', vm_size: '7000', vm_rss: '1500', vm_swap: '0' } }),
    ev({ type: 'getpid', tid: 101, res: 100n }),
    ev({ type: 'getpid', res: 100n }),
  ]);

  it('update the thread page faults and the main thread memory sizes (parse_context_switch)', () => {
    const rows = fieldValues(trace, 'evt.type=getpid', ['thread.tid', 'thread.pfminor', 'proc.vmsize', 'thread.vmsize']);
    expect(rows).toEqual([
      { 'thread.tid': '101', 'thread.pfminor': '<NA>', 'proc.vmsize': '<NA>', 'thread.vmsize': '0' },
      { 'thread.tid': '101', 'thread.pfminor': '50', 'proc.vmsize': '<NA>', 'thread.vmsize': '0' },
      { 'thread.tid': '100', 'thread.pfminor': '<NA>', 'proc.vmsize': '7000', 'thread.vmsize': '7000' },
    ]);
  });
});

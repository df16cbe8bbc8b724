import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/trace/event.js';
import { tempDir, tsfalco } from '../helpers/cli.js';
import { captureSuite, readEvents, runTsfalco, type Run } from './helpers.js';

/**
 * A dual-stack (AF_INET6) socket talking to an IPv4 peer has IPv4-mapped addresses at both ends.
 * libsinsp shows such a socket as an IPv4 one, so that rules on fd.sip, fd.net and fd.type see
 * 127.0.0.1 and not ::ffff:127.0.0.1; a capture records it so, in events and in the snapshot,
 * and a real IPv6 connection stays IPv6.
 */

const CONNECT = `
import socket, sys
v4port, v6port = int(sys.argv[1]), int(sys.argv[2])
a = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); a.connect(("::ffff:127.0.0.1", v4port)); a.close()
b = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); b.connect(("::1", v6port)); b.close()
`;
const HOLD = `
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); s.connect(("::ffff:127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
time.sleep(120)
`;

captureSuite('capture: dual-stack sockets with IPv4-mapped ends', () => {
  const tmp = tempDir('tsfalco-dualstack-');
  const servers: Server[] = [];
  let holder: ChildProcess;
  let v4port = 0;
  let v6port = 0;
  let run: Run;
  let rows: TraceEvent[];
  const trace = join(tmp.dir, 'dual.arrow');

  const listen = async (host: string) => {
    const server = createServer((s) => s.resume());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return (server.address() as { port: number }).port;
  };

  beforeAll(async () => {
    v4port = await listen('127.0.0.1');
    v6port = await listen('::1');
    holder = spawn('python3', ['-c', HOLD, String(v4port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    run = await runTsfalco(['capture', '-o', trace, '--only-command', '--', 'python3', '-c', CONNECT, String(v4port), String(v6port)]);
    rows = readEvents(trace);
  }, 90_000);
  afterAll(() => {
    holder?.kill('SIGKILL');
    for (const s of servers) s.close();
    tmp.cleanup();
  });

  it('records the connection to an IPv4 peer as IPv4, and the one to ::1 as IPv6', () => {
    expect(run.status).toBe(0);
    const connects = rows.filter((e) => e.type === 'connect' && e.res === 0n);
    const toV4 = connects.find((e) => e.dport === v4port);
    const toV6 = connects.find((e) => e.dport === v6port);
    expect(toV4).toMatchObject({ fd_type: 'ipv4', sock_family: 2, sip: '127.0.0.1', dip: '127.0.0.1' });
    expect(toV6).toMatchObject({ fd_type: 'ipv6', sock_family: 10, sip: '::1', dip: '::1' });
  });

  it('snapshots a dual-stack socket already connected to an IPv4 peer as IPv4', () => {
    const fd = rows.find((e) => e.type === 'snapshot_fd' && e.pid === holder.pid && e.dport === v4port);
    expect(fd).toMatchObject({ fd_type: 'ipv4', sock_family: 2, sip: '127.0.0.1', dip: '127.0.0.1' });
  });

  it('lets a filter on IPv4 addresses find it, as in Falco', () => {
    const r = tsfalco(['replay', trace, '--filter', `evt.type=connect and fd.rip=127.0.0.1 and fd.rport=${v4port}`, '-p', '%fd.type %fd.name']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^ipv4 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${v4port}$`))]);
  });
});

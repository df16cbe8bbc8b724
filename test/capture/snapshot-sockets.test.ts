import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/trace/event.js';
import { tempDir } from '../helpers/cli.js';
import { captureSuite, readEvents, runTsfalco } from './helpers.js';

/**
 * The snapshot's sockets come from the socket tables of each process's own network namespace, as
 * libscap reads them: a container's connection (here: a process in a namespace of its own, talking
 * over its private loopback) is an IPv4 socket with its addresses, a netlink socket is one, and a
 * socket of a kind no table lists (a packet socket) is left out rather than guessed.
 */

const HOLD = `
import socket, sys, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
port = srv.getsockname()[1]
cli = socket.socket(); cli.connect(("127.0.0.1", port))
conn, _ = srv.accept()
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); nl.bind((0, 0))
pk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sys.stdout.write("%d %d %d %d\\n" % (port, cli.fileno(), nl.fileno(), pk.fileno())); sys.stdout.flush()
time.sleep(120)
`;

/** The holder's line of four numbers (chunks joined, other lines ignored), or a clear error if it ends before. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d) => {
      text += String(d);
      const line = text.split('\n').find((l) => /^\d+ \d+ \d+ \d+$/.test(l));
      if (line !== undefined) resolve(line);
    });
    child.on('exit', (code, signal) => reject(new Error(`the namespace holder ended (${code ?? signal}) before it was ready; it printed ${JSON.stringify(text)}`)));
  });
}

captureSuite('capture: snapshot sockets, per network namespace', () => {
  const tmp = tempDir('tsfalco-netns-');
  let holder: ChildProcess;
  let port = 0;
  let fds: { cli: bigint; nl: bigint; pk: bigint };
  let rows: TraceEvent[];

  beforeAll(async () => {
    // unshare -n: a new network namespace whose loopback is brought up, as a container runtime does.
    holder = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec python3 -c "$0"', HOLD], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await firstLine(holder);
    const [p, cli, nl, pk] = line.trim().split(' ').map(Number);
    port = p!;
    fds = { cli: BigInt(cli!), nl: BigInt(nl!), pk: BigInt(pk!) };
    const trace = join(tmp.dir, 'netns.arrow');
    const run = await runTsfalco(['capture', '-o', trace, '--only-command', '--', 'true']);
    expect(run.status).toBe(0);
    rows = readEvents(trace).filter((e) => e.type === 'snapshot_fd' && e.pid === holder.pid);
  }, 90_000);
  afterAll(() => {
    holder?.kill('SIGKILL');
    tmp.cleanup();
  });

  it('has the connection made inside the namespace, with its addresses', () => {
    const cli = rows.find((e) => e.fd === fds.cli);
    expect(cli).toMatchObject({ fd_type: 'ipv4', sock_family: 2, l4proto: 6, sip: '127.0.0.1', dip: '127.0.0.1', dport: port });
    expect(cli?.sport).toBeGreaterThan(0);
    // ... and the listening socket and the accepted one, as server sockets on the port.
    expect(rows.filter((e) => e.fd_type === 'ipv4' && e.dport === port).length).toBe(3);
  });

  it('has the netlink socket, and leaves out the packet socket', () => {
    expect(rows.find((e) => e.fd === fds.nl)).toMatchObject({ fd_type: 'netlink', sock_family: 16 });
    expect(rows.find((e) => e.fd === fds.pk)).toBeUndefined();
  });
});

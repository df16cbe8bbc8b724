import { Flags } from '@oclif/core';
import { TsfalcoCommand } from '../src/cli/base-command.js';
import { runCaptureCommand } from '../src/capture/cli.js';

export default class Capture extends TsfalcoCommand {
  static override summary = 'Record kernel events (syscalls, process exits) with eBPF into an Arrow trace.';
  static override description = `Needs root and a kernel with eBPF and BTF. Records one row per completed syscall of the selected set (default: process lifecycle, file changes, network, privilege and evasion syscalls, and everything Falco's upstream rules look at), process exits, a snapshot of processes, fds, users and groups at the start and every minute, and drop statistics. With a command after "--", records while it runs, stops when it exits and returns its exit code; otherwise records until Ctrl-C/SIGTERM, --duration or --max-size. The trace is created with mode 0600 (it holds command lines).`;
  static override examples = [
    { description: 'Record the whole host for 30 seconds', command: '<%= config.bin %> <%= command.id %> -o trace.arrow --duration 30s' },
    { description: 'Record only what a script does', command: '<%= config.bin %> <%= command.id %> -o build.arrow --only-command -- ./build.sh' },
    { description: 'Every syscall of one process tree', command: '<%= config.bin %> <%= command.id %> -o nginx.arrow --events all --pid 845' },
  ];
  static override strict = false;
  static override flags = {
    output: Flags.string({ char: 'o', description: 'trace file to write (.arrow)', required: true }),
    duration: Flags.string({ char: 'd', description: 'stop after this long (30s, 5m, 1h)' }),
    events: Flags.string({ char: 'e', description: 'syscalls to record: "default", "all", or a list such as openat,execve,connect ("+read,+write" adds to the default set)' }),
    'max-size': Flags.string({ description: 'stop when the trace reaches this size (e.g. 1G, 500M)' }),
    pid: Flags.integer({ char: 'p', description: 'record only this process and its descendants (repeatable)', multiple: true }),
    comm: Flags.string({ description: 'record only threads with this command name (comm, 15 characters at most)' }),
    container: Flags.string({ description: 'record only processes of this container (id or id prefix)' }),
    'only-command': Flags.boolean({ description: 'with a command: record only its process tree, not the whole host' }),
    env: Flags.boolean({ description: 'record the environment of new processes (may hold secrets)' }),
    force: Flags.boolean({ char: 'f', description: 'overwrite the output file if it exists' }),
    'buffer-size': Flags.string({ description: 'kernel ring buffer size, a power of two (default 8M)' }),
    snaplen: Flags.integer({ description: 'bytes of data recorded for read/write/send/recv (0-256, default 0)', min: 0, max: 256 }),
    'snapshot-interval': Flags.string({ description: 'how often to repeat the process/fd snapshot (default 1m)' }),
    quiet: Flags.boolean({ char: 'q', description: 'no progress and no summary on stderr' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Capture);
    const code = await runCaptureCommand({
      output: flags.output,
      duration: flags.duration,
      events: flags.events,
      maxSize: flags['max-size'],
      pid: flags.pid,
      comm: flags.comm,
      container: flags.container,
      onlyCommand: flags['only-command'],
      env: flags.env,
      force: flags.force,
      bufferSize: flags['buffer-size'],
      snaplen: flags.snaplen,
      snapshotInterval: flags['snapshot-interval'],
      quiet: flags.quiet,
      command: argv as string[],
    });
    if (code !== 0) this.exit(code);
  }
}

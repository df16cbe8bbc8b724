import { Args } from '@oclif/core';
import { TsfalcoCommand } from '../../src/cli/base-command.js';
import { repairTrace } from '../../src/trace/repair.js';
import { formatBytes } from '../../src/util/format.js';
import { withIo } from '../../src/util/io-errors.js';
import { sanitize } from '../../src/util/terminal.js';

export default class TraceRepair extends TsfalcoCommand {
  static override summary = 'Finish a trace whose writer was killed, in place, so that every tool can read it.';
  static override description = `A capture killed with SIGKILL (or a full disk, or a crash) leaves an Arrow file without its footer, maybe with half a batch at the end. tsfalco reads such files as they are; other Arrow readers (pyarrow, polars, DuckDB) need the footer. This command keeps every complete batch where it is, cuts off the partial one (it holds no complete event) and appends the footer. A file that is already complete is left untouched.`;
  static override examples = ['<%= config.bin %> <%= command.id %> incident.arrow'];
  static override args = {
    trace: Args.string({ description: 'trace file to repair in place', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(TraceRepair);
    // The file is opened for writing: a read-only file or file system is reported as one line.
    const result = withIo(args.trace, 'cannot repair in place', () => repairTrace(args.trace));
    const name = sanitize(result.path);
    if (result.alreadyComplete) {
      process.stdout.write(`${name}: already complete, nothing to do\n`);
      return;
    }
    const dropped = result.droppedBytes > 0 ? `; cut ${formatBytes(result.droppedBytes)} of an incomplete batch` : '';
    process.stdout.write(
      `${name}: repaired: ${result.batches} record batch(es) and ${result.dictionaryBatches} dictionary batch(es) indexed${dropped}; now ${formatBytes(result.size)}\n`,
    );
  }
}

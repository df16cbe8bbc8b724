import { statSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { TsfalcoCommand } from '../src/cli/base-command.js';
import { runConvert } from '../src/cli/convert-run.js';
import { byteProgress } from '../src/cli/progress.js';
import { formatBytes, formatCount } from '../src/util/format.js';
import { sanitize } from '../src/util/terminal.js';

function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // the reader reports the real problem
  }
}

export default class Convert extends TsfalcoCommand {
  static override summary = 'Convert a trace between formats: a Falco/sysdig .scap capture into a tsfalco .arrow trace, or a trace into a .scap capture.';
  static override description = `The output format is chosen by OUT's extension (.arrow, .scap, .scap.gz). A .scap is written for sysdig 0.29's libscap by default (which current Falco, sysdig and Stratoshark read too); --scap-target latest uses the newest event layouts, for current libs only. The input may be a .scap capture (gzip or not, any libscap version) or a .arrow trace. Events keep their number, time, thread and arguments; the process, fd, user and group tables at the start of the capture become a snapshot. A damaged input is converted up to the damage, then reported (exit status 1).`;
  static override examples = [
    { description: 'Convert a sysdig capture', command: '<%= config.bin %> <%= command.id %> capture.scap capture.arrow' },
    { description: 'Then query or replay it', command: '<%= config.bin %> trace info capture.arrow' },
    { description: 'Hand a trace to someone who uses sysdig', command: '<%= config.bin %> <%= command.id %> incident.arrow incident.scap && sysdig -r incident.scap' },
  ];
  static override args = {
    input: Args.string({ description: 'trace to read (.scap or .arrow)', required: true }),
    output: Args.string({ description: 'file to write; its extension names the format (.arrow, .scap, .scap.gz)', required: true }),
  };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'overwrite OUT if it exists' }),
    compression: Flags.string({ description: 'Arrow body compression', options: ['lz4', 'none'], default: 'lz4' }),
    'scap-target': Flags.string({ description: 'the libscap a .scap output is for', options: ['sysdig-0.29', 'latest'], default: 'sysdig-0.29' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Convert);
    const progress = byteProgress(args.input, statSize(args.input));
    let result;
    try {
      result = runConvert({
        input: args.input,
        output: args.output,
        force: flags.force,
        compression: flags.compression as 'lz4' | 'none',
        scapTarget: flags['scap-target'] as 'sysdig-0.29' | 'latest',
        onProgress: progress.update,
      });
    } finally {
      progress.stop();
    }
    const seconds = result.elapsedMs / 1000;
    const rate = seconds > 0 ? Math.round(result.events / seconds) : 0;
    const skipped = (result.unknownEvents > 0 ? `; ${formatCount(result.unknownEvents)} events of unknown types skipped` : '') + (result.note ? `; ${result.note}` : '');
    process.stderr.write(
      `${sanitize(result.input)} → ${sanitize(result.output)}: ${formatCount(result.events)} events and ${formatCount(result.records)} records, ${formatBytes(result.bytesWritten)}, in ${seconds.toFixed(2)}s (${formatCount(rate)} events/s)${skipped}\n`,
    );
  }
}

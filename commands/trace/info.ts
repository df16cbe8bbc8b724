import { Args, Flags } from '@oclif/core';
import { TsfalcoCommand } from '../../src/cli/base-command.js';
import { renderTraceSummary, traceSummaryJson } from '../../src/cli/trace-report.js';
import { statSync } from 'node:fs';
import { byteProgress } from '../../src/cli/progress.js';
import { openAnyTrace } from '../../src/scap/index.js';
import { summarizeTrace } from '../../src/trace/summary.js';
import { incompleteMessage } from '../../src/trace/reader.js';
import { isUserError } from '../../src/util/errors.js';
import { sanitize } from '../../src/util/terminal.js';
import { toJson } from '../../src/util/json.js';

function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // the reader reports the real problem
  }
}

export default class TraceInfo extends TsfalcoCommand {
  static override summary = 'Describe one or more traces: machine, time range, events by type, processes, drops, size.';
  static override description = `Reads each trace once, batch by batch, and reports what it holds. A trace whose writer was killed (no Arrow footer, or a batch cut in half) is still read up to its last complete batch; the report says it is incomplete and the command exits with status 1 (see "tsfalco trace repair").`;
  static override examples = [
    { description: 'Summarise the demo trace', command: '<%= config.bin %> <%= command.id %> fixtures/demo.arrow' },
    { description: 'Machine-readable, for several traces', command: '<%= config.bin %> <%= command.id %> a.arrow b.arrow --json' },
  ];
  static override strict = false;
  static override args = {
    trace: Args.string({ description: 'trace file(s) (.arrow, or .scap captures of Falco/sysdig)', required: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: 'print a JSON array, one object per trace, instead of tables' }),
    top: Flags.integer({ description: 'how many event types and processes to list', default: 15, min: 1 }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(TraceInfo);
    let failed = false;
    const json: unknown[] = [];
    for (const path of argv as string[]) {
      try {
        const progress = byteProgress(path, statSize(path));
        let summary;
        try {
          summary = summarizeTrace(openAnyTrace(path), { topTypes: flags.top, topProcesses: flags.top, onProgress: progress.update });
        } finally {
          progress.stop();
        }
        if (flags.json) json.push(traceSummaryJson(summary));
        else process.stdout.write(renderTraceSummary(summary));
        if (summary.problem) {
          failed = true;
          process.stderr.write(`tsfalco: ${sanitize(summary.problem)}\n`);
        } else if (!summary.ending.complete) {
          failed = true;
          process.stderr.write(`tsfalco: ${sanitize(incompleteMessage(path, summary.ending))}\n`);
        }
      } catch (err) {
        if (!isUserError(err)) throw err;
        failed = true;
        if (flags.json) json.push({ path, error: err.message });
        process.stderr.write(`tsfalco: ${sanitize(err.message)}\n`);
      }
    }
    if (flags.json) process.stdout.write(toJson(json, null, 2) + '\n');
    if (failed) this.exit(1);
  }
}

/**
 * Outputs: Falco's alert formats and the sinks alerts are written to.
 */
import type { FalcoConfig } from '../config/index.js';
import { openAlertFile } from './file.js';
import { programSink } from './program.js';
import { fanOut, type OutputSink } from './sink.js';
import { stdoutSink } from './stdout.js';

export { alertFormatFrom, alertJson, alertLine, alertText, type AlertFormat } from './alerts.js';
export { fanOut, lineBuffer, type OutputMessage, type OutputSink } from './sink.js';
export { openAlertFile } from './file.js';
export { programSink } from './program.js';
export { stdoutSink } from './stdout.js';
export { stderrLogger, type Logger } from './log.js';

/**
 * The outputs falco.yaml enables (stdout_output, file_output, program_output), opened now: a
 * file that cannot be appended to is reported before anything runs. `alertsOnly` outputs
 * (file, program) are left out when the lines are not alerts (`--filter` event lines).
 */
export function openConfiguredSinks(config: FalcoConfig, options: { alerts: boolean }): OutputSink {
  const sinks: OutputSink[] = [];
  if (options.alerts && config.fileOutput.enabled) sinks.push(openAlertFile(config.fileOutput.filename));
  if (config.stdoutOutput.enabled) sinks.unshift(stdoutSink());
  if (options.alerts && config.programOutput.enabled) sinks.push(programSink(config.programOutput.program, config.programOutput.keepAlive));
  return fanOut(sinks);
}

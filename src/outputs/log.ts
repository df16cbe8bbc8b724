/**
 * Falco-style log lines on stderr: `<time>: <message>`, the time as `Sun Nov 22 15:06:00 2026`
 * or, with time_format_iso_8601, `2026-11-22T15:06:00+0000`. Shown when log_stderr is on and the
 * line's level is within log_level.
 */
const LEVELS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'];

export interface Logger {
  log(level: 'error' | 'warning' | 'notice' | 'info' | 'debug', message: string): void;
}

export function stderrLogger(options: { enabled: boolean; level: string; iso8601: boolean }): Logger {
  const max = LEVELS.indexOf(options.level);
  return {
    log(level, message) {
      if (!options.enabled || LEVELS.indexOf(level) > max) return;
      const now = new Date();
      const time = options.iso8601 ? now.toISOString().replace(/\.\d{3}Z$/, '+0000') : now.toString().replace(/ GMT.*$/, '').replace(/^(\w+) (\w+) (\d+) (\d+) (.*)$/, '$1 $2 $3 $5 $4');
      process.stderr.write(`${time}: ${message}\n`);
    },
  };
}

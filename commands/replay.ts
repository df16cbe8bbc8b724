import { existsSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { TsfalcoCommand } from '../src/cli/base-command.js';
import { runReplay } from '../src/cli/replay-run.js';
import { configFromFlags } from '../src/cli/rules-env.js';
import { UserError } from '../src/util/errors.js';

export default class Replay extends TsfalcoCommand {
  static override summary = 'Replay traces through Falco rules at full speed and print the alerts Falco would have raised.';
  static override description = `Rebuilds the processes, files and connections of the recorded host from the trace and runs every selected rule on every event, as Falco does live. Falco's flags and falco.yaml keys keep their meaning: -r rules files (default: the bundled rules/tsfalco_rules.yaml), -c/-o configuration (rules: selection, priority, rule_matching, json_output and json_include_*, time_format_iso_8601, stdout_output, file_output, append_output), -D/-t/-T rule selection. Alerts go to stdout (text, or JSON lines with --json); a summary goes to stderr.`;
  static override examples = [
    { description: 'Replay the demo incident with the default rules', command: '<%= config.bin %> <%= command.id %> fixtures/demo.arrow' },
    { description: 'With Falco\'s upstream rules, as JSON lines for falcosidekick', command: '<%= config.bin %> <%= command.id %> incident.arrow -r falco_rules.yaml --json' },
    { description: 'Only rules tagged "network", minimum priority warning', command: '<%= config.bin %> <%= command.id %> incident.arrow -r falco_rules.yaml -t network -o priority=warning' },
    { description: 'Print every connect of nc, like sysdig -r', command: '<%= config.bin %> <%= command.id %> fixtures/demo.arrow --filter "evt.type=connect and proc.name=nc"' },
    { description: 'Choose the fields of each line, like sysdig -r -p', command: '<%= config.bin %> <%= command.id %> capture.scap --filter "evt.type=open" -p "%evt.num %proc.name %fd.name %evt.res"' },
  ];
  static override strict = false;
  static override args = {
    trace: Args.string({ description: 'trace file(s) (.arrow, or Falco/sysdig .scap captures); or give them with -e / -o engine.replay.capture_file=' }),
  };
  static override flags = {
    rules: Flags.string({ char: 'r', description: 'rules file or folder (repeatable, loaded in order)', multiple: true, multipleNonGreedy: true }),
    config: Flags.string({ char: 'c', description: 'Falco configuration file (default: Falco\'s stock configuration)' }),
    option: Flags.string({ char: 'o', description: 'set a configuration key: key=value (repeatable, later wins; key[]=value appends)', multiple: true, multipleNonGreedy: true }),
    disable: Flags.string({ char: 'D', description: 'disable rules whose name contains this substring (repeatable)', multiple: true, multipleNonGreedy: true }),
    tag: Flags.string({ char: 't', description: 'run only rules with this tag (repeatable)', multiple: true, multipleNonGreedy: true }),
    'disable-tag': Flags.string({ char: 'T', description: 'disable rules with this tag (repeatable)', multiple: true, multipleNonGreedy: true }),
    'trace-file': Flags.string({ char: 'e', description: 'trace file to replay (Falco\'s -e)', multiple: true, multipleNonGreedy: true }),
    print: Flags.string({ char: 'p', description: 'with rules: text appended to every rule\'s output (Falco\'s -p); with --filter: the format of each event line (sysdig\'s -p: %field, %field[arg], %(field); a format not starting with * skips events missing a field; default "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info")' }),
    all: Flags.boolean({ char: 'A', description: 'accepted for Falco compatibility: a trace holds every recorded event type already' }),
    json: Flags.boolean({ description: 'print alerts as JSON lines (same as -o json_output=true)' }),
    filter: Flags.string({ description: 'print the events matching this Falco filter expression as sysdig -r prints them (one line per event, in the -p format), instead of running rules (e.g. "evt.type=connect and proc.name=nc")' }),
    'no-summary': Flags.boolean({ description: 'do not print the summary on stderr' }),
    workers: Flags.integer({ description: 'replay several traces at once on this many cores (output identical to one worker)', default: 1, min: 1 }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Replay);
    const config = configFromFlags(flags.config, flags.option);
    const traces = [...(argv as string[]), ...(flags['trace-file'] ?? [])];
    const fromConfig = config.engine.replayCaptureFile;
    if (fromConfig) {
      // Say where a trace nobody typed came from (Falco's engine.replay.capture_file).
      if (!existsSync(fromConfig)) {
        const option = [...(flags.option ?? [])].reverse().find((o) => o.startsWith('engine.replay'));
        throw new UserError(`${fromConfig}: no such file (the trace of engine.replay.capture_file, set by ${option ? `-o ${option}` : config.name})`);
      }
      traces.push(fromConfig);
    }
    if (traces.length === 0) throw new UserError('no trace given: tsfalco replay TRACE [-r RULES]...');
    const result = await runReplay({
      traces,
      rulesFiles: flags.rules ?? [],
      config,
      disableSubstrings: flags.disable ?? [],
      enableTags: flags.tag ?? [],
      disableTags: flags['disable-tag'] ?? [],
      printAdditional: flags.print,
      json: flags.json,
      summary: !flags['no-summary'],
      filter: flags.filter,
    }, flags.workers);
    if (!result.complete) this.exit(1);
  }
}

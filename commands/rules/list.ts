import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TsfalcoCommand } from '../../src/cli/base-command.js';
import { configFromFlags, expandRulesPaths, loaderFor, loadRuleFiles, pluginRequirementError } from '../../src/cli/rules-env.js';
import { describeRules, formatResult, formatRulesTable } from '../../src/rules/load/index.js';
import { UserError } from '../../src/util/errors.js';
import { sanitizeMultiline } from '../../src/util/terminal.js';
import { toJson } from '../../src/util/json.js';

export default class RulesList extends TsfalcoCommand {
  static override summary = 'List the rules of rules files, like `falco -L`: name, description, priority, source, tags.';
  static override description = `Loads the rules files in order (as replay would) and lists every rule they define, disabled ones included (marked). Without -r, the files come from -c's rules_files, else the bundled rules/tsfalco_rules.yaml. A file with errors stops the listing with exit status 1; run "tsfalco rules validate" for every problem at once.

--json prints Falco's describe document: required_engine_version, required_plugin_versions, and rules/macros/lists with their details.`;
  static override examples = [
    { description: 'List the upstream rules', command: '<%= config.bin %> <%= command.id %> -r falco_rules.yaml' },
    { description: 'Several files, as JSON', command: '<%= config.bin %> <%= command.id %> -r falco_rules.yaml -r my_rules.yaml --json' },
  ];
  static override flags = {
    rules: Flags.string({ char: 'r', description: 'rules file or folder (repeatable, loaded in order)', multiple: true, multipleNonGreedy: true }),
    json: Flags.boolean({ description: 'print Falco\'s describe JSON document instead of a table' }),
    config: Flags.string({ char: 'c', description: 'Falco configuration file (default: Falco\'s stock configuration)' }),
    option: Flags.string({ char: 'o', description: 'set a configuration key (key=value, repeatable)', multiple: true, multipleNonGreedy: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RulesList);
    const config = configFromFlags(flags.config, flags.option);
    let paths = flags.rules ?? [];
    if (paths.length === 0 && flags.config !== undefined) paths = config.rulesFiles.filter((p) => existsSync(p));
    if (paths.length === 0) {
      const bundled = join(this.config.root, 'rules', 'tsfalco_rules.yaml');
      if (!existsSync(bundled)) {
        throw new UserError(`no rules to list: give a rules file with -r FILE (the bundled ${bundled} is not there)`);
      }
      paths = [bundled];
    }
    const loader = loadRuleFiles(loaderFor(config), expandRulesPaths(paths), true);
    const failed = loader.results.find((r) => !r.successful);
    if (failed) {
      process.stderr.write(sanitizeMultiline(formatResult(failed, loader.contents)));
      this.exit(1);
    }
    const pluginErr = pluginRequirementError(loader);
    if (pluginErr) throw new UserError(pluginErr);
    const warnings = loader.results.reduce((n, r) => n + r.warnings.length, 0);
    if (warnings > 0) {
      process.stderr.write(`tsfalco: ${warnings} warning(s) while loading; "tsfalco rules validate" shows them\n`);
    }
    if (flags.json || config.jsonOutput) process.stdout.write(toJson(describeRules(loader)) + '\n');
    else process.stdout.write(formatRulesTable(loader));
  }
}

import { Args, Flags } from '@oclif/core';
import { TsfalcoCommand } from '../../src/cli/base-command.js';
import { configFromFlags, loaderFor, loadRuleFiles, pluginRequirementError } from '../../src/cli/rules-env.js';
import { formatResult, loadResultsJson } from '../../src/rules/load/index.js';
import { UserError } from '../../src/util/errors.js';
import { toJson } from '../../src/util/json.js';

export default class RulesValidate extends TsfalcoCommand {
  static override summary = 'Check Falco rules files the way `falco -V` does: Falco error codes, file:line:col, exit 1 on any error.';
  static override description = `All files are loaded in order into one engine, so a later file can append to or override items of an earlier one; its problems are reported against the later file. Every problem carries Falco's code (LOAD_ERR_YAML_PARSE, LOAD_ERR_VALIDATE, LOAD_ERR_COMPILE_CONDITION, ..., and LOAD_* for warnings), the place in the file and the offending text.

The exit status is 1 if any file has an error, 0 otherwise (warnings alone do not fail). With --json (or -o json_output=true) one JSON document is printed on one line, in the shape of Falco's {"falco_load_results": [...]} (positions there are 0-based, as Falco's).`;
  static override examples = [
    { description: 'Validate the upstream rules together', command: '<%= config.bin %> <%= command.id %> falco_rules.yaml falco-incubating_rules.yaml' },
    { description: 'Check a local override file on top of the stock rules, as JSON', command: '<%= config.bin %> <%= command.id %> falco_rules.yaml my_rules.yaml --json' },
    { description: 'With an append_output from the command line', command: "<%= config.bin %> <%= command.id %> my_rules.yaml -o 'append_output[].extra_output=user=%user.name'" },
  ];
  static override strict = false;
  static override args = {
    file: Args.string({ description: 'rules file(s), loaded in the given order', required: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: 'print one JSON document (Falco\'s falco_load_results) instead of text' }),
    config: Flags.string({ char: 'c', description: 'Falco configuration file (default: Falco\'s stock configuration)' }),
    option: Flags.string({
      char: 'o',
      description: 'set a configuration key: key=value, key.sub=value, key[]=value appends to a list (repeatable, later wins)',
      multiple: true,
      multipleNonGreedy: true,
    }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RulesValidate);
    const files = argv as string[];
    if (files.length === 0) throw new UserError('no rules file given');
    const config = configFromFlags(flags.config, flags.option);
    const loader = loadRuleFiles(loaderFor(config), files, false);
    const pluginErr = pluginRequirementError(loader);
    if (pluginErr) throw new UserError(pluginErr);

    if (flags.json || config.jsonOutput) {
      process.stdout.write(toJson(loadResultsJson(loader)) + '\n');
    } else {
      process.stdout.write(loader.results.map((r) => formatResult(r, loader.contents)).join(''));
    }
    if (loader.results.some((r) => !r.successful)) this.exit(1);
  }
}

import { Args, Flags } from '@oclif/core';
import { TsfalcoCommand } from '../src/cli/base-command.js';
import { BUILTIN_SOURCES } from '../src/engine/sources.js';
import { fieldListJson, renderFieldList } from '../src/engine/fields/listing.js';
import type { FieldCatalog } from '../src/rules/catalog.js';
import { UserError } from '../src/util/errors.js';
import { toJson } from '../src/util/json.js';

/** Catalogs by event source, from the engine's registry of sources. */
const CATALOGS: ReadonlyMap<string, FieldCatalog> = new Map(BUILTIN_SOURCES.map((s) => [s.name, s.catalog]));

export default class Fields extends TsfalcoCommand {
  static override summary = 'List the fields usable in rule conditions and outputs (like falco --list).';
  static override description = `Fields are grouped by class (evt, process, fd, user, ...) with their type and description.
FILTER keeps fields whose name contains it (or a whole class by its name).`;
  static override examples = [
    { description: 'All syscall fields', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Process fields as JSON', command: '<%= config.bin %> <%= command.id %> process --json' },
    { description: 'Names only', command: '<%= config.bin %> <%= command.id %> fd. --names-only' },
  ];
  static override args = {
    filter: Args.string({ description: 'substring of field names, or a class name', required: false }),
  };
  static override flags = {
    source: Flags.string({ description: 'event source whose fields to list (default: all)' }),
    json: Flags.boolean({ description: 'print JSON instead of text' }),
    verbose: Flags.boolean({ char: 'v', description: 'show each field type' }),
    'names-only': Flags.boolean({ char: 'N', description: 'print only field names' }),
    deprecated: Flags.boolean({ description: 'include deprecated fields' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Fields);
    let catalogs = [...CATALOGS.values()];
    if (flags.source !== undefined) {
      const c = CATALOGS.get(flags.source);
      if (!c) throw new UserError(`unknown event source '${flags.source}' (known: ${[...CATALOGS.keys()].join(', ')})`);
      catalogs = [c];
    }
    const opts = {
      ...(args.filter !== undefined ? { filter: args.filter } : {}),
      verbose: flags.verbose,
      namesOnly: flags['names-only'],
      includeDeprecated: flags.deprecated,
    };
    if (flags.json) {
      const out = catalogs.flatMap((c) => fieldListJson(c, opts));
      process.stdout.write(toJson(out, null, 2) + '\n');
      return;
    }
    for (const c of catalogs) process.stdout.write(renderFieldList(c, opts));
  }
}

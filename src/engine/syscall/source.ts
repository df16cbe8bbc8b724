import { newRuleSetCompiler } from '../../rules/condition/index.js';
import { COLUMNS, type ColumnName } from '../../trace/columns.js';
import { newSyscallProvider } from '../extract/fields.js';
import { syscallCatalog } from '../fields/catalog.js';
import type { SourceDefinition } from '../source.js';
import { replaySyscalls } from './replay.js';

/**
 * The fields Falco's container plugin marks "use as suggested output format", in its order
 * (falcosecurity/plugins plugins/container/src/caps/extract/extract.cpp): with
 * `append_output: - suggested_output: true` (Falco's default) every syscall rule's output gets
 * `container_id=%container.id container_name=%container.name …` and its JSON alert these
 * `output_fields`.
 */
export const CONTAINER_PLUGIN_SUGGESTED_FIELDS: readonly string[] = [
  'container.id', 'container.name', 'container.image.repository', 'container.image.tag', 'k8s.pod.name', 'k8s.ns.name',
];

const CORE: ReadonlySet<string> = new Set(['ts', 'num', 'source', 'type', 'payload']);

/** `syscall`: kernel events, their state machine (threads, fds, users, containers) and libsinsp's fields. */
export const syscallSource: SourceDefinition = {
  name: 'syscall',
  catalog: syscallCatalog,
  columns: COLUMNS.map((c) => c.name).filter((n): n is ColumnName => !CORE.has(n)),
  typeFields: ['evt.type', 'syscall.type'],
  suggestedFields: CONTAINER_PLUGIN_SUGGESTED_FIELDS,
  newProvider: (options) => newSyscallProvider(options),
  newSession(options) {
    const provider = newSyscallProvider(options);
    return {
      provider,
      replay: (context) => replaySyscalls(context),
      compiler: () => newRuleSetCompiler(syscallCatalog, provider),
    };
  },
};

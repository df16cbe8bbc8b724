/** Test helpers: a small syscall-like catalog and a one-call loader. */
import { makeCatalog, type FieldInfo } from '../../../src/rules/catalog.js';
import { loadRulesFiles, loadResultsJson, type LoaderOptions, type RulesLoader } from '../../../src/rules/load/loader.js';

const f = (name: string, type: FieldInfo['type'] = 'string', extra: Partial<FieldInfo> = {}): FieldInfo => ({
  name,
  type,
  desc: name,
  arg: 'none',
  ...extra,
});

export const testCatalog = makeCatalog('syscall', [
  f('evt.type'),
  f('evt.num', 'uint64'),
  f('evt.dir'),
  f('evt.arg', 'dyn', { arg: 'required', dotArg: true }),
  f('proc.name'),
  f('proc.pname'),
  f('proc.cmdline'),
  f('proc.aname', 'string', { arg: 'optional', argKind: 'index' }),
  f('fd.name'),
  f('fd.directory'),
  f('user.name'),
  f('container.id'),
]);

export function testOptions(extra: Partial<LoaderOptions> = {}): LoaderOptions {
  return { sources: [{ name: 'syscall', catalog: testCatalog, eventTypes: [] }], ...extra };
}

export function load(files: Record<string, string> | string, extra: Partial<LoaderOptions> = {}): RulesLoader {
  const list = typeof files === 'string' ? [{ name: 'rules.yaml', text: files }] : Object.entries(files).map(([name, text]) => ({ name, text }));
  return loadRulesFiles(list, testOptions(extra));
}

export function json(loader: RulesLoader) {
  return loadResultsJson(loader).falco_load_results;
}

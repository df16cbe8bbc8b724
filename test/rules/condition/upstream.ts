/** Test helper: the upstream Falco rule files, read with the `yaml` package (suites that call it need FALCO_RULES). */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { FALCO_RULES, upstreamPath } from '../../helpers/upstream.js';

export interface Upstream {
  macros: Map<string, string>;
  lists: Map<string, string[]>;
  rules: Array<{ rule: string; condition: string; output: string }>;
}

export function loadUpstream(): Upstream {
  const macros = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const rules: Upstream['rules'] = [];
  for (const f of FALCO_RULES) {
    const text = readFileSync(upstreamPath(f), 'utf8');
    for (const doc of parseAllDocuments(text)) {
      const items = (doc.toJS() ?? []) as Array<Record<string, unknown>>;
      for (const it of items) {
        if (typeof it.list === 'string') lists.set(it.list, ((it.items as unknown[]) ?? []).map(String));
        else if (typeof it.macro === 'string') macros.set(it.macro, String(it.condition));
        else if (typeof it.rule === 'string' && it.condition !== undefined)
          rules.push({ rule: it.rule, condition: String(it.condition), output: String(it.output ?? '') });
      }
    }
  }
  return { macros, lists, rules };
}

/** A plain-object cursor: keys are field names, `name[arg]` for arguments. */
export const objectProvider = {
  extractor: (f: { name: string }, arg: string | undefined) => {
    const key = arg === undefined ? f.name : `${f.name}[${arg}]`;
    return (c: unknown) => (c as Record<string, unknown>)[key];
  },
};

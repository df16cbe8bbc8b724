import type { SourceDefinition } from './source.js';
import { syscallSource } from './syscall/source.js';

/**
 * The event sources tsfalco knows, by name: the one registry the rules loader, `tsfalco
 * fields` and replay take their sources from. Plugins will add theirs here.
 */
export const BUILTIN_SOURCES: readonly SourceDefinition[] = [syscallSource];

export interface SourceRegistry {
  readonly all: readonly SourceDefinition[];
  get(name: string): SourceDefinition | undefined;
  names(): string[];
}

export function sourceRegistry(sources: readonly SourceDefinition[] = BUILTIN_SOURCES): SourceRegistry {
  const byName = new Map<string, SourceDefinition>();
  for (const s of sources) {
    if (byName.has(s.name)) throw new Error(`event source ${s.name} is defined twice`);
    byName.set(s.name, s);
  }
  return { all: sources, get: (name) => byName.get(name), names: () => [...byName.keys()] };
}

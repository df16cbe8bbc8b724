import { newRuleSetCompiler, type ExtractorProvider } from '../../../src/rules/condition/index.js';
import { makeCatalog, type FieldInfo } from '../../../src/rules/catalog.js';
import { binaryAt, COLUMN_INDEX, isSet } from '../../../src/engine/batch-view.js';
import { Cursor } from '../../../src/engine/cursor.js';
import type { SourceDefinition } from '../../../src/engine/source.js';
import { newReplayState } from '../../../src/engine/state/types.js';

/**
 * A test-only event source, `testlog`: application log lines carried in the trace's `payload`
 * column as JSON (`{"level":"error","msg":"…","user":"…"}`), with fields of its own and the
 * generic evt.* fields every source has. It exists to prove the engine's seams (catalog, rules
 * with `source: testlog`, rows of two sources in one trace, alerts through the outputs): nothing
 * in src/ knows it.
 */
const FIELDS: FieldInfo[] = [
  { name: 'testlog.level', type: 'charbuf', arg: 'none', desc: 'the log level' },
  { name: 'testlog.msg', type: 'charbuf', arg: 'none', desc: 'the message' },
  { name: 'testlog.user', type: 'charbuf', arg: 'none', desc: 'who the line is about' },
  { name: 'testlog.size', type: 'uint64', arg: 'none', desc: 'bytes the line reports' },
  { name: 'evt.num', type: 'uint64', arg: 'none', desc: 'event number' },
  { name: 'evt.type', type: 'charbuf', arg: 'none', desc: 'event type' },
  { name: 'evt.source', type: 'charbuf', arg: 'none', desc: 'event source' },
].map((f) => ({ ...f, className: f.name.split('.')[0] }) as FieldInfo);

export const testlogCatalog = makeCatalog('testlog', FIELDS);

const utf8 = new TextDecoder();

function newTestlogProvider(): ExtractorProvider {
  // The decoded payload of the current event, once per event.
  let stamp = -1;
  let doc: Record<string, unknown> = {};
  const payload = (c: Cursor): Record<string, unknown> => {
    if (c.stamp !== stamp) {
      stamp = c.stamp;
      const col = c.view.cols[COLUMN_INDEX.payload];
      doc = isSet(col, c.row) ? (JSON.parse(utf8.decode(binaryAt(col, c.row))) as Record<string, unknown>) : {};
    }
    return doc;
  };
  return {
    extractor(field) {
      switch (field.name) {
        case 'evt.num':
          return (c) => (c as Cursor).big('num');
        case 'evt.type':
          return (c) => (c as Cursor).str('type');
        case 'evt.source':
          return () => 'testlog';
        case 'testlog.size':
          return (c) => {
            const v = payload(c as Cursor).size;
            return typeof v === 'number' ? BigInt(v) : undefined;
          };
        default: {
          const key = field.name.slice('testlog.'.length);
          return (c) => {
            const v = payload(c as Cursor)[key];
            return typeof v === 'string' ? v : undefined;
          };
        }
      }
    },
  };
}

export const testlogSource: SourceDefinition = {
  name: 'testlog',
  catalog: testlogCatalog,
  columns: ['payload'],
  typeFields: ['evt.type'],
  suggestedFields: [],
  newProvider: () => newTestlogProvider(),
  newSession() {
    const provider = newTestlogProvider();
    return {
      provider,
      compiler: () => newRuleSetCompiler(testlogCatalog, provider),
      replay(context) {
        const cursor = new Cursor(newReplayState(context.metadata.host, 0n));
        const matches: number[] = [];
        const hostname = context.hostname ?? context.metadata.host;
        return {
          run(view, from, to) {
            const ts = view.ts.values as BigInt64Array;
            for (let row = from; row < to; row++) {
              cursor.at(view, row);
              const { counters, ruleset } = context;
              counters.events++;
              counters.firstTs ??= ts[row];
              counters.lastTs = ts[row];
              const entry = ruleset.forType(cursor.str('type') ?? '');
              const n = ruleset.evaluate(entry, cursor, matches);
              for (let i = 0; i < n; i++) {
                const rule = entry.rules[matches[i]];
                counters.alerts++;
                counters.alertsByRule.set(rule.name, (counters.alertsByRule.get(rule.name) ?? 0) + 1);
                context.onMatch({ rule, cursor, ts: ts[row], source: 'testlog', hostname });
              }
            }
            return true;
          },
        };
      },
    };
  },
};

/**
 * The `syscall` source's field catalog (declarations only; extractors come from the engine).
 */
import { makeCatalog, type FieldCatalog, type FieldClassInfo, type FieldInfo } from '../../rules/catalog.js';
import { SYSCALL_FIELD_CLASSES } from './syscall-fields.js';
import { EVENT_PARAM_NAMES, syscallEventTypes } from './event-types.js';

function build(): FieldCatalog {
  const classes: FieldClassInfo[] = SYSCALL_FIELD_CLASSES.map((c) => ({
    name: c.name,
    shortDesc: c.shortDesc,
    desc: c.desc,
    fields: c.fields.map((f): FieldInfo => {
      const info: FieldInfo = { ...f, className: c.name };
      // evt.arg.NAME / evt.rawarg.NAME: NAME must be an event parameter (evt.arg[N] is an index)
      if (f.name === 'evt.arg' || f.name === 'evt.rawarg') info.argNames = EVENT_PARAM_NAMES;
      return info;
    }),
  }));
  return makeCatalog(
    'syscall',
    classes.flatMap((c) => c.fields),
    classes,
    syscallEventTypes,
  );
}

export const syscallCatalog: FieldCatalog = build();
export { syscallEventTypes, EVENT_PARAM_NAMES };

/** Falco's type groups for our FieldType names, and their PT_* spellings for messages. */
import type { FieldType } from '../catalog.js';

export type TypeClass = 'string' | 'buffer' | 'int' | 'uint' | 'double' | 'bool' | 'ipaddr' | 'ipnet' | 'port' | 'other';

export function typeClass(t: FieldType): TypeClass {
  switch (t) {
    case 'string':
    case 'charbuf':
    case 'fspath':
    case 'fsrelpath':
      return 'string';
    case 'bytebuf':
      return 'buffer';
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
    case 'fd':
    case 'pid':
    case 'errno':
      return 'int';
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64':
    case 'abstime':
    case 'reltime':
    case 'mode':
    case 'flags8':
    case 'flags16':
    case 'flags32':
    case 'enumflags8':
    case 'enumflags16':
    case 'enumflags32':
    case 'sigtype':
    case 'syscallid':
    case 'uid':
    case 'gid':
      return 'uint';
    case 'port':
      return 'port';
    case 'double':
      return 'double';
    case 'bool':
      return 'bool';
    case 'ipaddr':
    case 'ipv4addr':
    case 'ipv6addr':
      return 'ipaddr';
    case 'ipnet':
    case 'ipv4net':
    case 'ipv6net':
      return 'ipnet';
    default:
      return 'other';
  }
}

/** libsinsp's param_type_to_string spelling, e.g. `CHARBUF`, `UINT64`. */
export function ptName(t: FieldType): string {
  switch (t) {
    case 'string':
      return 'CHARBUF';
    case 'ipaddr':
      return 'IPADDR';
    case 'ipnet':
      return 'IPNET';
    case 'dyn':
      return 'DYNAMIC';
    default:
      return t.toUpperCase();
  }
}

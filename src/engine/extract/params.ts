import { type Param, paramsOf } from '../../trace/event-params.js';
import type { Cursor } from '../cursor.js';
import { renderCloneFlags, renderMode, renderOpenFlags, renderProt, renderRes } from './render.js';

/**
 * `evt.arg.NAME`, `evt.rawarg.NAME`, `evt.arg[N]` and `evt.args`: values read through the
 * trace's event-parameter table (src/trace/event-params.ts) and rendered as Falco does.
 */

function paramOf(c: Cursor, name: string): Param | undefined {
  const list = paramsOf(c.type());
  return list.find((x) => x.name === name);
}

function tuple(c: Cursor): string | undefined {
  const sip = c.str('sip');
  const dip = c.str('dip');
  if (sip === undefined && dip === undefined) return c.str('path');
  const f = c.num('sock_family');
  const wrap = (ip: string | undefined) => (f === 10 && ip ? ip : (ip ?? ''));
  return `${wrap(sip)}:${c.num('sport') ?? 0}->${wrap(dip)}:${c.num('dport') ?? 0}`;
}

function rawValue(c: Cursor, param: Param): unknown {
  // A socket address (connect, bind) is rendered from the tuple columns; an `addr` parameter
  // rendered as a number (mmap, mprotect) is the plain `addr` column.
  if (param.render === 'addr') return c.has('dip') ? `${c.str('dip')}:${c.num('dport') ?? 0}` : c.str('path');
  switch (param.col) {
    case 'tuple':
      return tuple(c);
    case 'extra':
      return c.extra()?.[param.name];
  }
  switch (param.render) {
    case 'str':
      return c.str(param.col);
    case 'list':
      return c.strings_(param.col);
    case 'bytes':
      return c.bytes(param.col);
    default: {
      const v = c.big(param.col);
      if (v === undefined) return c.str(param.col);
      return v;
    }
  }
}

function render(c: Cursor, param: Param, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'bigint' ? Number(value) : Number.NaN;
  switch (param.render) {
    case 'res':
      return n < 0 ? renderRes(n) : String(value);
    case 'fd': {
      if (!(n >= 0)) return String(value);
      // Rows read from .scap files carry no pid outside process events: the thread table knows it.
      const fd = c.state.fds.get(c.num('pid') ?? c.thread()?.pid ?? -1)?.get(n);
      return fd ? `${n}(${typeChar(fd.type)}${fd.name})` : String(n);
    }
    case 'openflags':
      return `${renderOpenFlags(n)}`;
    case 'cloneflags':
      return renderCloneFlags(n);
    case 'prot':
      return renderProt(n);
    case 'mode':
      return renderMode(n);
    case 'list':
      return (value as string[]).join(' ');
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    default:
      return String(value);
  }
}

/** `<f>`-style prefix of a rendered fd, as in `3(<f>/etc/passwd)`. */
const TYPE_CHAR: Record<string, string> = {
  file: '<f>', directory: '<d>', ipv4: '<4>', ipv6: '<6>', unix: '<u>', pipe: '<p>', event: '<e>', signalfd: '<s>', eventpoll: '<l>',
  inotify: '<i>', timerfd: '<t>', netlink: '<n>', bpf: '<b>', userfaultfd: '<u>', io_uring: '<r>', memfd: '<m>',
};

export function typeChar(type: string): string {
  return TYPE_CHAR[type] ?? '<o>';
}

/** evt.arg.NAME / evt.arg[N]: the rendered parameter. */
export function argText(c: Cursor, key: string): string | undefined {
  const param = /^\d+$/.test(key) ? paramsOf(c.type())[Number(key)] : paramOf(c, key);
  if (!param) return c.extra()?.[key];
  return render(c, param, rawValue(c, param));
}

/** evt.rawarg.NAME: the parameter's raw value (numbers as numbers). */
export function argRaw(c: Cursor, key: string): unknown {
  const param = paramOf(c, key);
  if (!param) return c.extra()?.[key];
  const v = rawValue(c, param);
  return typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** evt.args: `name=value` for every parameter present, in the event's order. */
export function argsText(c: Cursor): string {
  const out: string[] = [];
  const isEnter = c.str('dir') === '>';
  for (const param of paramsOf(c.type())) {
    if (isEnter && (param.col === 'res' || param.name === 'res')) continue;
    const text = render(c, param, rawValue(c, param));
    if (text !== undefined) out.push(`${param.name}=${text}`);
  }
  return out.join(' ');
}

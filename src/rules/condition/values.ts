/**
 * Parsing constant values for a field type, with libsinsp's error messages
 * (value_parser.cpp / sinsp_numparser): what Falco accepts on the right of a comparison.
 */
import type { FieldType } from '../catalog.js';
import { typeClass } from './types.js';

export type Const = string | number | bigint | boolean | Uint8Array | IpNet;

export interface IpNet {
  kind: 'ipnet';
  /** address as bigint, v4 in the low 32 bits */
  addr: bigint;
  bits: number;
  v6: boolean;
}

const U64 = 1n << 64n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);

/** Normalise an integer for comparisons and Set lookups: a number when exact, else a bigint. */
export function normInt(v: bigint): number | bigint {
  return v >= SAFE_MIN && v <= SAFE_MAX ? Number(v) : v;
}

/** sscanf("%d%c") semantics: optional blanks, sign, decimal digits, nothing after. */
function parseInteger(s: string, unsigned: boolean, bits: number): bigint {
  const m = /^\s*([+-]?)(\d+)$/.exec(s);
  if (!m) throw new Error(`${s} is not a valid number`);
  let v = BigInt(m[2]!);
  if (m[1] === '-') v = -v;
  if (unsigned) {
    // a negative number wraps around as in C
    v = ((v % U64) + U64) % U64;
    if (bits < 64) v &= (1n << BigInt(bits)) - 1n;
  } else if (bits < 64) {
    v = BigInt.asIntN(bits, v);
  } else v = BigInt.asIntN(64, v);
  return v;
}

const BITS: Partial<Record<FieldType, number>> = {
  int8: 8,
  int16: 16,
  int32: 32,
  uint8: 8,
  uint16: 16,
  uint32: 32,
  flags8: 8,
  flags16: 16,
  flags32: 32,
  enumflags8: 8,
  enumflags16: 16,
  enumflags32: 32,
  mode: 32,
  uid: 32,
  gid: 32,
  sigtype: 8,
  syscallid: 16,
};

/** A few service names Falco resolves through getservbyname for port fields. */
const SERVICES: Record<string, number> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, dns: 53, http: 80, pop3: 110, ntp: 123,
  imap: 143, snmp: 161, ldap: 389, https: 443, smtps: 465, submission: 587, ldaps: 636,
  imaps: 993, pop3s: 995, mysql: 3306, postgresql: 5432, 'http-alt': 8080,
};

export function parseIPv4(s: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const n = Number(m[i]);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

export function parseIPv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length < 2) return undefined;
  let tail4: bigint | undefined;
  let str = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    tail4 = parseIPv4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    str = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = str.split('::');
  if (dbl.length > 2) return undefined;
  const part = (x: string): string[] => (x === '' ? [] : x.split(':'));
  const head = part(dbl[0]!);
  const tail = dbl.length === 2 ? part(dbl[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((dbl.length === 1 && missing !== 0) || missing < 0 || (dbl.length === 2 && missing < 1)) return undefined;
  const groups = [...head, ...Array(dbl.length === 2 ? missing : 0).fill('0'), ...tail];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== undefined) v = (v & ~0xffffffffn) | tail4;
  return v;
}

/** An IP as extracted from an event (string or bigint) -> {addr, v6}, or undefined. */
export function ipOf(v: unknown): { addr: bigint; v6: boolean } | undefined {
  if (typeof v === 'string') {
    const a4 = parseIPv4(v);
    if (a4 !== undefined) return { addr: a4, v6: false };
    const a6 = parseIPv6(v);
    if (a6 !== undefined) return { addr: a6, v6: true };
    return undefined;
  }
  if (typeof v === 'bigint') return { addr: v, v6: v > 0xffffffffn };
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return { addr: BigInt(v), v6: false };
  return undefined;
}

function parseNet(s: string, family: 'v4' | 'v6' | 'any'): IpNet {
  const slash = s.indexOf('/');
  if (slash < 0) throw new Error(`unrecognized IP network ${s}`);
  const ip = s.slice(0, slash);
  const mask = s.slice(slash + 1);
  const v4 = family !== 'v6' && ip.includes('.') && !ip.includes(':') ? parseIPv4(ip) : undefined;
  if (v4 !== undefined) {
    const bits = Number(parseInteger(mask, true, 8));
    if (bits > 32) throw new Error(`invalid netmask ${mask}`);
    return { kind: 'ipnet', addr: v4, bits, v6: false };
  }
  const v6 = parseIPv6(ip);
  if (v6 === undefined) throw new Error(`unrecognized IP address ${s}`);
  const bits = Number(parseInteger(mask, true, 8));
  if (bits > 128) throw new Error(`invalid netmask ${mask}`);
  return { kind: 'ipnet', addr: v6, bits, v6: true };
}

export function inNet(ip: { addr: bigint; v6: boolean }, net: IpNet): boolean {
  if (ip.v6 !== net.v6) return false;
  const width = net.v6 ? 128n : 32n;
  const shift = width - BigInt(net.bits);
  return ip.addr >> shift === net.addr >> shift;
}

/** Hex string (as bcontains/bstartswith take) -> bytes, or undefined if not hex. */
export function unhex(s: string): Uint8Array | undefined {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Parse a constant for a field of type `t`. Throws Error with Falco's message on bad input.
 * Strings stay strings; integers become number|bigint; bools booleans; IPs {ipnet} or bigint.
 */
export function parseConst(value: string, t: FieldType): Const {
  if (value.includes('\0')) throw new Error('filter error: filter value cannot contain a NUL byte (\\x00)');
  const cls = typeClass(t);
  switch (cls) {
    case 'string':
    case 'buffer':
    case 'other':
      return value;
    case 'int':
      return normInt(parseInteger(value, false, BITS[t] ?? 64));
    case 'uint':
      return normInt(parseInteger(value, true, BITS[t] ?? 64));
    case 'double':
      return Number(parseInteger(value, false, 32));
    case 'port': {
      if (value === '') return 0;
      if (/^[0-9]+$/.test(value)) return Number(BigInt(value) & 0xffffn);
      const p = SERVICES[value];
      if (p === undefined) throw new Error(`unrecognized protocol ${value}`);
      return p;
    }
    case 'bool':
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw new Error(`filter error: unrecognized boolean value ${value}`);
    case 'ipaddr': {
      if (value.includes('.')) {
        const v = parseIPv4(value);
        if (v === undefined) throw new Error(`unrecognized IP address ${value}`);
        return { kind: 'ipnet', addr: v, bits: 32, v6: false };
      }
      const v = parseIPv6(value);
      if (v === undefined) throw new Error(`unrecognized IPv6 address ${value}`);
      return { kind: 'ipnet', addr: v, bits: 128, v6: true };
    }
    case 'ipnet':
      return parseNet(value, t === 'ipv4net' ? 'v4' : t === 'ipv6net' ? 'v6' : value.includes(':') ? 'v6' : 'v4');
  }
}

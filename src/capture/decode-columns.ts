import type { DictionaryStore } from '../trace/batch-builder.js';
import { PPM_O } from '../trace/flags.js';
import { fcntlCmdToPpm, ptraceRequestToPpm } from './ppm-codes.js';
import type { TraceWriter } from '../trace/writer.js';
import { cloneFlags, encodeDev, openFlags, openMode, resolveFlags } from './convert.js';
import { ipv4Text, ipv6Text, shownFamily } from '../util/ip.js';
import {
  ARG_SPEC,
  type ArgCol,
  type Conv,
  componentsPath,
  convert,
  cString,
  type CpuCounters,
  type Decoder,
  fdTypeOfFamily,
  FORK_FLAGS,
  type Hello,
  ITEM,
  PROTOCOL_VERSION,
  REC,
  REC_F_NO_EXIT,
  strings,
  SYSCALL_FIXED,
  TSF_MAGIC,
  VFORK_FLAGS,
} from './decode.js';

/**
 * The helper's binary stream decoded straight into the trace writer's columns: the same rows as
 * decode.ts's TraceEvents (test/capture/decode-columns.test.ts compares them), without an object
 * per record, without BigInt (64-bit values are copied as two 32-bit words), and with repeated
 * strings (comm, paths, cwd, addresses) turned into dictionary codes by their raw bytes, so that
 * a string the trace has seen is not decoded again. This is what `tsfalco capture` runs.
 */

export interface ColumnDecoderSinks {
  hello(h: Hello): void;
  stats(perCpu: CpuCounters[], tsBoot: bigint): void;
}

export interface ColumnDecoder extends Decoder {
  /** Syscall and process-exit rows written. */
  readonly events: number;
}

/** The capture's event numbers (`num`), shared with the rows the capture writes itself. */
export interface RowCounter {
  num: number;
}

/**
 * Raw bytes → dictionary code of their decoded text, for one column: an open-addressing table
 * over FNV-1a hashes, the keys' bytes kept in an arena. A cache only: when full it starts over.
 */
class ByteCache {
  private size = 1 << 12;
  private mask = this.size - 1;
  private lens = new Int32Array(this.size); // key length + 1; 0 = empty slot
  private hashes = new Int32Array(this.size);
  private starts = new Int32Array(this.size);
  private codes = new Int32Array(this.size);
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  private count = 0;
  private missSlot = 0;
  private missHash = 0;

  /** The code cached for buf[start, start + len), or -1 (then `put` may follow). */
  get(buf: Uint8Array, start: number, len: number): number {
    let h = 0x811c9dc5 ^ len;
    const end = start + len;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 16777619);
    const lens = this.lens;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const l = lens[slot];
      if (l === 0) break;
      if (l === len + 1 && this.hashes[slot] === h) {
        const arena = this.arena;
        let j = this.starts[slot];
        let i = start;
        while (i < end && arena[j] === buf[i]) {
          i++;
          j++;
        }
        if (i === end) return this.codes[slot];
      }
      slot = (slot + 1) & mask;
    }
    this.missSlot = slot;
    this.missHash = h;
    return -1;
  }

  /** Caches `code` for the key of the last `get` that missed. */
  put(buf: Uint8Array, start: number, len: number, code: number): void {
    if (this.used + len > this.arena.length) {
      if (this.arena.length < 1 << 24) {
        const next = new Uint8Array(Math.max(this.arena.length * 2, len * 2));
        next.set(this.arena.subarray(0, this.used));
        this.arena = next;
      } else {
        this.clear();
        this.get(buf, start, len); // finds the slot again in the empty table
      }
    }
    if (this.count + 1 > this.size >> 1) {
      if (this.size < 1 << 20) this.grow();
      else this.clear();
      this.get(buf, start, len);
    }
    const slot = this.missSlot;
    this.arena.set(buf.subarray(start, start + len), this.used);
    this.lens[slot] = len + 1;
    this.hashes[slot] = this.missHash;
    this.starts[slot] = this.used;
    this.codes[slot] = code;
    this.used += len;
    this.count++;
  }

  private clear(): void {
    this.lens.fill(0);
    this.used = 0;
    this.count = 0;
  }

  private grow(): void {
    const { lens, hashes, starts, codes } = this;
    this.size *= 2;
    this.mask = this.size - 1;
    this.lens = new Int32Array(this.size);
    this.hashes = new Int32Array(this.size);
    this.starts = new Int32Array(this.size);
    this.codes = new Int32Array(this.size);
    for (let s = 0; s < lens.length; s++) {
      if (lens[s] === 0) continue;
      let slot = hashes[s] & this.mask;
      while (this.lens[slot] !== 0) slot = (slot + 1) & this.mask;
      this.lens[slot] = lens[s];
      this.hashes[slot] = hashes[s];
      this.starts[slot] = starts[s];
      this.codes[slot] = codes[s];
    }
  }
}

/** A string column whose values come from raw bytes through a ByteCache. */
class CachedStrings {
  readonly cache = new ByteCache();

  constructor(
    readonly store: DictionaryStore,
    private readonly decode: (buf: Buffer, start: number, end: number) => string,
  ) {}

  set(row: number, buf: Buffer, start: number, len: number): void {
    let code = this.cache.get(buf, start, len);
    if (code < 0) {
      code = this.store.intern(this.decode(buf, start, start + len));
      this.cache.put(buf, start, len, code);
    }
    this.store.codes[row] = code;
    this.store.valid[row >> 3] |= 1 << (row & 7);
  }
}

const utf8 = (buf: Buffer, start: number, end: number) => buf.toString('utf8', start, end);

// How an argument is stored (ARG_SPEC's column and conversion).
const OP_I64_LOW32 = 0; // int64 column from the argument's low 32 bits, sign-extended (fds, ids)
const OP_I64 = 1; // 64-bit column, all 64 bits (size, addr)
const OP_U8 = 2; // uint8 column, masked (socket family, type, protocol)
const OP_U32 = 3; // uint32 column through a conversion (flags, modes)

interface ArgOp {
  arg: number;
  op: number;
  words: Uint32Array;
  u8: Uint8Array;
  u32: Uint32Array;
  valid: Uint8Array;
  mask: number;
  conv: (v: number) => number;
}

// What a syscall needs after its arguments and items, by name (decode.ts's switch on the type).
const enum Post {
  None,
  Connect,
  Accept,
  Bind,
  Listen,
  Send,
  Recv,
  Shutdown,
  Socket,
  Memfd,
  Pipe,
  Fcntl,
  Ptrace,
}

const POST: Record<string, Post> = {
  connect: Post.Connect,
  accept: Post.Accept,
  accept4: Post.Accept,
  bind: Post.Bind,
  listen: Post.Listen,
  sendto: Post.Send,
  sendmsg: Post.Send,
  sendmmsg: Post.Send,
  recvfrom: Post.Recv,
  recvmsg: Post.Recv,
  recvmmsg: Post.Recv,
  shutdown: Post.Shutdown,
  socket: Post.Socket,
  memfd_create: Post.Memfd,
  pipe: Post.Pipe,
  pipe2: Post.Pipe,
  fcntl: Post.Fcntl,
  ptrace: Post.Ptrace,
};

interface Plan {
  typeCode: number;
  args: ArgOp[];
  /** flags set before the items: fork, vfork, creat (-1: none). */
  fixedFlags: number;
  exec: boolean;
  post: Post;
}

const TWO32 = 4294967296;

/** A flag conversion remembered per input value (flags repeat: O_RDONLY|O_CLOEXEC, CLONE_*…). */
function memo(f: (v: number) => number): (v: number) => number {
  const seen = new Map<number, number>();
  return (v) => {
    let out = seen.get(v);
    if (out === undefined) {
      out = f(v);
      if (seen.size < 4096) seen.set(v, out);
    }
    return out;
  };
}
const cloneFlags32 = memo((v) => cloneFlags(v));

export function createColumnDecoder(names: ReadonlyMap<number, string>, writer: TraceWriter, counter: RowCounter, sinks: ColumnDecoderSinks): ColumnDecoder {
  const S = writer.stores;
  let held: Buffer | null = null;
  let records = 0;
  let events = 0;
  let boot = 0n;
  let bootLo = 0;
  let bootHi = 0;

  const mark = (valid: Uint8Array, row: number) => {
    valid[row >> 3] |= 1 << (row & 7);
  };
  const isSet = (valid: Uint8Array, row: number) => (valid[row >> 3] & (1 << (row & 7))) !== 0;
  const unmark = (valid: Uint8Array, row: number) => {
    valid[row >> 3] &= ~(1 << (row & 7));
  };

  // Header columns.
  const tsW = S.ts.words, tsV = S.ts.valid;
  const numW = S.num.words, numV = S.num.valid;
  const typeC = S.type.codes, typeV = S.type.valid;
  const dirC = S.dir.codes, dirV = S.dir.valid;
  const cpuA = S.cpu.values, cpuV = S.cpu.valid;
  const tidA = S.tid.values, tidV = S.tid.valid;
  const pidA = S.pid.values, pidV = S.pid.valid;
  const ppidA = S.ppid.values, ppidV = S.ppid.valid;
  const uidA = S.uid.values, uidV = S.uid.valid;
  const gidA = S.gid.values, gidV = S.gid.valid;
  const euidA = S.euid.values, euidV = S.euid.valid;
  const egidA = S.egid.values, egidV = S.egid.valid;
  const loginA = S.loginuid.values, loginV = S.loginuid.valid;
  const resW = S.res.words, resV = S.res.valid;
  const latW = S.latency.words, latV = S.latency.valid;
  const idW = S.id.words, idV = S.id.valid;
  const fdW = S.fd.words, fdV = S.fd.valid;
  const fd2W = S.fd2.words, fd2V = S.fd2.valid;
  const opW = S.op.words, opV = S.op.valid;
  // ptrace requests and fcntl commands go to Falco's numbering (ppm-codes.ts); they fit the low word.
  const toPpm = (row: number, f: (linux: number) => number) => {
    opW[2 * row] = opW[2 * row + 1] === 0 ? f(opW[2 * row]) : 0;
    opW[2 * row + 1] = 0;
  };
  const flagsA = S.flags.values, flagsV = S.flags.valid;
  const modeA = S.mode.values, modeV = S.mode.valid;
  const devA = S.dev.values, devV = S.dev.valid;
  const inoW = S.ino.words, inoV = S.ino.valid;
  const famA = S.sock_family.values, famV = S.sock_family.valid;
  const stypeA = S.sock_type.values, stypeV = S.sock_type.valid;
  const l4A = S.l4proto.values, l4V = S.l4proto.valid;
  const sportA = S.sport.values, sportV = S.sport.valid;
  const dportA = S.dport.values, dportV = S.dport.valid;
  const ttyA = S.tty.values, ttyV = S.tty.valid;
  const pgidA = S.pgid.values, pgidV = S.pgid.valid;
  const sidA = S.sid.values, sidV = S.sid.valid;
  const vtidA = S.vtid.values, vtidV = S.vtid.valid;
  const vpidA = S.vpid.values, vpidV = S.vpid.valid;
  const exeFlagsA = S.exe_flags.values, exeFlagsV = S.exe_flags.valid;
  const exeInoW = S.exe_ino.words, exeInoV = S.exe_ino.valid;
  const exeCtimeW = S.exe_ctime.words, exeCtimeV = S.exe_ctime.valid;
  const exeMtimeW = S.exe_mtime.words, exeMtimeV = S.exe_mtime.valid;
  const capIW = S.cap_inheritable.words, capIV = S.cap_inheritable.valid;
  const capPW = S.cap_permitted.words, capPV = S.cap_permitted.valid;
  const capEW = S.cap_effective.words, capEV = S.cap_effective.valid;
  const startW = S.start_ts.words, startV = S.start_ts.valid;

  const comm = new CachedStrings(S.comm, (buf, start, end) => cString(buf, start, end - start));
  const path = new CachedStrings(S.path, utf8);
  const path2 = new CachedStrings(S.path2, utf8);
  const name = new CachedStrings(S.name, utf8);
  const exepath = new CachedStrings(S.exepath, componentsPath);
  const cwd = new CachedStrings(S.cwd, componentsPath);
  const cgroup = new CachedStrings(S.cgroup, componentsPath);
  // The last comm's 16 bytes and code: a thread's records usually follow each other.
  let comm0 = -1, comm1 = -1, comm2 = -1, comm3 = -1, commCode = -1;
  const commC = S.comm.codes, commV = S.comm.valid;
  const setComm = (row: number, buf: Buffer, dv: DataView, at: number) => {
    const w0 = dv.getInt32(at, true), w1 = dv.getInt32(at + 4, true), w2 = dv.getInt32(at + 8, true), w3 = dv.getInt32(at + 12, true);
    if (w0 === comm0 && w1 === comm1 && w2 === comm2 && w3 === comm3 && commCode >= 0) {
      commC[row] = commCode;
      mark(commV, row);
      return;
    }
    let len = 0;
    while (len < 16 && buf[at + len] !== 0) len++;
    comm.set(row, buf, at, len);
    comm0 = w0;
    comm1 = w1;
    comm2 = w2;
    comm3 = w3;
    commCode = commC[row];
  };
  let dirCode = -1;
  let procexitCode = -1; // interned at the first process exit, as decode.ts's rows would be
  const fdTypeCodes = new Map<string, number>();
  const setFdType = (row: number, text: string) => {
    let code = fdTypeCodes.get(text);
    if (code === undefined) fdTypeCodes.set(text, (code = S.fd_type.intern(text)));
    S.fd_type.codes[row] = code;
    mark(S.fd_type.valid, row);
  };
  const clearFdType = (row: number) => {
    S.fd_type.codes[row] = 0;
    unmark(S.fd_type.valid, row);
  };

  /** IPv4 addresses by their 32 bits, per column; IPv6 through the dictionary. */
  const v4Codes = new Map<DictionaryStore, Map<number, number>>([
    [S.sip, new Map()],
    [S.dip, new Map()],
  ]);
  const setIp = (store: DictionaryStore, row: number, buf: Buffer, dv: DataView, at: number, family: number) => {
    let code: number;
    if (family === 2) {
      const codes = v4Codes.get(store)!;
      const key = dv.getUint32(at, true);
      const known = codes.get(key);
      if (known === undefined) {
        code = store.intern(ipv4Text(buf, at));
        if (codes.size < 65536) codes.set(key, code);
      } else code = known;
    } else {
      code = store.intern(ipv6Text(buf, at));
    }
    store.codes[row] = code;
    mark(store.valid, row);
  };
  const clearString = (store: DictionaryStore, row: number) => {
    store.codes[row] = 0;
    unmark(store.valid, row);
  };

  const setI64Low32 = (words: Uint32Array, valid: Uint8Array, row: number, v: number) => {
    words[2 * row] = v;
    words[2 * row + 1] = v >> 31;
    mark(valid, row);
  };
  const copy64 = (words: Uint32Array, valid: Uint8Array, row: number, dv: DataView, at: number) => {
    words[2 * row] = dv.getUint32(at, true);
    words[2 * row + 1] = dv.getUint32(at + 4, true);
    mark(valid, row);
  };
  /** A CLOCK_BOOTTIME stamp as ns since the epoch: + boot, with the carry between the words. */
  const setTime = (words: Uint32Array, valid: Uint8Array, row: number, dv: DataView, at: number) => {
    const lo = dv.getUint32(at, true) + bootLo;
    words[2 * row] = lo;
    words[2 * row + 1] = dv.getUint32(at + 4, true) + bootHi + (lo >= TWO32 ? 1 : 0);
    mark(valid, row);
  };
  const setNum = (row: number) => {
    const n = ++counter.num;
    numW[2 * row] = n;
    numW[2 * row + 1] = n / TWO32;
    mark(numV, row);
  };

  // Per syscall number, what to do (built on first sight).
  const plans: (Plan | undefined)[] = [];
  const planOf = (nr: number): Plan => {
    let plan = plans[nr];
    if (plan) return plan;
    const type = names.get(nr) ?? `syscall_${nr}`;
    const args: ArgOp[] = [];
    const spec = ARG_SPEC[type];
    if (spec) {
      spec.split(',').forEach((item, arg) => {
        if (!item) return;
        const [col, conv] = item.split(':') as [ArgCol, Conv | undefined];
        const none32 = new Uint32Array(0);
        const none8 = new Uint8Array(0);
        const op: ArgOp = { arg, op: OP_U32, words: none32, u8: none8, u32: none32, valid: S[col].valid, mask: 0, conv: conv ? memo(convert(conv)) : convert(conv) };
        switch (col) {
          case 'fd':
          case 'fd2':
          case 'dirfd':
          case 'dirfd2':
          case 'id':
          case 'id2':
          case 'id3':
          case 'op':
            op.op = OP_I64_LOW32;
            op.words = S[col].words;
            break;
          case 'size':
          case 'addr':
            op.op = OP_I64;
            op.words = S[col].words;
            break;
          case 'sock_family':
          case 'l4proto':
            op.op = OP_U8;
            op.u8 = S[col].values;
            op.mask = 0xff;
            break;
          case 'sock_type':
            op.op = OP_U8;
            op.u8 = S[col].values;
            op.mask = 0xf; // without SOCK_NONBLOCK / SOCK_CLOEXEC
            break;
          default:
            op.u32 = S[col].values;
        }
        args.push(op);
      });
    }
    plan = {
      typeCode: S.type.intern(type),
      args,
      fixedFlags: type === 'fork' ? FORK_FLAGS : type === 'vfork' ? VFORK_FLAGS : type === 'creat' ? openFlags(0o1 | 0o100 | 0o1000) : -1,
      exec: type === 'execve' || type === 'execveat',
      post: POST[type] ?? Post.None,
    };
    plans[nr] = plan;
    return plan;
  };

  /** decode.ts's applySock: the kernel socket's addresses in the client/server columns. */
  const applySock = (row: number, buf: Buffer, dv: DataView, s: number, localIsClient: boolean) => {
    const family = shownFamily(buf[s], buf, s + 8);
    // A v4-mapped pair is read as the IPv4 addresses in the last 4 bytes of each.
    const skip = family === 2 && buf[s] === 10 ? 12 : 0;
    famA[row] = family;
    mark(famV, row);
    if (buf[s + 1]) {
      stypeA[row] = buf[s + 1];
      mark(stypeV, row);
    }
    const fdType = fdTypeOfFamily(family);
    if (fdType) setFdType(row, fdType);
    if (family !== 2 && family !== 10) return;
    l4A[row] = buf[s + 2];
    mark(l4V, row);
    const lport = dv.getUint16(s + 4, true);
    const rport = dv.getUint16(s + 6, true);
    if (localIsClient) {
      setIp(S.sip, row, buf, dv, s + 8 + skip, family);
      sportA[row] = lport;
      mark(sportV, row);
      if (rport !== 0) {
        setIp(S.dip, row, buf, dv, s + 24 + skip, family);
        dportA[row] = rport;
        mark(dportV, row);
      }
    } else {
      setIp(S.dip, row, buf, dv, s + 8 + skip, family);
      dportA[row] = lport;
      mark(dportV, row);
      if (rport !== 0) {
        setIp(S.sip, row, buf, dv, s + 24 + skip, family);
        sportA[row] = rport;
        mark(sportV, row);
      }
    }
  };

  /** decode.ts's sockaddr: the address a process passed, as the server side. */
  const sockaddr = (row: number, buf: Buffer, dv: DataView, at: number, len: number) => {
    if (len < 2) return;
    const family = dv.getUint16(at, true);
    if (family === 2 && len >= 8) {
      famA[row] = 2;
      mark(famV, row);
      dportA[row] = dv.getUint16(at + 2, false);
      mark(dportV, row);
      setIp(S.dip, row, buf, dv, at + 4, 2);
    } else if (family === 10 && len >= 24) {
      famA[row] = 10;
      mark(famV, row);
      dportA[row] = dv.getUint16(at + 2, false);
      mark(dportV, row);
      setIp(S.dip, row, buf, dv, at + 8, 10);
    } else if (family === 1) {
      famA[row] = 1;
      mark(famV, row);
      const text = len > 2 && buf[at + 2] === 0 ? '@' + cString(buf, at + 3, len - 3) : cString(buf, at + 2, len - 2);
      S.path.codes[row] = S.path.intern(text);
      mark(S.path.valid, row);
    }
  };

  const syscall = (buf: Buffer, dv: DataView, base: number, size: number) => {
    // The row first: a full batch goes out here, before this row's strings enter the dictionaries.
    const row = writer.beginRow();
    events++;
    const nr = dv.getUint16(base + 4, true);
    const plan = planOf(nr);
    const noExit = (buf[base + 3] & REC_F_NO_EXIT) !== 0;
    if (dirCode < 0) dirCode = S.dir.intern('<');
    setTime(tsW, tsV, row, dv, base + 8);
    setNum(row);
    typeC[row] = plan.typeCode;
    mark(typeV, row);
    dirC[row] = dirCode;
    mark(dirV, row);
    cpuA[row] = dv.getUint16(base + 6, true);
    mark(cpuV, row);
    tidA[row] = dv.getInt32(base + 32, true);
    mark(tidV, row);
    pidA[row] = dv.getInt32(base + 36, true);
    mark(pidV, row);
    ppidA[row] = dv.getInt32(base + 40, true);
    mark(ppidV, row);
    uidA[row] = dv.getUint32(base + 44, true);
    mark(uidV, row);
    gidA[row] = dv.getUint32(base + 48, true);
    mark(gidV, row);
    euidA[row] = dv.getUint32(base + 52, true);
    mark(euidV, row);
    egidA[row] = dv.getUint32(base + 56, true);
    mark(egidV, row);
    loginA[row] = dv.getInt32(base + 60, true);
    mark(loginV, row);
    setComm(row, buf, dv, base + 64);
    const retLo = dv.getUint32(base + 24, true);
    const retHi = dv.getInt32(base + 28, true);
    if (!noExit) {
      resW[2 * row] = retLo;
      resW[2 * row + 1] = retHi;
      mark(resV, row);
      copy64(latW, latV, row, dv, base + 16);
    }
    const args = plan.args;
    for (let k = 0; k < args.length; k++) {
      const a = args[k];
      const at = base + 80 + 8 * a.arg;
      const lo = dv.getUint32(at, true);
      switch (a.op) {
        case OP_I64_LOW32:
          setI64Low32(a.words, a.valid, row, lo | 0);
          break;
        case OP_I64:
          copy64(a.words, a.valid, row, dv, at);
          break;
        case OP_U8:
          a.u8[row] = lo & a.mask;
          mark(a.valid, row);
          break;
        default:
          a.u32[row] = a.conv(lo);
          mark(a.valid, row);
      }
    }
    if (plan.fixedFlags >= 0) {
      flagsA[row] = plan.fixedFlags;
      mark(flagsV, row);
    }

    // Items.
    let at = base + SYSCALL_FIXED;
    const end = base + size;
    let sock = -1;
    let sockaddrAt = -1;
    let sockaddrLen = 0;
    while (at + 4 <= end) {
      const tag = dv.getUint16(at, true);
      const len = dv.getUint16(at + 2, true);
      const d = at + 4;
      if (d + len > end) break;
      switch (tag) {
        case ITEM.PATH:
        case ITEM.FILENAME:
          path.set(row, buf, d, len);
          break;
        case ITEM.PATH2:
          path2.set(row, buf, d, len);
          break;
        case ITEM.NAME:
          name.set(row, buf, d, len);
          break;
        case ITEM.SOCKADDR:
          sockaddrAt = d;
          sockaddrLen = len;
          break;
        case ITEM.SOCK:
          sock = d;
          break;
        case ITEM.ARGV: {
          const argv = strings(buf, d, d + len);
          S.exe.set(row, argv[0] ?? '');
          S.args.set(row, argv.slice(1));
          break;
        }
        case ITEM.ENV:
          S.env.set(row, strings(buf, d, d + len));
          break;
        case ITEM.EXEPATH:
          exepath.set(row, buf, d, len);
          break;
        case ITEM.CWD:
          cwd.set(row, buf, d, len);
          break;
        case ITEM.CGROUP:
          cgroup.set(row, buf, d, len);
          break;
        case ITEM.PROC: {
          ttyA[row] = dv.getUint32(d, true);
          mark(ttyV, row);
          pgidA[row] = dv.getInt32(d + 4, true);
          mark(pgidV, row);
          sidA[row] = dv.getInt32(d + 8, true);
          mark(sidV, row);
          vtidA[row] = dv.getInt32(d + 12, true);
          mark(vtidV, row);
          vpidA[row] = dv.getInt32(d + 16, true);
          mark(vpidV, row);
          if (plan.exec) {
            exeFlagsA[row] = dv.getUint32(d + 20, true);
            mark(exeFlagsV, row);
            copy64(exeInoW, exeInoV, row, dv, d + 24);
            copy64(exeCtimeW, exeCtimeV, row, dv, d + 32);
            copy64(exeMtimeW, exeMtimeV, row, dv, d + 40);
          }
          copy64(capIW, capIV, row, dv, d + 48);
          copy64(capPW, capPV, row, dv, d + 56);
          copy64(capEW, capEV, row, dv, d + 64);
          if (dv.getUint32(d + 72, true) !== 0 || dv.getUint32(d + 76, true) !== 0) setTime(startW, startV, row, dv, d + 72);
          break;
        }
        case ITEM.FILE: {
          const mode = dv.getUint32(d + 4, true);
          devA[row] = encodeDev(dv.getUint32(d, true));
          mark(devV, row);
          copy64(inoW, inoV, row, dv, d + 8);
          setFdType(row, (mode & 0o170000) === 0o040000 ? 'directory' : 'file');
          if (isSet(flagsV, row) && (dv.getUint32(d + 16, true) & 0x100000) !== 0) flagsA[row] = (flagsA[row] | PPM_O.F_CREATED) >>> 0;
          break;
        }
        case ITEM.DATA:
          S.buffer.set(row, buf.subarray(d, d + len));
          break;
        case ITEM.CLONE3:
          flagsA[row] = cloneFlags32(dv.getUint32(d, true));
          mark(flagsV, row);
          break;
        case ITEM.FDPAIR:
          setI64Low32(fdW, fdV, row, dv.getInt32(d, true));
          setI64Low32(fd2W, fd2V, row, dv.getInt32(d + 4, true));
          break;
        case ITEM.OPEN_HOW: {
          // openat2's struct open_how (decode.ts: same values); resolve goes to `extra`.
          const how = dv.getUint32(d, true);
          flagsA[row] = openFlags(how);
          mark(flagsV, row);
          modeA[row] = openMode(how, dv.getUint32(d + 8, true));
          mark(modeV, row);
          S.extra.put(row, 'resolve', String(resolveFlags(dv.getUint32(d + 16, true))));
          break;
        }
      }
      at = d + len;
    }

    // Sockets: who is the client depends on the syscall (decode.ts has the same switch).
    switch (plan.post) {
      case Post.None:
        break;
      case Post.Connect:
        if (sock >= 0) applySock(row, buf, dv, sock, true);
        if (sockaddrAt >= 0 && (!isSet(S.dip.valid, row) || (isSet(famV, row) && famA[row] === 1))) sockaddr(row, buf, dv, sockaddrAt, sockaddrLen);
        break;
      case Post.Accept:
      case Post.Listen:
        if (sock >= 0) applySock(row, buf, dv, sock, false);
        break;
      case Post.Bind:
        if (sockaddrAt >= 0) sockaddr(row, buf, dv, sockaddrAt, sockaddrLen);
        if (sock >= 0) {
          const family = buf[sock];
          const fdType = fdTypeOfFamily(family);
          if (fdType) setFdType(row, fdType);
          else clearFdType(row);
          if (family === 2 || family === 10) {
            l4A[row] = buf[sock + 2];
            mark(l4V, row);
          }
        }
        break;
      case Post.Send:
        if (sock >= 0) applySock(row, buf, dv, sock, true);
        if (sockaddrAt >= 0 && !isSet(S.dip.valid, row)) sockaddr(row, buf, dv, sockaddrAt, sockaddrLen);
        break;
      case Post.Recv:
        // The data comes from the peer: the peer is the tuple's source. applySock as the server
        // side puts it there; decode.ts also nulls a source it does not know (none was set).
        if (sock >= 0) {
          applySock(row, buf, dv, sock, false);
          const family = buf[sock];
          if ((family === 2 || family === 10) && dv.getUint16(sock + 6, true) === 0) {
            clearString(S.sip, row);
            sportA[row] = 0;
            unmark(sportV, row);
          }
        }
        break;
      case Post.Shutdown:
        if (sock >= 0) applySock(row, buf, dv, sock, true);
        break;
      case Post.Socket: {
        const family = famA[row];
        const fdType = fdTypeOfFamily(family);
        if (fdType) setFdType(row, fdType);
        if ((family === 2 || family === 10) && l4A[row] === 0) l4A[row] = stypeA[row] === 1 ? 6 : stypeA[row] === 2 ? 17 : 0;
        break;
      }
      case Post.Memfd:
        setFdType(row, 'memfd');
        break;
      case Post.Pipe:
        setFdType(row, 'pipe');
        break;
      case Post.Fcntl: {
        // F_DUPFD (0) and F_DUPFD_CLOEXEC (1030) create an fd: the engine takes fd2 as the sign.
        const cmdLo = opW[2 * row];
        if (isSet(opV, row) && opW[2 * row + 1] === 0 && (cmdLo === 0 || cmdLo === 1030) && retHi >= 0) {
          fd2W[2 * row] = retLo;
          fd2W[2 * row + 1] = retHi;
          mark(fd2V, row);
        }
        if (isSet(opV, row)) toPpm(row, fcntlCmdToPpm);
        break;
      }
      case Post.Ptrace:
        if (isSet(opV, row)) toPpm(row, ptraceRequestToPpm);
        break;
    }
  };

  const procexit = (buf: Buffer, dv: DataView, base: number) => {
    const row = writer.beginRow();
    events++;
    if (dirCode < 0) dirCode = S.dir.intern('<');
    setTime(tsW, tsV, row, dv, base + 8);
    setNum(row);
    if (procexitCode < 0) procexitCode = S.type.intern('procexit');
    typeC[row] = procexitCode;
    mark(typeV, row);
    dirC[row] = dirCode;
    mark(dirV, row);
    cpuA[row] = dv.getUint16(base + 6, true);
    mark(cpuV, row);
    tidA[row] = dv.getInt32(base + 16, true);
    mark(tidV, row);
    pidA[row] = dv.getInt32(base + 20, true);
    mark(pidV, row);
    ppidA[row] = dv.getInt32(base + 24, true);
    mark(ppidV, row);
    setI64Low32(idW, idV, row, dv.getInt32(base + 28, true));
    uidA[row] = dv.getUint32(base + 32, true);
    mark(uidV, row);
    euidA[row] = dv.getUint32(base + 36, true);
    mark(euidV, row);
    setComm(row, buf, dv, base + 40);
  };

  const one = (buf: Buffer, dv: DataView, base: number, size: number) => {
    const kind = buf[base + 2];
    records++;
    switch (kind) {
      case REC.SYSCALL:
        if (size >= SYSCALL_FIXED) syscall(buf, dv, base, size);
        return;
      case REC.PROCEXIT:
        procexit(buf, dv, base);
        return;
      case REC.STATS: {
        const ncpus = buf.readUInt32LE(base + 4);
        const ts = buf.readBigUInt64LE(base + 8);
        const per: CpuCounters[] = [];
        for (let i = 0; i < ncpus && base + 16 + 16 * i + 16 <= base + size; i++) {
          per.push({ events: buf.readBigUInt64LE(base + 16 + 16 * i), drops: buf.readBigUInt64LE(base + 24 + 16 * i) });
        }
        sinks.stats(per, ts + boot);
        return;
      }
      case REC.HELLO: {
        const magic = buf.readUInt32LE(base + 4);
        const version = buf.readUInt32LE(base + 8);
        if (magic !== TSF_MAGIC || version !== PROTOCOL_VERSION) {
          throw new Error(`capture helper speaks protocol ${version} (magic ${magic.toString(16)}), this tsfalco ${PROTOCOL_VERSION}: rebuild the helper (npm run build:helper)`);
        }
        boot = buf.readBigInt64LE(base + 16);
        bootLo = buf.readUInt32LE(base + 16);
        bootHi = buf.readUInt32LE(base + 20);
        sinks.hello({ version, ncpus: buf.readUInt32LE(base + 12), bootToRealtimeNs: boot, helperPid: buf.readUInt32LE(base + 24), ringbufBytes: buf.readUInt32LE(base + 28) });
        return;
      }
      default:
        throw new Error(`capture helper stream: unknown record kind ${kind} after ${records - 1} records`);
    }
  };

  return {
    push(chunk: Buffer) {
      let at = 0;
      if (held) {
        // Complete the record cut at the end of the last chunk (only it is copied).
        let head = held;
        held = null;
        if (head.length < 2) {
          at = Math.min(2 - head.length, chunk.length);
          head = Buffer.concat([head, chunk.subarray(0, at)]);
          if (head.length < 2) {
            held = head;
            return;
          }
        }
        const size = head.readUInt16LE(0);
        if (size < 4) throw new Error(`capture helper stream: bad record size ${size} after ${records} records`);
        const take = Math.min(size - head.length, chunk.length - at);
        head = Buffer.concat([head, chunk.subarray(at, at + take)]);
        at += take;
        if (head.length < size) {
          held = head;
          return;
        }
        one(head, new DataView(head.buffer, head.byteOffset, head.byteLength), 0, size);
      }
      const buf = chunk;
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      while (at + 4 <= buf.length) {
        const size = dv.getUint16(at, true);
        if (size < 4) throw new Error(`capture helper stream: bad record size ${size} after ${records} records`);
        if (at + size > buf.length) break;
        one(buf, dv, at, size);
        at += size;
      }
      if (at < buf.length) held = Buffer.from(buf.subarray(at));
    },
    get pending() {
      return held ? held.length : 0;
    },
    get records() {
      return records;
    },
    get events() {
      return events;
    },
  };
}

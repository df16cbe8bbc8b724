import { ScapFormatError, type ScapInput } from './input.js';

/**
 * The block layer of a .scap file (pcap-ng-like): every block is
 * `u32 type, u32 total length, body, padding, u32 total length again`, little-endian. Numbers
 * from libscap's scap_savefile.h; `*_INT` are the pre-release numbers libscap still reads.
 */
export const BLOCK = {
  SHB: 0x0a0d0d0a,
  MI: 0x201,
  MI_INT: 0x8002abcd,
  PL_V1: 0x202,
  PL_V1_INT: 0x8000abcd,
  PL_V2: 0x207,
  PL_V2_INT: 0x8013abcd,
  PL_V3: 0x209,
  PL_V3_INT: 0x8014abcd,
  PL_V4: 0x210,
  PL_V5: 0x211,
  PL_V6: 0x212,
  PL_V7: 0x213,
  PL_V8: 0x214,
  PL_V9: 0x215,
  FDL: 0x203,
  FDL_INT: 0x8001abcd,
  FDL_V2: 0x218,
  EV: 0x204,
  EV_INT: 0x8010abcd,
  EV_V2: 0x216,
  EV_V2_LARGE: 0x221,
  EVF: 0x208,
  EVF_V2: 0x217,
  EVF_V2_LARGE: 0x222,
  IL: 0x205,
  IL_INT: 0x8011abcd,
  IL_V2: 0x219,
  UL: 0x206,
  UL_INT: 0x8012abcd,
  UL_V2: 0x220,
} as const;

export const SHB_MAGIC = 0x1a2b3c4d;
export const SHB_MAGIC_SWAPPED = 0x4d3c2b1a;
/** The scap major version this reader understands (libscap's CURRENT_MAJOR_VERSION). */
export const SCAP_MAJOR = 1;

/** The process-list version of a block type (1…9), or 0 when it is not a process list. */
export function procListVersion(type: number): number {
  switch (type) {
    case BLOCK.PL_V1:
    case BLOCK.PL_V1_INT:
      return 1;
    case BLOCK.PL_V2:
    case BLOCK.PL_V2_INT:
      return 2;
    case BLOCK.PL_V3:
    case BLOCK.PL_V3_INT:
      return 3;
    case BLOCK.PL_V4:
      return 4;
    case BLOCK.PL_V5:
      return 5;
    case BLOCK.PL_V6:
      return 6;
    case BLOCK.PL_V7:
      return 7;
    case BLOCK.PL_V8:
      return 8;
    case BLOCK.PL_V9:
      return 9;
    default:
      return 0;
  }
}

export type EventBlockKind = 'v1' | 'v1f' | 'v2' | 'v2f';

/** How an event block lays out its event: v1 headers lack nparams; `f` blocks carry 32 flag bits. */
export function eventBlockKind(type: number): EventBlockKind | null {
  switch (type) {
    case BLOCK.EV:
    case BLOCK.EV_INT:
      return 'v1';
    case BLOCK.EVF:
      return 'v1f';
    case BLOCK.EV_V2:
    case BLOCK.EV_V2_LARGE:
      return 'v2';
    case BLOCK.EVF_V2:
    case BLOCK.EVF_V2_LARGE:
      return 'v2f';
    default:
      return null;
  }
}

/** Blocks that describe state (machine, processes, fds, users, interfaces), as opposed to events. */
export function isStateBlock(type: number): boolean {
  switch (type) {
    case BLOCK.MI:
    case BLOCK.MI_INT:
    case BLOCK.FDL:
    case BLOCK.FDL_INT:
    case BLOCK.FDL_V2:
    case BLOCK.UL:
    case BLOCK.UL_INT:
    case BLOCK.UL_V2:
    case BLOCK.IL:
    case BLOCK.IL_INT:
    case BLOCK.IL_V2:
      return true;
    default:
      return procListVersion(type) !== 0;
  }
}

export function isLargeBlock(type: number): boolean {
  return type === BLOCK.EV_V2_LARGE || type === BLOCK.EVF_V2_LARGE;
}

/**
 * Largest block accepted. Event blocks of the non-large kinds are limited to 64 KiB by libscap;
 * state blocks (process lists of big hosts: ~2 KB a thread, so 64k threads) and large-payload
 * events can be much bigger. A block is held whole while it is read, and reading one costs about
 * three times its size, so 128 MiB keeps the worst file under ~512 MB; a length beyond it is
 * reported instead of buffering the rest of the file.
 */
export const MAX_BLOCK = 128 << 20;
const MAX_SMALL_EVENT_BLOCK = 64 << 10;

/**
 * Reads blocks one after the other. After `next()` returns a type, the body is
 * `input.buf[bodyStart, bodyEnd)` (header and trailer excluded, padding included) until the
 * next call. No allocation per block.
 */
export class BlockReader {
  type = 0;
  /** Total length as declared (header + body + trailer). */
  length = 0;
  /** Decompressed-stream offset of the block's first byte. */
  offset = 0;
  bodyStart = 0;
  bodyEnd = 0;
  private consumed = 0;

  constructor(readonly input: ScapInput) {}

  /** The next block's type, or -1 at a clean end of the data (between blocks). */
  next(): number {
    const input = this.input;
    input.skip(this.consumed);
    this.consumed = 0;
    this.offset = input.offset;
    if (!input.ensure(8)) {
      const left = input.available;
      const problem = input.endProblem();
      if (left === 0 && problem === null) return -1;
      if (left === 0) throw new ScapFormatError(problem!, this.offset);
      throw new ScapFormatError(`the data ends inside a block header (${left} of 8 bytes)${problem ? `: ${problem}` : ''}`, this.offset);
    }
    const view = input.view;
    const at = input.start;
    const type = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    if (length < 12) throw new ScapFormatError(`block of type 0x${type.toString(16)} has an impossible length ${length}`, this.offset);
    if (length > MAX_BLOCK || (eventBlockKind(type) !== null && !isLargeBlock(type) && length - 8 > MAX_SMALL_EVENT_BLOCK)) {
      throw new ScapFormatError(`block of type 0x${type.toString(16)} claims ${length} bytes, more than this kind of block can hold`, this.offset);
    }
    if (!input.ensure(length)) {
      const problem = input.endProblem();
      throw new ScapFormatError(
        `the data ends inside a block of type 0x${type.toString(16)} (${input.available} of its ${length} bytes)${problem ? `: ${problem}` : ''}`,
        this.offset,
      );
    }
    const s = input.start;
    const trailer = input.view.getUint32(s + length - 4, true);
    if (trailer !== length) {
      throw new ScapFormatError(`block of type 0x${type.toString(16)}: length ${length} at its start but ${trailer} at its end`, this.offset);
    }
    this.type = type;
    this.length = length;
    this.bodyStart = s + 8;
    this.bodyEnd = s + length - 4;
    this.consumed = length;
    return type;
  }
}

export interface SectionHeader {
  major: number;
  minor: number;
  /** pcap-ng options of the section header (libscap skips them; editcap adds comments). */
  comments: string[];
}

/** Decodes a section header block body (the reader is positioned on it). */
export function readSectionHeader(r: BlockReader): SectionHeader {
  const { view, buf } = r.input;
  const s = r.bodyStart;
  if (r.bodyEnd - s < 16) throw new ScapFormatError('section header block too short', r.offset);
  const magic = view.getUint32(s, true);
  if (magic === SHB_MAGIC_SWAPPED) throw new ScapFormatError('big-endian .scap files are not supported', r.offset);
  if (magic !== SHB_MAGIC) throw new ScapFormatError(`bad byte-order magic 0x${magic.toString(16)} in the section header`, r.offset);
  const major = view.getUint16(s + 4, true);
  const minor = view.getUint16(s + 6, true);
  if (major > SCAP_MAJOR) {
    throw new ScapFormatError(`scap format version ${major}.${minor} is newer than this reader supports (${SCAP_MAJOR}.x)`, r.offset);
  }
  // Options: u16 code, u16 length, value padded to 4 bytes; code 0 ends them, 1 is a comment.
  const comments: string[] = [];
  let o = s + 16;
  while (o + 4 <= r.bodyEnd) {
    const code = view.getUint16(o, true);
    const len = view.getUint16(o + 2, true);
    if (code === 0 || o + 4 + len > r.bodyEnd) break;
    if (code === 1) comments.push(Buffer.from(buf.buffer, buf.byteOffset + o + 4, len).toString('utf8').replace(/\0+$/, ''));
    o += 4 + ((len + 3) & ~3);
  }
  return { major, minor, comments };
}

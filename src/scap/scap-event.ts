import { type BlockReader, eventBlockKind } from './blocks.js';
import { EF, EVENT_TABLE, type ScapEventInfo } from './event-table.js';
import { ScapFormatError } from './input.js';

/**
 * One event of an event block, decoded in place: header fields and the offset/length of each
 * parameter inside the reader's window. One instance is reused for every event (no allocation
 * per event); its offsets are valid until the block reader moves on.
 */

/** ts u64, tid u64, len u32, type u16 (+ nparams u32 in v2 blocks). */
const V1_HEADER = 22;
const V2_HEADER = 26;

const NOTIFICATION_E = EVENT_TABLE.find((e) => e.id === 'NOTIFICATION_E')?.code ?? -1;
const INFRASTRUCTURE_EVENT_E = EVENT_TABLE.find((e) => e.id === 'INFRASTRUCTURE_EVENT_E')?.code ?? -1;

/** The first comment (option code 1) of pcap-ng options in buf[at, end). */
function blockComment(buf: Uint8Array, view: DataView, at: number, end: number): string | null {
  while (at + 4 <= end) {
    const code = view.getUint16(at, true);
    const len = view.getUint16(at + 2, true);
    if (code === 0 || at + 4 + len > end) return null;
    if (code === 1) return Buffer.from(buf.buffer, buf.byteOffset + at + 4, len).toString('utf8').replace(/\0+$/, '');
    at += 4 + ((len + 3) & ~3);
  }
  return null;
}

export class ScapEvent {
  cpu = 0;
  /** EVF blocks' 32 flag bits (0 in other blocks). */
  flags = 0;
  ts = 0n;
  tid = 0;
  code = 0;
  info: ScapEventInfo = EVENT_TABLE[0];
  nparams = 0;
  /** Offset of the event header in `buf`. */
  start = 0;
  /** Parameter i is buf[paramOff[i], paramOff[i] + paramLen[i]). */
  paramOff = new Int32Array(64);
  paramLen = new Int32Array(64);
  /** A pcap-ng comment option after the event in its block (editcap adds them), else null. */
  comment: string | null = null;
  buf: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(new ArrayBuffer(0));

  /**
   * Decodes the event of the current (event) block. Returns false for an event code this
   * reader's table does not know (libscap skips those too); throws on a damaged event.
   */
  decode(r: BlockReader): boolean {
    const kind = eventBlockKind(r.type)!;
    const { buf, view } = r.input;
    this.buf = buf;
    this.view = view;
    let at = r.bodyStart;
    const end = r.bodyEnd;
    const hdr = kind === 'v1' || kind === 'v1f' ? V1_HEADER : V2_HEADER;
    const flagged = kind === 'v1f' || kind === 'v2f';
    if (end - at < 2 + (flagged ? 4 : 0) + hdr) throw new ScapFormatError('event block too short for an event header', r.offset);
    this.cpu = view.getUint16(at, true);
    at += 2;
    if (flagged) {
      this.flags = view.getUint32(at, true);
      at += 4;
    } else {
      this.flags = 0;
    }
    this.start = at;
    this.ts = view.getBigUint64(at, true);
    this.tid = Number(view.getBigInt64(at + 8, true));
    let len = view.getUint32(at + 16, true);
    const code = view.getUint16(at + 20, true);
    this.code = code;
    const info = EVENT_TABLE[code];
    if (info === undefined) return false;
    this.info = info;
    const avail = end - at;
    const lenSize = info.flags & EF.LARGE_PAYLOAD ? 4 : 2;
    if (hdr === V1_HEADER) {
      // Old captures: no nparams in the header, and two event types had their length off by 3.
      if (code === NOTIFICATION_E || code === INFRASTRUCTURE_EVENT_E) len -= 3;
      if (len < hdr || len > avail) throw new ScapFormatError(`event length ${len} does not fit its block (${avail} bytes)`, r.offset);
      this.nparams = this.countV1Params(at + hdr, at + len, info.params.length, lenSize, r.offset);
    } else {
      if (len < hdr || len > avail) throw new ScapFormatError(`event length ${len} does not fit its block (${avail} bytes)`, r.offset);
      this.nparams = view.getUint32(at + 22, true);
      if (this.nparams * lenSize > len - hdr) {
        throw new ScapFormatError(`event claims ${this.nparams} parameters, more than its ${len} bytes can hold`, r.offset);
      }
    }
    const n = this.nparams;
    if (n > this.paramOff.length) {
      this.paramOff = new Int32Array(n);
      this.paramLen = new Int32Array(n);
    }
    let lens = at + hdr;
    let val = lens + n * lenSize;
    const stop = at + len;
    for (let i = 0; i < n; i++) {
      const l = lenSize === 2 ? view.getUint16(lens, true) : view.getUint32(lens, true);
      lens += lenSize;
      if (l > stop - val) {
        throw new ScapFormatError(`parameter ${i} (${info.params[i]?.name ?? '?'}) of ${info.name} has length ${l}, past the end of the event`, r.offset);
      }
      this.paramOff[i] = val;
      this.paramLen[i] = l;
      val += l;
    }
    // Block padding is under 4 bytes; more after the event are pcap-ng options.
    this.comment = end - stop >= 8 ? blockComment(buf, view, r.bodyStart + ((stop - r.bodyStart + 3) & ~3), end) : null;
    return true;
  }

  /** v1 events: the largest parameter count whose lengths add up exactly to the event's size. */
  private countV1Params(lens: number, end: number, max: number, lenSize: number, offset: number): number {
    const view = this.view;
    for (let n = max; n >= 0; n--) {
      let val = lens + n * lenSize;
      if (val > end) continue;
      for (let i = 0; i < n; i++) val += lenSize === 2 ? view.getUint16(lens + i * 2, true) : view.getUint32(lens + i * 4, true);
      if (val < end) throw new ScapFormatError(`cannot work out the parameters of a ${this.info.name} event (bytes left over)`, offset);
      if (val === end) return n;
    }
    throw new ScapFormatError(`cannot work out the parameters of a ${this.info.name} event (lengths do not add up)`, offset);
  }
}

import { readSync } from 'node:fs';
import { Message, MessageHeader } from 'apache-arrow';
import { verifyMessageFlatbuffer } from './ipc-verify.js';

/**
 * Walks the messages of an Arrow IPC stream (the body of an Arrow file) straight from a file
 * descriptor, one complete message at a time. It knows exactly where each message starts and
 * ends, which is what lets us read a file whose writer was killed (no footer, maybe half a
 * message at the end), say at which byte a damaged file broke, and rebuild the footer.
 *
 * Framing (Arrow columnar format, "Encapsulated message format"): 0xFFFFFFFF, int32 metadata
 * length (flatbuffer + padding), the Message flatbuffer, then `bodyLength` bytes of body.
 * A zero metadata length is the end-of-stream marker.
 */

export const ARROW_MAGIC = Buffer.from('ARROW1');
const CONTINUATION = 0xffffffff;

export interface ScannedMessage {
  /** Byte offset of the message's continuation marker in the file. */
  readonly offset: number;
  /** Bytes from `offset` to the body: the 8-byte prefix plus the padded flatbuffer. */
  readonly metadataLength: number;
  readonly bodyLength: number;
  readonly headerType: MessageHeader;
  readonly message: Message;
  /** The whole message (prefix, metadata and body), ready to hand to an Arrow stream reader. */
  readonly bytes: Uint8Array;
}

/** How a scan ended. */
export type ScanEnd =
  | { kind: 'eos'; offset: number } // an end-of-stream marker: the writer closed the stream
  | { kind: 'eof'; offset: number } // the file ends between two messages (writer killed between batches)
  | { kind: 'truncated'; offset: number; detail: string } // the file ends inside a message
  | { kind: 'corrupt'; offset: number; detail: string }; // bytes that are not an Arrow message

export interface MessageScan {
  /** The next complete message, or null when the scan has ended (see `end`). */
  next(): ScannedMessage | null;
  end: ScanEnd | null;
}

function readExactly(fd: number, position: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

export function scanMessages(fd: number, start: number, fileSize: number): MessageScan {
  let offset = start;
  const scan: MessageScan = {
    end: null,
    next() {
      if (scan.end) return null;
      if (offset >= fileSize) {
        scan.end = { kind: 'eof', offset };
        return null;
      }
      const prefix = readExactly(fd, offset, 8);
      if (prefix.length < 8) {
        scan.end = { kind: 'truncated', offset, detail: `${fileSize - offset} byte(s) of a message header` };
        return null;
      }
      const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
      if (view.getUint32(0, true) !== CONTINUATION) {
        scan.end = { kind: 'corrupt', offset, detail: 'expected an Arrow IPC message marker (0xFFFFFFFF)' };
        return null;
      }
      const flatbufferLength = view.getInt32(4, true);
      if (flatbufferLength === 0) {
        scan.end = { kind: 'eos', offset };
        return null;
      }
      if (flatbufferLength < 0 || flatbufferLength % 8 !== 0 || flatbufferLength > 1 << 26) {
        scan.end = { kind: 'corrupt', offset, detail: `implausible message metadata length ${flatbufferLength}` };
        return null;
      }
      const metadataLength = 8 + flatbufferLength;
      if (offset + metadataLength > fileSize) {
        scan.end = { kind: 'truncated', offset, detail: 'the file ends inside a message header' };
        return null;
      }
      const flatbuffer = readExactly(fd, offset + 8, flatbufferLength);
      const unsound = verifyMessageFlatbuffer(flatbuffer);
      if (unsound) {
        scan.end = { kind: 'corrupt', offset, detail: unsound };
        return null;
      }
      let message: Message;
      try {
        message = Message.decode(flatbuffer);
      } catch (err) {
        scan.end = { kind: 'corrupt', offset, detail: `unreadable message metadata (${(err as Error).message})` };
        return null;
      }
      const bodyLength = Number(message.bodyLength);
      if (!Number.isSafeInteger(bodyLength) || bodyLength < 0 || bodyLength > 1 << 30) {
        scan.end = { kind: 'corrupt', offset, detail: `implausible message body length ${message.bodyLength}` };
        return null;
      }
      if (offset + metadataLength + bodyLength > fileSize) {
        scan.end = {
          kind: 'truncated',
          offset,
          detail: `the file ends inside a message: ${fileSize - offset} of ${metadataLength + bodyLength} bytes present`,
        };
        return null;
      }
      const bytes = new Uint8Array(metadataLength + bodyLength);
      bytes.set(prefix, 0);
      bytes.set(flatbuffer, 8);
      bytes.set(readExactly(fd, offset + metadataLength, bodyLength), metadataLength);
      const scanned: ScannedMessage = {
        offset,
        metadataLength,
        bodyLength,
        headerType: message.headerType,
        message,
        bytes,
      };
      offset += metadataLength + bodyLength;
      return scanned;
    },
  };
  return scan;
}

/** Where the IPC stream starts: after the 8-byte magic of an Arrow file, or at 0 for a stream. */
export function streamStart(head: Uint8Array): { start: number; format: 'file' | 'stream' } | null {
  if (head.length >= 8 && Buffer.from(head.subarray(0, 6)).equals(ARROW_MAGIC)) return { start: 8, format: 'file' };
  if (head.length >= 4 && new DataView(head.buffer, head.byteOffset).getUint32(0, true) === CONTINUATION) {
    return { start: 0, format: 'stream' };
  }
  return null;
}

/** True when the file ends with a complete Arrow footer (`<footer> <int32 length> ARROW1`). */
export function hasFooter(fd: number, fileSize: number): boolean {
  if (fileSize < 8 + 10) return false;
  const tail = readExactly(fd, fileSize - 10, 10);
  if (!Buffer.from(tail.subarray(4)).equals(ARROW_MAGIC)) return false;
  const footerLength = new DataView(tail.buffer, tail.byteOffset).getInt32(0, true);
  return footerLength > 0 && footerLength <= fileSize - 18;
}

export { MessageHeader };

import { ByteBuffer } from 'flatbuffers';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import type { Field as FbField } from 'apache-arrow/fb/field';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';

/**
 * A bounds check of an IPC message's flatbuffer before apache-arrow decodes it. apache-arrow
 * trusts vector lengths, so one flipped bit can make it loop over billions of phantom fields or
 * nodes (seconds to minutes per message). No honest vector can have more elements than its
 * flatbuffer has bytes, so every length is checked against that before decoding.
 * Returns a description of the problem, or null when the message looks sound.
 */
export function verifyMessageFlatbuffer(bytes: Uint8Array): string | null {
  const limit = bytes.length;
  const tooLong = (what: string, n: number) => (n < 0 || n > limit ? `${what} claims ${n} entries in a ${limit}-byte message` : null);
  try {
    const message = FbMessage.getRootAsMessage(new ByteBuffer(bytes));
    const problem = tooLong('custom metadata', message.customMetadataLength());
    if (problem) return problem;
    const body = message.bodyLength();
    if (body < 0n || body > 2n ** 30n) return `implausible message body length ${body}`;
    switch (message.headerType()) {
      case MessageHeader.Schema: {
        const schema = message.header(new FbSchema()) as FbSchema | null;
        if (!schema) return 'schema message without a schema';
        return tooLong('schema fields', schema.fieldsLength()) ?? tooLong('schema metadata', schema.customMetadataLength()) ?? checkFields(schema, limit, 0);
      }
      case MessageHeader.RecordBatch: {
        const batch = message.header(new FbRecordBatch()) as FbRecordBatch | null;
        return batch ? checkBatch(batch, limit, message.bodyLength()) : 'record batch message without a header';
      }
      case MessageHeader.DictionaryBatch: {
        const dict = message.header(new FbDictionaryBatch()) as FbDictionaryBatch | null;
        const data = dict?.data();
        if (!data) return 'dictionary batch message without data';
        const id = dict!.id();
        if (id < 0n || id > 0x7fffffffn) return `implausible dictionary id ${id}`;
        return checkBatch(data, limit, message.bodyLength());
      }
      default: {
        // A flatbuffer whose offsets point outside it reads as garbage or nothing at all.
        const type = message.headerType() as number | undefined;
        return Number.isInteger(type) ? `unexpected message type ${type}` : 'unreadable message header';
      }
    }
  } catch (err) {
    return `unreadable message metadata (${(err as Error).message})`;
  }
}

/** Row and value counts above this are damage (Arrow's own implementations use 32-bit offsets for them). */
const MAX_COUNT = 2n ** 31n;

function checkBatch(batch: FbRecordBatch, limit: number, bodyLength: bigint): string | null {
  const nodes = batch.nodesLength();
  const buffers = batch.buffersLength();
  // Each node is 16 bytes and each buffer descriptor 16 bytes in the flatbuffer.
  if (nodes < 0 || nodes * 16 > limit) return `record batch claims ${nodes} field nodes in a ${limit}-byte message`;
  if (buffers < 0 || buffers * 16 > limit) return `record batch claims ${buffers} buffers in a ${limit}-byte message`;
  const variadic = batch.variadicBufferCountsLength();
  if (variadic < 0 || variadic * 8 > limit) return `record batch claims ${variadic} variadic buffer counts`;
  // The 64-bit numbers, before anything converts them to JavaScript numbers: counts that no
  // batch has, buffers outside the body.
  const rows = batch.length();
  if (rows < 0n || rows > MAX_COUNT) return `implausible row count ${rows}`;
  for (let i = 0; i < nodes; i++) {
    const node = batch.nodes(i)!;
    if (node.length() < 0n || node.length() > MAX_COUNT) return `field node ${i}: implausible length ${node.length()}`;
    if (node.nullCount() < 0n || node.nullCount() > node.length()) return `field node ${i}: ${node.nullCount()} nulls in ${node.length()} values`;
  }
  for (let i = 0; i < buffers; i++) {
    const buffer = batch.buffers(i)!;
    const offset = buffer.offset();
    const length = buffer.length();
    if (offset < 0n || length < 0n || offset + length > bodyLength) return `buffer ${i} (${length} bytes at ${offset}) lies outside the ${bodyLength}-byte message body`;
  }
  return null;
}

interface HasFields {
  fieldsLength?(): number;
  fields?(i: number): FbField | null;
  childrenLength?(): number;
  children?(i: number): FbField | null;
}

function checkFields(parent: HasFields, limit: number, depth: number): string | null {
  if (depth > 64) return 'fields nested more than 64 levels deep';
  const count = parent.fieldsLength ? parent.fieldsLength() : parent.childrenLength!();
  const bad = count < 0 || count > limit ? `a field list claims ${count} entries` : null;
  if (bad) return bad;
  for (let i = 0; i < count; i++) {
    const field = parent.fields ? parent.fields(i) : parent.children!(i);
    if (!field) return `field ${i} is missing`;
    const meta = field.customMetadataLength();
    if (meta < 0 || meta > limit) return `field ${i} metadata claims ${meta} entries`;
    const problem = checkFields(field as unknown as HasFields, limit, depth + 1);
    if (problem) return problem;
  }
  return null;
}

import { CompressionType, compressionRegistry } from 'apache-arrow';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';

/**
 * Arrow IPC body compression. Traces are written with LZ4_FRAME (the codec pyarrow, polars and
 * DuckDB's Arrow readers also use); the registry is process-wide, so importing this module once
 * is enough for both writing and reading.
 */
export function encodeLz4(data: Uint8Array): Uint8Array {
  return compressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

compressionRegistry.set(CompressionType.LZ4_FRAME, {
  encode: encodeLz4,
  decode: (data: Uint8Array) => decompressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
});

export type TraceCompression = 'lz4' | 'none';

export function arrowCompressionType(compression: TraceCompression): CompressionType | null {
  return compression === 'lz4' ? CompressionType.LZ4_FRAME : null;
}

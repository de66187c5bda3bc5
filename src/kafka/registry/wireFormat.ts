/**
 * The Confluent wire format: a magic byte 0, the schema id as a 4-byte big-endian integer, then the payload (for
 * Protobuf, the message indexes come first in the payload).
 */
export const WIRE_HEADER_BYTES = 5;

/** The schema id of bytes in the wire format, or undefined when they are not in it. */
export function wireSchemaId(bytes: Buffer | null | undefined): number | undefined {
  if (!bytes || bytes.length < WIRE_HEADER_BYTES || bytes[0] !== 0) return undefined;
  return bytes.readInt32BE(1);
}

export function wirePayload(bytes: Buffer): Buffer {
  return bytes.subarray(WIRE_HEADER_BYTES);
}

export function toWireFormat(id: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(WIRE_HEADER_BYTES);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, payload]);
}

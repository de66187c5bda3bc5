/**
 * The compression codecs of Kafka record batches, plugged into kafkajs (which ships gzip only). Each one decodes
 * what Kafka's Java producer and librdkafka write, and encodes what both read back. Chosen for installing from npm
 * with nothing to compile or download (measured: `@kafkajs/zstd` fails to compile here, and the wasm build of
 * `kafkajs-lz4` 2.0 beta fails to load):
 * - snappy: `kafkajs-snappy` (the kafkajs project's plug-in on pure-JS `snappyjs`; it reads the xerial framing Kafka's
 *   Java producer writes, and writes plain snappy, which Kafka's Java consumer reads too);
 * - lz4: the LZ4 frame format Kafka uses since message format v1: `lz4js` (pure JS) reads it, lz4Frame below writes it;
 * - zstd: `fzstd` (pure JS) decodes, because Kafka's Java producer writes streaming frames without a content size,
 *   which the wasm decoder refuses; `@bokuweb/zstd-wasm` (zstd's own C built to wasm, inside the npm package) encodes.
 */
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { decompress as zstdDecompress } from 'fzstd';
import { StreamlabError, didYouMean } from '../errors';

// Packages without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappyCodec = require('kafkajs-snappy') as () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lz4 = require('lz4js') as { decompress(src: Uint8Array, maxSize?: number): Uint8Array };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lz4Block = require('lz4-wasm-nodejs') as { compress(src: Uint8Array): Uint8Array };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const xxh32 = require('lz4js/xxh32') as { hash(seed: number, src: Uint8Array, index: number, length: number): number };

const LZ4_MAGIC = 0x184d2204;
/** FLG: version 01, independent blocks. Kafka refuses frames without the independence flag ("Dependent block stream is unsupported"). */
const LZ4_FLG = 0x60;
/** BD: blocks of at most 64 KB, as Kafka's own producer writes them. */
const LZ4_BD = 0x40;
const LZ4_BLOCK = 64 * 1024;

/**
 * An LZ4 frame Kafka accepts, of blocks compressed by `lz4-wasm-nodejs` (lz4_flex built to wasm, inside the npm
 * package). lz4js cannot write one: its compress() keeps its match table across blocks (dependent blocks, which
 * Kafka refuses), and its block compressor starts matches closer to a block's end than the LZ4 format allows, which
 * the reference decoder in Kafka's broker rejects ("Error decoding offset"). lz4js still reads frames (it is
 * lenient, and pure JS).
 */
function lz4Frame(src: Uint8Array): Buffer {
  const blocks: Buffer[] = [];
  const header = Buffer.alloc(7);
  header.writeUInt32LE(LZ4_MAGIC, 0);
  header[4] = LZ4_FLG;
  header[5] = LZ4_BD;
  header[6] = (xxh32.hash(0, header, 4, 2) >> 8) & 0xff;
  blocks.push(header);
  for (let start = 0; start < src.length; start += LZ4_BLOCK) {
    const plain = src.subarray(start, start + LZ4_BLOCK);
    // The wasm compressor prepends the plain size (4 bytes, little-endian): the block is what follows.
    const compressed = lz4Block.compress(plain).subarray(4);
    const size = Buffer.alloc(4);
    if (compressed.length >= plain.length) {
      size.writeUInt32LE((0x80000000 | plain.length) >>> 0, 0);
      blocks.push(size, Buffer.from(plain));
    } else {
      size.writeUInt32LE(compressed.length, 0);
      blocks.push(size, Buffer.from(compressed));
    }
  }
  blocks.push(Buffer.alloc(4));
  return Buffer.concat(blocks);
}

export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

const TYPES: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** The kafkajs compression type of a codec name; one line naming the choices for anything else. */
export function compressionType(name: string, where = 'compression'): CompressionTypes {
  if (!(COMPRESSIONS as readonly string[]).includes(name)) {
    const guess = didYouMean(name, COMPRESSIONS);
    throw new StreamlabError(`${where} '${name}' is not a Kafka codec`, `use one of ${COMPRESSIONS.join(', ')}${guess ? ` (did you mean '${guess}'?)` : ''}`);
  }
  return TYPES[name as Compression];
}

type ZstdWasm = { init(): Promise<void>; compress(buf: Uint8Array, level?: number): Uint8Array };
let zstdWasm: Promise<ZstdWasm> | undefined;
/** Loaded on the first zstd write only: reading never needs it. */
function zstdEncoder(): Promise<ZstdWasm> {
  zstdWasm ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('@bokuweb/zstd-wasm') as ZstdWasm;
    await m.init();
    return m;
  })();
  return zstdWasm;
}

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

let installed = false;

/** Registers snappy, lz4 and zstd with kafkajs (once per process; every client streamlab creates calls it). */
export function installCompressionCodecs(): void {
  if (installed) return;
  installed = true;
  CompressionCodecs[CompressionTypes.Snappy] = snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => lz4Frame(encoder.buffer),
    decompress: async (buffer: Buffer) => asBuffer(lz4.decompress(buffer)),
  });
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: async (encoder: { buffer: Buffer }) => asBuffer((await zstdEncoder()).compress(encoder.buffer, 3)),
    decompress: async (buffer: Buffer) => asBuffer(zstdDecompress(buffer)),
  });
}

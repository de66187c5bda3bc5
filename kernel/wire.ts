/**
 * The Jupyter wire protocol (messaging 5.3): routing identities, the <IDS|MSG> delimiter, an HMAC-SHA256
 * signature, then header, parent header, metadata and content as JSON, then binary buffers.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const PROTOCOL_VERSION = '5.3';
const DELIMITER = Buffer.from('<IDS|MSG>');

export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export interface Message<C = Record<string, unknown>> {
  identities: Buffer[];
  header: Header;
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

export class WireError extends Error {}

export class Wire {
  readonly session = randomUUID();

  constructor(
    private readonly key: string,
    scheme = 'hmac-sha256',
  ) {
    if (key && scheme !== 'hmac-sha256') throw new WireError(`unsupported signature scheme '${scheme}': streamlab signs with hmac-sha256`);
  }

  /** Parses and verifies a multipart message; throws WireError for anything malformed or wrongly signed. */
  decode(frames: Buffer[]): Message {
    const at = frames.findIndex((f) => f.equals(DELIMITER));
    if (at < 0 || frames.length < at + 6) throw new WireError('message without the <IDS|MSG> delimiter or its parts');
    const [signature, header, parent, metadata, content] = frames.slice(at + 1, at + 6) as [Buffer, Buffer, Buffer, Buffer, Buffer];
    if (this.key) {
      const expected = Buffer.from(this.sign([header, parent, metadata, content]));
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) throw new WireError('message with a bad signature');
    }
    try {
      return {
        identities: frames.slice(0, at),
        header: JSON.parse(header.toString('utf8')) as Header,
        parent_header: JSON.parse(parent.toString('utf8')) as Header,
        metadata: JSON.parse(metadata.toString('utf8')) as Record<string, unknown>,
        content: JSON.parse(content.toString('utf8')) as Record<string, unknown>,
        buffers: frames.slice(at + 6),
      };
    } catch {
      throw new WireError('message with a part that is not JSON');
    }
  }

  encode(message: Message<unknown>): Buffer[] {
    const parts = [message.header, message.parent_header, message.metadata, message.content].map((p) => Buffer.from(JSON.stringify(p)));
    return [...message.identities, DELIMITER, Buffer.from(this.sign(parts)), ...parts, ...message.buffers];
  }

  /** A new message; with a parent, it answers it (same routing identities on the shell and control sockets). */
  create<C>(msgType: string, content: C, parent?: Message<unknown> | { header: Header }, identities?: Buffer[]): Message<C> {
    return {
      identities: identities ?? ((parent as Message<unknown> | undefined)?.identities ?? []),
      header: {
        msg_id: randomUUID(),
        msg_type: msgType,
        session: this.session,
        username: parent?.header.username ?? 'kernel',
        date: new Date().toISOString(),
        version: PROTOCOL_VERSION,
      },
      parent_header: parent?.header ?? {},
      metadata: {},
      content,
      buffers: [],
    };
  }

  private sign(parts: Buffer[]): string {
    if (!this.key) return '';
    const hmac = createHmac('sha256', this.key);
    for (const p of parts) hmac.update(p);
    return hmac.digest('hex');
  }
}

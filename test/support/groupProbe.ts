/**
 * Asks a broker whether a consumer-group member still exists, with a raw Heartbeat request (Kafka protocol,
 * v0) under a generation no member has. The broker answers UNKNOWN_MEMBER_ID (25) for a member that is gone and
 * another code (ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS) for one it still holds; a wrong generation never
 * refreshes the member's session. librdkafka's mock has no DescribeGroups, so this is how a test sees the group
 * from the broker's side.
 */
import net from 'node:net';

export const UNKNOWN_MEMBER_ID = 25;
const HEARTBEAT = 12;

export async function heartbeatError(broker: string, groupId: string, memberId: string): Promise<number> {
  const [host, port] = broker.split(':') as [string, string];
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const int16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return b;
  };
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const correlationId = 4242;
  const body = Buffer.concat([int16(HEARTBEAT), int16(0), int32(correlationId), str('streamlab-test-probe'), str(groupId), int32(-7), str(memberId)]);
  const request = Buffer.concat([int32(body.length), body]);
  return new Promise<number>((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port) });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no Heartbeat answer from ${broker} within 10 s`));
    }, 10_000);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      clearTimeout(timer);
      socket.end();
      if (received.readInt32BE(4) !== correlationId) return reject(new Error('Heartbeat answer with the wrong correlation id'));
      resolve(received.readInt16BE(8));
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

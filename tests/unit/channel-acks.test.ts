/**
 * A Hub link acknowledges its deliveries in groups: one 'multiple' ack up to the last delivery
 * whose predecessors are all settled. A delivery still in progress holds back the acks after it
 * (never acknowledged before its commit); a nack goes at once, for that delivery alone.
 */
import { EventEmitter } from 'node:events';
import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { ChannelAcks } from '../../src-server/hubsante/amqp-link.js';

class FakeChannel extends EventEmitter {
  readonly frames: string[] = [];
  ack(m: ConsumeMessage, allUpTo?: boolean) {
    this.frames.push(`ack ${m.fields.deliveryTag}${allUpTo ? ' multiple' : ''}`);
  }
  nack(m: ConsumeMessage, allUpTo?: boolean, requeue?: boolean) {
    this.frames.push(`nack ${m.fields.deliveryTag}${allUpTo ? ' multiple' : ''}${requeue ? ' requeue' : ''}`);
  }
}
const msg = (tag: number) => ({ fields: { deliveryTag: tag } }) as ConsumeMessage;
const turn = () => new Promise((r) => setImmediate(r));

describe('ChannelAcks', () => {
  it('acknowledges up to the first delivery still in progress, once per turn of the event loop', async () => {
    const ch = new FakeChannel();
    const acks = new ChannelAcks(ch);
    for (let t = 1; t <= 5; t++) acks.delivered(msg(t));
    acks.settle(msg(3), true);
    acks.settle(msg(1), true);
    await turn();
    expect(ch.frames).toEqual(['ack 1 multiple']); // 2 is not committed yet: 3 waits
    acks.settle(msg(2), true);
    acks.settle(msg(5), true);
    await turn();
    expect(ch.frames).toEqual(['ack 1 multiple', 'ack 3 multiple']);
    acks.settle(msg(4), true);
    await turn();
    expect(ch.frames).toEqual(['ack 1 multiple', 'ack 3 multiple', 'ack 5 multiple']);
  });

  it('gives a failed delivery back at once and acknowledges past it once the others are done', async () => {
    const ch = new FakeChannel();
    const acks = new ChannelAcks(ch);
    for (let t = 1; t <= 3; t++) acks.delivered(msg(t));
    acks.settle(msg(2), false);
    expect(ch.frames).toEqual(['nack 2 requeue']);
    acks.settle(msg(3), true);
    await turn();
    expect(ch.frames).toEqual(['nack 2 requeue']); // 1 still in progress
    acks.settle(msg(1), true);
    await turn();
    expect(ch.frames).toEqual(['nack 2 requeue', 'ack 3 multiple']);
  });

  it('sends nothing on a closed channel (its deliveries come again)', async () => {
    const ch = new FakeChannel();
    const acks = new ChannelAcks(ch);
    acks.delivered(msg(1));
    ch.emit('close');
    acks.settle(msg(1), true);
    await turn();
    expect(ch.frames).toEqual([]);
  });
});

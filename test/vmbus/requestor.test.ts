import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { Requestor, VMBUS_NO_RQSTOR, VMBUS_RQST_ADDR_ANY, VMBUS_RQST_ERROR } from '../../src/vmbus/requestor.js';

describe('requestor (vmbus_next_request_id / vmbus_request_addr_match)', () => {
  it('a fresh channel hands out ids 1, 2, 3, …', () => {
    const r = new Requestor(8);
    expect([10n, 20n, 30n].map((a) => r.nextId(a))).toEqual([1n, 2n, 3n]);
    expect(r.outstanding).toBe(3);
  });

  it('the id freed last is the next one handed out (LIFO free list)', () => {
    const r = new Requestor(8);
    [1n, 2n, 3n, 4n].forEach((a) => r.nextId(a));
    expect(r.take(2n)).toBe(2n);
    expect(r.take(4n)).toBe(4n);
    expect(r.nextId(99n)).toBe(4n);
    expect(r.nextId(98n)).toBe(2n);
    expect(r.nextId(97n)).toBe(5n);
  });

  it('a full requestor refuses with VMBUS_RQST_ERROR', () => {
    const r = new Requestor(2);
    r.nextId(1n);
    r.nextId(2n);
    expect(r.nextId(3n)).toBe(VMBUS_RQST_ERROR);
  });

  it('a completion with id 0 is rejected (reserved for unsolicited host packets)', () => {
    const r = new Requestor(2);
    r.nextId(1n);
    expect(r.take(0n)).toBe(VMBUS_RQST_ERROR);
    expect(r.outstanding).toBe(1);
  });

  it('an id past the array is rejected', () => {
    const r = new Requestor(2);
    expect(r.take(3n)).toBe(VMBUS_RQST_ERROR);
    expect(r.take(0xffffffffffffffffn)).toBe(VMBUS_RQST_ERROR);
  });

  it('an id never handed out is rejected', () => {
    const r = new Requestor(4);
    r.nextId(1n);
    expect(r.take(2n)).toBe(VMBUS_RQST_ERROR);
  });

  it('a completion that arrives twice (reused or late id) is rejected the second time', () => {
    const r = new Requestor(4);
    r.nextId(0x1000n);
    expect(r.take(1n)).toBe(0x1000n);
    expect(r.take(1n)).toBe(VMBUS_RQST_ERROR);
  });

  it('a matching address is required unless VMBUS_RQST_ADDR_ANY is given', () => {
    const r = new Requestor(4);
    r.nextId(0x1000n);
    expect(r.match(1n, 0x2000n)).toBe(0x1000n);
    expect(r.isOutstanding(1n)).toBe(true);
    expect(r.match(1n, 0x1000n)).toBe(0x1000n);
    expect(r.isOutstanding(1n)).toBe(false);
    r.nextId(0x3000n);
    expect(r.match(1n, VMBUS_RQST_ADDR_ANY)).toBe(0x3000n);
  });

  it('without a requestor (size 0) both calls answer VMBUS_NO_RQSTOR', () => {
    const r = new Requestor(0);
    expect(r.nextId(5n)).toBe(VMBUS_NO_RQSTOR);
    expect(r.take(1n)).toBe(VMBUS_NO_RQSTOR);
  });

  it('property: agrees with a model of a LIFO free list', () => {
    const op = fc.oneof(fc.record({ send: fc.bigInt({ min: 0n, max: 2n ** 60n }) }), fc.record({ complete: fc.bigInt({ min: 0n, max: 40n }) }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.array(op, { maxLength: 80 }), (size, ops) => {
        const r = new Requestor(size);
        const free: number[] = Array.from({ length: size }, (_, i) => i); // head at index 0
        const used = new Map<number, bigint>();
        for (const o of ops) {
          if ('send' in o) {
            const id = r.nextId(o.send);
            if (free.length === 0) expect(id).toBe(VMBUS_RQST_ERROR);
            else {
              const slot = free.shift()!;
              expect(id).toBe(BigInt(slot + 1));
              used.set(slot, o.send);
            }
          } else {
            const got = r.take(o.complete);
            const slot = Number(o.complete) - 1;
            if (o.complete === 0n || !used.has(slot)) expect(got).toBe(VMBUS_RQST_ERROR);
            else {
              expect(got).toBe(used.get(slot));
              used.delete(slot);
              free.unshift(slot);
            }
          }
          expect(r.outstanding).toBe(used.size);
        }
      }),
      { numRuns: 200 },
    );
  });
});

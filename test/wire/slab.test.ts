/**
 * Slab-carved byte arrays (src/wire/slab.ts): each starts zeroed, none overlaps another, word
 * arrays are aligned, and anything longer than SLAB_MAX gets a buffer of its own.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { SLAB_BYTES, SLAB_MAX, freshBytes, freshWords } from '../../src/wire/slab.js';

describe('wire/slab', () => {
  test.prop([fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: SLAB_MAX + 64 })), { minLength: 1, maxLength: 60 })])(
    'every array starts zeroed and writing one never shows in another',
    (sizes) => {
      const made: Uint8Array[] = [];
      sizes.forEach(([words, n], i) => {
        const a = words ? freshWords(Math.ceil(n / 4)) : freshBytes(n);
        const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
        expect(bytes.every((x) => x === 0)).toBe(true);
        expect(a.length).toBe(words ? Math.ceil(n / 4) : n);
        if (words) expect(a.byteOffset % 8).toBe(0);
        bytes.fill((i % 255) + 1);
        made.push(bytes);
      });
      made.forEach((b, i) => expect(b.every((x) => x === (i % 255) + 1)).toBe(true));
    },
  );

  it('shares a slab below SLAB_MAX and gives longer arrays a buffer of their own', () => {
    const a = freshBytes(100);
    const b = freshBytes(100);
    expect(a.buffer.byteLength).toBe(SLAB_BYTES);
    expect(b.buffer === a.buffer || b.byteOffset === 0).toBe(true);
    const big = freshBytes(SLAB_MAX + 1);
    expect([big.byteOffset, big.buffer.byteLength]).toEqual([0, SLAB_MAX + 1]);
    const bigWords = freshWords(SLAB_MAX / 4 + 1);
    expect([bigWords.byteOffset, bigWords.buffer.byteLength]).toEqual([0, SLAB_MAX + 4]);
  });
});

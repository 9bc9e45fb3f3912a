/** docs/protocol-reference.md is generated from the codecs; it must match what they declare today. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nvsp_message_init } from '../../src/protocol/index.js';
import { renderProtocolReference, renderStruct } from '../../scripts/docs-reference.js';

const FILE = resolve(import.meta.dirname, '../../docs/protocol-reference.md');

describe('protocol reference', () => {
  it('is up to date (regenerate with `npm run docs:reference`)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(renderProtocolReference());
  });

  it('maps every byte of a struct, padding included', () => {
    const text = renderStruct({ exportName: 'x', layout: { name: 'x', size: 12, fields: [{ name: 'a', offset: 0, size: 2, type: 'u16' }, { name: 'b', offset: 4, size: 4, type: 'u32' }] } });
    expect(text.split('\n').slice(6)).toEqual([
      '| 0–1 | 0x00 | 2 | `a` | `u16` |',
      '| 2–3 | 0x02 | 2 | *(padding)* | |',
      '| 4–7 | 0x04 | 4 | `b` | `u32` |',
      '| 8–11 | 0x08 | 4 | *(padding)* | |',
    ]);
  });

  it('lists the NVSP init message with its kernel field names and the type numbers', () => {
    const text = renderProtocolReference();
    expect(text).toContain(renderStruct({ exportName: 'nvsp_message_init', layout: nvsp_message_init.layout }));
    expect(text).toContain('| `NVSP_MSG1_TYPE_SEND_RNDIS_PKT` | 107 | 0x6B |');
    expect(text).toContain('| `RNDIS_MSG_INIT_C` | 2147483650 | 0x80000002 |');
  });
});

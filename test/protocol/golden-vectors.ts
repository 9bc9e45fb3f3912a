/**
 * The independent golden vectors of fixtures/golden/nvsp-rndis.json (built by
 * fixtures/golden/gen/nvsp_rndis.py from the spec and the 6.1.192 sources, not from this code),
 * shared by the NVSP and the RNDIS/NDIS golden tests.
 */
import { readFileSync } from 'node:fs';

/** One vector: the kernel struct it lays out, the rule it shows, its value (kernel field names) and its bytes. */
export interface GoldenVector {
  name: string;
  struct: string;
  rule: string;
  source: string;
  value: Record<string, any>;
  hex: string;
}

/** The vectors whose `struct` is one of `structs`, in file order. */
export function goldenVectors(...structs: string[]): GoldenVector[] {
  const file = JSON.parse(readFileSync(new URL('../../fixtures/golden/nvsp-rndis.json', import.meta.url), 'utf8')) as { vectors: GoldenVector[] };
  return file.vectors.filter((v) => structs.includes(v.struct));
}

/** Bytes as unbroken lowercase hex, the vectors' `hex` form. */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * Declare a wire struct once; derive its decoder, encoder, size and offset table.
 *
 * A declaration is an ordered list of little-endian fields. From it {@link struct} derives:
 * 1. a `binary-parser` {@link https://github.com/keichi/binary-parser | Parser} (`codec.parser`);
 * 2. a fast decoder and an allocation-free encoder generated from the same list (`decode`, `encode`),
 *    cross-checked against the parser by property tests;
 * 3. the byte size (`codec.size`);
 * 4. the table of field offsets named as the Linux kernel names the struct and its fields
 *    (`codec.layout`), which the conformance test compares with the kernel's BTF.
 *
 * Codecs follow the dns-packet contract: `encode(value, buf?, offset?)`, `decode(buf, offset?)`,
 * `encodingLength(value)`.
 *
 * @example
 * ```ts
 * import { struct, u16, u64 } from 'netvsc-sim';
 * const desc = struct('vmpacket_descriptor', [
 *   u16('type'), u16('offset8'), u16('len8'), u16('flags'), u64('trans_id'),
 * ]);
 * const bytes = desc.encode({ type: 6, offset8: 2, len8: 4, flags: 1, trans_id: 7n });
 * desc.decode(bytes).len8; // 4
 * desc.layout.fields[4]; // { name: 'trans_id', offset: 8, size: 8, type: 'u64' }
 * ```
 *
 * @module
 */
import { Parser } from 'binary-parser';
import { ProtocolError } from './errors.js';
import { guidFromBytes, guidToBytes } from './guid.js';

/** Scalar field types. All are little-endian. */
export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32';

/** What kind of field a declaration entry is. */
export type FieldKind = ScalarType | 'bytes' | 'guid' | 'struct' | 'array' | 'reserved' | 'pad';

/**
 * One entry of a struct declaration. `N` is the field's (kernel) name and `T` the type of its value;
 * entries with `T = never` (reserved bytes, padding) take part in the layout but not in the value.
 */
export interface Field<N extends string = string, T = unknown> {
  /** The field's name as the kernel spells it: its key in decoded values (reserved and padding entries are named but carry no value). */
  readonly name: N;
  /** How the bytes are laid out and read: a scalar type, raw `bytes`, a `guid`, a nested `struct`, an `array`, or `reserved`/`pad` bytes. */
  readonly kind: FieldKind;
  /** Size in bytes. */
  readonly size: number;
  /** For `array`: the element count. */
  readonly count?: number;
  /** For `array`: the element type (a scalar type or a struct codec). */
  readonly element?: ScalarType | StructCodec<any>;
  /** For `struct`: the nested codec. */
  readonly codec?: StructCodec<any>;
  /** Phantom: the value type. Never set at run time. */
  readonly __value?: T;
}

/** Any field declaration. */
export type AnyField = Field<string, any>;

/** The value type of a scalar field: `bigint` for u64, `number` otherwise. */
export type ScalarValue<S extends ScalarType> = S extends 'u64' ? bigint : number;

/** The value type a declaration describes. */
export type StructValue<Fs extends readonly AnyField[]> = {
  [F in Fs[number] as F extends Field<infer N, infer T> ? ([T] extends [never] ? never : N) : never]: F extends Field<
    string,
    infer T
  >
    ? T
    : never;
};

/** Types of values in a struct codec: `ValueOf<typeof codec>`. */
export type ValueOf<C> = C extends Codec<infer T> ? T : never;

/** The dns-packet codec contract every codec in netvsc-sim follows. */
export interface Codec<T> {
  /** Name used in errors (the kernel's struct or message name where there is one). */
  readonly name: string;
  /**
   * Encodes `value` into `buf` at `offset` (allocating a buffer of `encodingLength(value)` when none
   * is given) and returns the buffer.
   * @throws {@link ProtocolError} `FIELD_RANGE` for a value that does not fit its field,
   *   `SHORT_BUFFER` when `buf` has too little room.
   */
  encode(value: T, buf?: Uint8Array, offset?: number): Uint8Array;
  /**
   * Decodes a value from `buf` at `offset`.
   * @throws {@link ProtocolError} (never anything else) when the bytes do not hold a valid value.
   */
  decode(buf: Uint8Array, offset?: number): T;
  /** The number of bytes `encode(value)` writes. */
  encodingLength(value: T): number;
}

/** The part of a `binary-parser` `Parser` that netvsc-sim's public types rely on. */
export interface BinaryParser {
  /** Decodes `buffer` into a plain object. */
  parse(buffer: Uint8Array): unknown;
}

/** One row of a struct's offset table. */
export interface FieldLayout {
  /** The kernel's field name. */
  readonly name: string;
  /** Byte offset from the start of the struct. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** Declared type: a scalar type, `bytes`, `guid`, `reserved`, a nested struct's name or `T[n]`. */
  readonly type: string;
}

/** A struct's layout as the kernel's BTF describes it: size and named fields with offsets. */
export interface StructLayout {
  /** The C struct name without `struct` (e.g. `vmpacket_descriptor`), as BTF names it. */
  readonly name: string;
  /** `sizeof` the struct in bytes (packed unless the declaration pads). */
  readonly size: number;
  /** The named fields in declaration order, with their offsets; compiler padding is not listed. */
  readonly fields: readonly FieldLayout[];
}

/** A fixed-size struct codec derived from one declaration. */
export interface StructCodec<T> extends Codec<T> {
  /** Size in bytes (`sizeof` in C). */
  readonly size: number;
  /** The declaration this codec was derived from. */
  readonly declaration: readonly AnyField[];
  /** Offsets of the named (kernel) fields; compiler padding declared with {@link pad} is not listed. */
  readonly layout: StructLayout;
  /** The `binary-parser` `Parser` derived from the declaration. */
  readonly parser: BinaryParser;
  /** Decodes through {@link StructCodec.parser} (same result as `decode`, slower; kept as a cross-check). */
  decodeWithParser(buf: Uint8Array, offset?: number): T;
  /** A value with every field zero (GUIDs all-zero, byte fields zero-filled). */
  zero(): T;
  /** `zero()` with the given fields replaced. */
  make(fields: Partial<T>): T;
  /** Byte offset of a named field. @throws Error for an unknown name. */
  offsetOf(field: string): number;
}

const SCALAR_SIZE: Record<ScalarType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, i8: 1, i16: 2, i32: 4 };
const SCALAR_RANGE: Record<ScalarType, string> = {
  u8: '0..255',
  u16: '0..65535',
  u32: '0..4294967295',
  u64: '0n..18446744073709551615n',
  i8: '-128..127',
  i16: '-32768..32767',
  i32: '-2147483648..2147483647',
};

function checkName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`wire: field name ${JSON.stringify(name)} is not an identifier`);
}

function scalar<S extends ScalarType>(kind: S) {
  return <N extends string>(name: N): Field<N, ScalarValue<S>> => {
    checkName(name);
    return { name, kind, size: SCALAR_SIZE[kind] };
  };
}

/** Unsigned 8-bit field. */
export const u8 = scalar('u8');
/** Unsigned 16-bit little-endian field. */
export const u16 = scalar('u16');
/** Unsigned 32-bit little-endian field. */
export const u32 = scalar('u32');
/** Unsigned 64-bit little-endian field (a `bigint`). */
export const u64 = scalar('u64');
/** Signed 8-bit field. */
export const i8 = scalar('i8');
/** Signed 16-bit little-endian field. */
export const i16 = scalar('i16');
/** Signed 32-bit little-endian field. */
export const i32 = scalar('i32');

/** A fixed-length byte array (`u8 name[length]` in C), as a `Uint8Array`. */
export function bytes<N extends string>(name: N, length: number): Field<N, Uint8Array> {
  checkName(name);
  if (!Number.isInteger(length) || length < 0) throw new Error(`wire: bytes(${name}) length ${length}`);
  return { name, kind: 'bytes', size: length };
}

/** A 16-byte GUID in VMBus (Microsoft) byte order, as lowercase text. */
export function guid<N extends string>(name: N): Field<N, string> {
  checkName(name);
  return { name, kind: 'guid', size: 16 };
}

/** A named reserved member (it exists in the kernel's struct): written as zeros, ignored when read. */
export function reserved<N extends string>(name: N, length: number): Field<N, never> {
  checkName(name);
  return { name, kind: 'reserved', size: length };
}

let padCount = 0;
/** Padding the C compiler inserts (not a kernel member): written as zeros, ignored when read. */
export function pad(length: number): Field<string, never> {
  return { name: `__pad${padCount++}`, kind: 'pad', size: length };
}

/** A nested struct. */
export function nested<N extends string, T>(name: N, codec: StructCodec<T>): Field<N, T> {
  checkName(name);
  return { name, kind: 'struct', size: codec.size, codec };
}

/** A fixed-count array of scalars (`u32 name[count]`). */
export function array<N extends string, S extends ScalarType>(
  name: N,
  element: S,
  count: number,
): Field<N, ScalarValue<S>[]>;
/** A fixed-count array of structs. */
export function array<N extends string, T>(name: N, element: StructCodec<T>, count: number): Field<N, T[]>;
export function array(name: string, element: ScalarType | StructCodec<any>, count: number): AnyField {
  checkName(name);
  if (!Number.isInteger(count) || count < 0) throw new Error(`wire: array(${name}) count ${count}`);
  const each = typeof element === 'string' ? SCALAR_SIZE[element] : element.size;
  return { name, kind: 'array', size: each * count, count, element };
}

// ---------------------------------------------------------------------------------------------
// Code generation. Each struct compiles to one decode and one encode function built from its
// declaration, so the hot path is straight-line byte arithmetic with no per-field dispatch.

interface Helpers {
  guidFromBytes: typeof guidFromBytes;
  guidToBytes: typeof guidToBytes;
  rangeError: (field: string, value: unknown, type: string, offset: number) => never;
  nested: ((...args: any[]) => any)[];
  u64: (lo: number, hi: number) => bigint;
}

/** A u64 from its two little-endian halves (one BigInt when the high half is 0). */
function u64From(lo: number, hi: number): bigint {
  return hi === 0 ? BigInt(lo) : BigInt(lo) | (BigInt(hi) << 32n);
}

function readScalar(kind: ScalarType, p: string): string {
  switch (kind) {
    case 'u8':
      return `b[${p}]`;
    case 'i8':
      return `(b[${p}] << 24 >> 24)`;
    case 'u16':
      return `(b[${p}] | b[${p} + 1] << 8)`;
    case 'i16':
      return `((b[${p}] | b[${p} + 1] << 8) << 16 >> 16)`;
    case 'u32':
      return `((b[${p}] | b[${p} + 1] << 8 | b[${p} + 2] << 16 | b[${p} + 3] << 24) >>> 0)`;
    case 'i32':
      return `(b[${p}] | b[${p} + 1] << 8 | b[${p} + 2] << 16 | b[${p} + 3] << 24)`;
    case 'u64':
      return `h.u64((b[${p}] | b[${p} + 1] << 8 | b[${p} + 2] << 16 | b[${p} + 3] << 24) >>> 0, (b[${p} + 4] | b[${p} + 5] << 8 | b[${p} + 6] << 16 | b[${p} + 7] << 24) >>> 0)`;
  }
}

function checkScalar(kind: ScalarType, x: string): string {
  switch (kind) {
    case 'u8':
      return `(${x} & 0xff) === ${x}`;
    case 'u16':
      return `(${x} & 0xffff) === ${x}`;
    case 'u32':
      return `(${x} >>> 0) === ${x}`;
    case 'i8':
      return `(${x} << 24 >> 24) === ${x}`;
    case 'i16':
      return `(${x} << 16 >> 16) === ${x}`;
    case 'i32':
      return `(${x} | 0) === ${x}`;
    case 'u64':
      return `typeof ${x} === 'bigint' && ${x} >= 0n && ${x} <= 0xffffffffffffffffn`;
  }
}

function writeScalar(kind: ScalarType, x: string, p: string): string {
  switch (kind) {
    case 'u8':
    case 'i8':
      return `b[${p}] = ${x};`;
    case 'u16':
    case 'i16':
      return `b[${p}] = ${x}; b[${p} + 1] = ${x} >>> 8;`;
    case 'u32':
    case 'i32':
      return `b[${p}] = ${x}; b[${p} + 1] = ${x} >>> 8; b[${p} + 2] = ${x} >>> 16; b[${p} + 3] = ${x} >>> 24;`;
    case 'u64':
      return (
        `{ let lo = Number(${x}), hi = 0; if (lo > 4294967295) { lo = Number(${x} & 0xffffffffn); hi = Number(${x} >> 32n); } ` +
        `b[${p}] = lo; b[${p} + 1] = lo >>> 8; b[${p} + 2] = lo >>> 16; b[${p} + 3] = lo >>> 24; ` +
        `b[${p} + 4] = hi; b[${p} + 5] = hi >>> 8; b[${p} + 6] = hi >>> 16; b[${p} + 7] = hi >>> 24; }`
      );
  }
}

/** Arrays up to this many elements are unrolled; longer ones loop. */
const UNROLL = 16;

function compile(
  structName: string,
  fields: readonly AnyField[],
  offsets: readonly number[],
): { decode: (b: Uint8Array, o: number) => any; encode: (v: any, b: Uint8Array, o: number) => void } {
  const helpers: Helpers = {
    guidFromBytes,
    guidToBytes,
    rangeError: (field, value, type, offset) => {
      throw new ProtocolError('FIELD_RANGE', `does not fit ${type} (${SCALAR_RANGE[type as ScalarType] ?? type})`, {
        struct: structName,
        field,
        value,
        offset,
      });
    },
    nested: [],
    u64: u64From,
  };
  const nestedIndex = (c: StructCodec<any>): number => {
    helpers.nested.push((c as InternalCodec<any>).__decodeAt, (c as InternalCodec<any>).__encodeAt);
    return helpers.nested.length - 2;
  };

  const dec: string[] = [];
  const enc: string[] = [];
  fields.forEach((f, i) => {
    const at = offsets[i]!;
    const p = `o + ${at}`;
    const key = JSON.stringify(f.name);
    const x = `v[${key}]`;
    switch (f.kind) {
      case 'reserved':
      case 'pad':
        if (f.size > 0) enc.push(`b.fill(0, ${p}, ${p} + ${f.size});`);
        return;
      case 'bytes':
        dec.push(`${key}: b.slice(${p}, ${p} + ${f.size}),`);
        enc.push(
          `{ const x = ${x}; if (!(x instanceof Uint8Array) || x.length !== ${f.size}) h.rangeError(${key}, x, ${JSON.stringify(`u8[${f.size}]`)}, ${p}); b.set(x, ${p}); }`,
        );
        return;
      case 'guid':
        dec.push(`${key}: h.guidFromBytes(b, ${p}),`);
        enc.push(`h.guidToBytes(${x}, b, ${p}, ${JSON.stringify(`${structName}.${f.name}`)});`);
        return;
      case 'struct': {
        const k = nestedIndex(f.codec!);
        dec.push(`${key}: h.nested[${k}](b, ${p}),`);
        enc.push(
          `{ const x = ${x}; if (x === null || typeof x !== 'object') h.rangeError(${key}, x, ${JSON.stringify(f.codec!.name)}, ${p}); h.nested[${k + 1}](x, b, ${p}); }`,
        );
        return;
      }
      case 'array': {
        const n = f.count!;
        const el = f.element!;
        const typeName = typeof el === 'string' ? `${el}[${n}]` : `${el.name}[${n}]`;
        const each = typeof el === 'string' ? SCALAR_SIZE[el] : el.size;
        const check = `{ const a = ${x}; if (!Array.isArray(a) || a.length !== ${n}) h.rangeError(${key}, a, ${JSON.stringify(typeName)}, ${p}); }`;
        enc.push(check);
        if (typeof el === 'string') {
          if (n <= UNROLL) {
            const items: string[] = [];
            for (let j = 0; j < n; j++) {
              items.push(readScalar(el, `${p} + ${j * each}`));
              enc.push(
                `{ const y = ${x}[${j}]; if (!(${checkScalar(el, 'y')})) h.rangeError(${JSON.stringify(`${f.name}[${j}]`)}, y, ${JSON.stringify(el)}, ${p} + ${j * each}); ${writeScalar(el, 'y', `${p} + ${j * each}`)} }`,
              );
            }
            dec.push(`${key}: [${items.join(', ')}],`);
          } else {
            dec.push(
              `${key}: (() => { const a = new Array(${n}); for (let i = 0, q = ${p}; i < ${n}; i++, q += ${each}) a[i] = ${readScalar(el, 'q')}; return a; })(),`,
            );
            enc.push(
              `{ const a = ${x}; for (let i = 0, q = ${p}; i < ${n}; i++, q += ${each}) { const y = a[i]; if (!(${checkScalar(el, 'y')})) h.rangeError(${key} + '[' + i + ']', y, ${JSON.stringify(el)}, q); ${writeScalar(el, 'y', 'q')} } }`,
            );
          }
        } else {
          const k = nestedIndex(el);
          dec.push(
            `${key}: (() => { const a = new Array(${n}); for (let i = 0, q = ${p}; i < ${n}; i++, q += ${each}) a[i] = h.nested[${k}](b, q); return a; })(),`,
          );
          enc.push(
            `{ const a = ${x}; for (let i = 0, q = ${p}; i < ${n}; i++, q += ${each}) { const y = a[i]; if (y === null || typeof y !== 'object') h.rangeError(${key} + '[' + i + ']', y, ${JSON.stringify(el.name)}, q); h.nested[${k + 1}](y, b, q); } }`,
          );
        }
        return;
      }
      default: {
        const kind = f.kind as ScalarType;
        dec.push(`${key}: ${readScalar(kind, p)},`);
        enc.push(
          `{ const x = ${x}; if (!(${checkScalar(kind, 'x')})) h.rangeError(${key}, x, ${JSON.stringify(kind)}, ${p}); ${writeScalar(kind, 'x', p)} }`,
        );
      }
    }
  });
  // The generated source only ever contains field names that passed checkName, numbers and
  // JSON-quoted strings, so it cannot be influenced by decoded data.
  const decode = new Function('h', `return function decode_${structName}(b, o) { return { ${dec.join(' ')} }; };`)(
    helpers,
  );
  const encode = new Function('h', `return function encode_${structName}(v, b, o) { ${enc.join('\n')} };`)(helpers);
  return { decode, encode };
}

function buildParser(fields: readonly AnyField[]): Parser {
  let p = new Parser().endianness('little');
  const scalarType: Record<ScalarType, string> = {
    u8: 'uint8',
    u16: 'uint16le',
    u32: 'uint32le',
    u64: 'uint64le',
    i8: 'int8',
    i16: 'int16le',
    i32: 'int32le',
  };
  for (const f of fields) {
    switch (f.kind) {
      case 'reserved':
      case 'pad':
        if (f.size > 0) p = p.seek(f.size);
        break;
      case 'bytes':
        p = p.buffer(f.name, { length: f.size, formatter: (x: unknown) => new Uint8Array(x as Uint8Array) } as any);
        break;
      case 'guid':
        p = p.buffer(f.name, { length: 16, formatter: (x: unknown) => guidFromBytes(x as Uint8Array, 0) } as any);
        break;
      case 'struct':
        p = p.nest(f.name, { type: f.codec!.parser as Parser });
        break;
      case 'array': {
        const el = f.element!;
        p = p.array(f.name, { type: typeof el === 'string' ? scalarType[el] : (el.parser as Parser), length: f.count! } as any);
        break;
      }
      default:
        p = (p as any)[scalarType[f.kind as ScalarType]](f.name);
    }
  }
  return p;
}

interface InternalCodec<T> extends StructCodec<T> {
  __decodeAt(b: Uint8Array, o: number): T;
  __encodeAt(v: T, b: Uint8Array, o: number): void;
}

/** Validates a caller's `offset` argument and the room after it; returns the offset. */
export function checkRoom(name: string, buf: Uint8Array, offset: number, need: number, what: 'decode' | 'encode'): void {
  if (!(buf instanceof Uint8Array)) {
    throw new ProtocolError('BAD_VALUE', `${what} needs a Uint8Array`, { struct: name, value: buf });
  }
  if (!Number.isInteger(offset) || offset < 0 || offset > buf.length) {
    throw new ProtocolError('BAD_OFFSET', `is not a valid offset into a ${buf.length}-byte buffer`, {
      struct: name,
      field: 'offset',
      value: offset,
      offset,
    });
  }
  if (buf.length - offset < need) {
    throw new ProtocolError(
      'SHORT_BUFFER',
      `needs ${need} bytes but only ${buf.length - offset} remain (${what})`,
      { struct: name, offset },
    );
  }
}

/**
 * Declares a fixed-size wire struct and derives its codec. Field names should be the kernel's.
 */
export function struct<const Fs extends readonly AnyField[]>(name: string, fields: Fs): StructCodec<StructValue<Fs>> {
  type T = StructValue<Fs>;
  const offsets: number[] = [];
  let size = 0;
  const seen = new Set<string>();
  for (const f of fields) {
    if (f.kind !== 'pad') {
      if (seen.has(f.name)) throw new Error(`wire: ${name} declares ${f.name} twice`);
      seen.add(f.name);
    }
    offsets.push(size);
    size += f.size;
  }
  const layout: StructLayout = {
    name,
    size,
    fields: fields
      .map((f, i) => ({ f, offset: offsets[i]! }))
      .filter(({ f }) => f.kind !== 'pad')
      .map(({ f, offset }) => ({
        name: f.name,
        offset,
        size: f.size,
        type:
          f.kind === 'struct'
            ? f.codec!.name
            : f.kind === 'array'
              ? `${typeof f.element === 'string' ? f.element : f.element!.name}[${f.count}]`
              : f.kind === 'bytes'
                ? `u8[${f.size}]`
                : f.kind,
      })),
  };
  const { decode: decodeAt, encode: encodeAt } = compile(name, fields, offsets);
  let parser: Parser | undefined;
  const getParser = (): Parser => (parser ??= buildParser(fields));

  /** Names the first field that does not fit in `avail` bytes, for SHORT_BUFFER errors. */
  const shortError = (buf: Uint8Array, offset: number): ProtocolError => {
    const avail = buf.length - offset;
    const i = fields.findIndex((f, j) => offsets[j]! + f.size > avail);
    const f = i >= 0 ? fields[i]! : undefined;
    return new ProtocolError('SHORT_BUFFER', `needs ${size} bytes but only ${avail} remain`, {
      struct: name,
      ...(f && f.kind !== 'pad' ? { field: f.name } : {}),
      offset: offset + (i >= 0 ? offsets[i]! : 0),
    });
  };
  const checkDecode = (buf: Uint8Array, offset: number): void => {
    if (buf instanceof Uint8Array && Number.isInteger(offset) && offset >= 0 && offset <= buf.length) {
      if (buf.length - offset < size) throw shortError(buf, offset);
      return;
    }
    checkRoom(name, buf, offset, size, 'decode');
  };

  let zeros: Uint8Array | undefined; // read only: decoders never write
  const codec: InternalCodec<T> = {
    name,
    size,
    declaration: fields,
    layout,
    get parser() {
      return getParser();
    },
    __decodeAt: decodeAt,
    __encodeAt: encodeAt,
    decode(buf, offset = 0) {
      checkDecode(buf, offset);
      return decodeAt(buf, offset);
    },
    decodeWithParser(buf, offset = 0) {
      checkDecode(buf, offset);
      return getParser().parse(buf.subarray(offset, offset + size)) as T;
    },
    encode(value, buf, offset = 0) {
      const out = buf ?? new Uint8Array(offset + size);
      checkRoom(name, out, offset, size, 'encode');
      if (value === null || typeof value !== 'object') {
        throw new ProtocolError('BAD_VALUE', 'encode needs an object', { struct: name, value });
      }
      encodeAt(value, out, offset);
      return out;
    },
    encodingLength() {
      return size;
    },
    zero() {
      return decodeAt((zeros ??= new Uint8Array(size)), 0);
    },
    make(partial) {
      return { ...decodeAt((zeros ??= new Uint8Array(size)), 0), ...partial };
    },
    offsetOf(field) {
      const row = layout.fields.find((r) => r.name === field);
      if (!row) throw new Error(`wire: ${name} has no field ${field}`);
      return row.offset;
    },
  };
  return codec;
}

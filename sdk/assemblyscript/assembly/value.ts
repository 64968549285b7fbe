// The ABI's value encoding (docs/ABI.md, "Value encoding"): what driver requests and
// replies, cap_derive's restrictions, spawn's grants, cap_info's records and audit records
// are written in. A tag byte, then the value; integers little-endian.
//
// ValueWriter grows as needed. ValueReader never reads past its input and accepts exactly
// what the kernel's decoder accepts (counts checked against the bytes left, nesting at most
// 32 deep, text valid UTF-8); its errors are sticky, as in the C SDK: the first failure is
// kept in `error` (a positive Status) and later reads return zero values, so a sequence of
// reads is checked once with finish().

import { Status, Tag } from "./abi";

/** The kernel's nesting bound: values deeper than this are malformed. */
export const VALUE_MAX_DEPTH: i32 = 32;

/** The UTF-8 bytes of a string (no terminator). */
export function utf8(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text, false));
}

/** The UTF-8 length of a string. */
export function utf8Length(text: string): i32 {
  return String.UTF8.byteLength(text, false);
}

/** Writes the UTF-8 bytes of `text` at `at` (utf8Length(text) bytes). */
export function utf8Write(text: string, at: usize): void {
  String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, at, false);
}

const SCRATCH_SIZE: i32 = 256;
const SCRATCH: usize = memory.data(SCRATCH_SIZE);

/** Where the UTF-8 bytes of `text` are (utf8Length(text) of them): a scratch buffer for
 *  names up to 256 bytes (no allocation), valid until the next call. For the kernel calls
 *  that take a name. */
export function nameBytes(text: string): usize {
  if (utf8Length(text) <= SCRATCH_SIZE) {
    utf8Write(text, SCRATCH);
    return SCRATCH;
  }
  return utf8(text).dataStart;
}

/** A string from UTF-8 bytes (invalid sequences become U+FFFD). */
export function fromUtf8(bytes: Uint8Array): string {
  return String.UTF8.decodeUnsafe(bytes.dataStart, <usize>bytes.length, false);
}

/** RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
export function utf8Valid(at: usize, n: i32): bool {
  let i = 0;
  while (i < n) {
    const lead = <u32>load<u8>(at + i);
    let length: i32;
    let code: u32;
    let least: u32;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2; code = lead & 0x1f; least = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3; code = lead & 0x0f; least = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4; code = lead & 0x07; least = 0x10000;
    } else {
      return false;
    }
    if (length > n - i) return false;
    for (let k = 1; k < length; ++k) {
      const next = <u32>load<u8>(at + i + k);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < least || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

export class ValueWriter {
  private buffer: Uint8Array;
  private used: i32 = 0;

  constructor(capacity: i32 = 256) {
    this.buffer = new Uint8Array(capacity > 16 ? capacity : 16);
  }

  /** Bytes written so far. */
  get length(): i32 {
    return this.used;
  }

  /** Where the bytes start in memory (valid until the next put). */
  get dataStart(): usize {
    return this.buffer.dataStart;
  }

  /** The bytes written, as a view (valid until the next put). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.used);
  }

  reset(): void {
    this.used = 0;
  }

  /** Reserves n bytes and returns where they go. */
  private reserve(n: i32): usize {
    if (n > this.buffer.length - this.used) {
      let capacity = this.buffer.length * 2;
      while (capacity - this.used < n) capacity *= 2;
      const grown = new Uint8Array(capacity);
      memory.copy(grown.dataStart, this.buffer.dataStart, <usize>this.used);
      this.buffer = grown;
    }
    const at = this.buffer.dataStart + <usize>this.used;
    this.used += n;
    return at;
  }

  putRaw(ptr: usize, n: i32): void {
    memory.copy(this.reserve(n), ptr, <usize>n);
  }

  private putTag(tag: u8): void {
    store<u8>(this.reserve(1), tag);
  }

  private putTagU64(tag: u8, value: u64): void {
    const at = this.reserve(9);
    store<u8>(at, tag);
    store<u64>(at + 1, value);
  }

  private putCounted(tag: u8, ptr: usize, n: i32): void {
    const at = this.reserve(5 + n);
    store<u8>(at, tag);
    store<u32>(at + 1, <u32>n);
    memory.copy(at + 5, ptr, <usize>n);
  }

  putNull(): void {
    this.putTag(Tag.NULL);
  }

  putBool(value: bool): void {
    this.putTag(value ? Tag.TRUE : Tag.FALSE);
  }

  putI64(value: i64): void {
    this.putTagU64(Tag.I64, <u64>value);
  }

  putF64(value: f64): void {
    this.putTagU64(Tag.F64, reinterpret<u64>(value));
  }

  /** Nanoseconds since the Unix epoch. */
  putTimestamp(ns: i64): void {
    this.putTagU64(Tag.TIMESTAMP, <u64>ns);
  }

  putText(text: string): void {
    const n = utf8Length(text);
    const at = this.reserve(5 + n);
    store<u8>(at, Tag.TEXT);
    store<u32>(at + 1, <u32>n);
    utf8Write(text, at + 5);
  }

  /** Text given as UTF-8 bytes, written as they are (the kernel checks them). */
  putTextBytes(bytes: Uint8Array): void {
    this.putCounted(Tag.TEXT, bytes.dataStart, bytes.length);
  }

  putBytes(bytes: Uint8Array): void {
    this.putCounted(Tag.BYTES, bytes.dataStart, bytes.length);
  }

  /** A list header: exactly `count` values follow. */
  putList(count: i32): void {
    this.putTagU32(Tag.LIST, <u32>count);
  }

  /** A map header: exactly `count` (putKey, value) pairs follow. */
  putMap(count: i32): void {
    this.putTagU32(Tag.MAP, <u32>count);
  }

  /** A map key: text without its tag. */
  putKey(key: string): void {
    const n = utf8Length(key);
    const at = this.reserve(4 + n);
    store<u32>(at, <u32>n);
    utf8Write(key, at + 4);
  }

  putUuid(uuid: Uint8Array): void {
    const at = this.reserve(17);
    store<u8>(at, Tag.UUID);
    for (let i = 0; i < 16; ++i) store<u8>(at + 1 + i, i < uuid.length ? uuid[i] : 0);
  }

  putDecimal(unscaled: i64, scale: u8): void {
    this.putTagU64(Tag.DECIMAL, <u64>unscaled);
    store<u8>(this.reserve(1), scale);
  }

  private putTagU32(tag: u8, value: u32): void {
    const at = this.reserve(5);
    store<u8>(at, tag);
    store<u32>(at + 1, value);
  }
}

export class ValueReader {
  /** 0, or the first failure's Status (INVALID_ARGS). */
  error: i32 = 0;
  pos: i32 = 0;

  constructor(public data: Uint8Array) {}

  get remaining(): i32 {
    return this.data.length - this.pos;
  }

  /** 0 when every read succeeded and the input was read to its end, else -status. */
  finish(): i32 {
    if (this.error != 0) return -this.error;
    return this.pos == this.data.length ? 0 : -Status.INVALID_ARGS;
  }

  fail(): void {
    if (this.error == 0) this.error = Status.INVALID_ARGS;
  }

  /** Takes n bytes and returns where they are, or 0 (and the sticky error). */
  private take(n: i32): usize {
    if (this.error != 0) return 0;
    if (n < 0 || n > this.remaining) {
      this.fail();
      return 0;
    }
    const at = this.data.dataStart + <usize>this.pos;
    this.pos += n;
    return at;
  }

  /** The next value's tag without taking it, or -1 at the end or after an error. */
  peekTag(): i32 {
    if (this.error != 0 || this.pos >= this.data.length) return -1;
    return <i32>this.data[this.pos];
  }

  private expectTag(tag: u8): bool {
    const at = this.take(1);
    if (at == 0) return false;
    if (load<u8>(at) != tag) {
      --this.pos;
      this.fail();
      return false;
    }
    return true;
  }

  private getTagU64(tag: u8): u64 {
    if (!this.expectTag(tag)) return 0;
    const at = this.take(8);
    return at != 0 ? load<u64>(at) : 0;
  }

  getNull(): void {
    this.expectTag(Tag.NULL);
  }

  getBool(): bool {
    const tag = this.peekTag();
    if (tag == Tag.TRUE || tag == Tag.FALSE) {
      ++this.pos;
      return tag == Tag.TRUE;
    }
    this.fail();
    return false;
  }

  getI64(): i64 {
    return <i64>this.getTagU64(Tag.I64);
  }

  getF64(): f64 {
    return reinterpret<f64>(this.getTagU64(Tag.F64));
  }

  getTimestamp(): i64 {
    return <i64>this.getTagU64(Tag.TIMESTAMP);
  }

  /** A u32 length and that many bytes, as a view into the input. */
  private getCounted(): Uint8Array {
    const length = this.take(4);
    if (length == 0) return new Uint8Array(0);
    const count = load<u32>(length);
    if (count > <u32>this.remaining) {
      this.fail();
      return new Uint8Array(0);
    }
    const start = this.pos;
    this.pos += <i32>count;
    return this.data.subarray(start, this.pos);
  }

  /** Text as checked UTF-8 bytes (a view into the input). */
  getTextBytes(): Uint8Array {
    if (!this.expectTag(Tag.TEXT)) return new Uint8Array(0);
    return this.checkedUtf8(this.getCounted());
  }

  getText(): string {
    return fromUtf8(this.getTextBytes());
  }

  /** Bytes, as a view into the input. */
  getBytes(): Uint8Array {
    if (!this.expectTag(Tag.BYTES)) return new Uint8Array(0);
    return this.getCounted();
  }

  /** A list header: the number of values that follow. */
  getList(): u32 {
    return this.getCount(Tag.LIST, 1);
  }

  /** A map header: the number of (getKey, value) pairs that follow. */
  getMap(): u32 {
    return this.getCount(Tag.MAP, 5);
  }

  /** A map key (UTF-8 text without its tag). */
  getKey(): string {
    return fromUtf8(this.getKeyBytes());
  }

  getKeyBytes(): Uint8Array {
    return this.checkedUtf8(this.getCounted());
  }

  getUuid(): Uint8Array {
    const out = new Uint8Array(16);
    if (!this.expectTag(Tag.UUID)) return out;
    const at = this.take(16);
    if (at != 0) memory.copy(out.dataStart, at, 16);
    return out;
  }

  /** The unscaled value; the scale goes to `decimalScale`. */
  getDecimal(): i64 {
    const unscaled = <i64>this.getTagU64(Tag.DECIMAL);
    const at = this.take(1);
    this.decimalScale = at != 0 ? load<u8>(at) : 0;
    return unscaled;
  }
  decimalScale: u8 = 0;

  private checkedUtf8(bytes: Uint8Array): Uint8Array {
    if (this.error == 0 && !utf8Valid(bytes.dataStart, bytes.length)) {
      this.fail();
      return new Uint8Array(0);
    }
    return bytes;
  }

  /** A count that cannot be right (more elements than bytes left) is malformed, as in the
   *  kernel, so a caller may size loops by it. */
  private getCount(tag: u8, minElementSize: u32): u32 {
    if (!this.expectTag(tag)) return 0;
    const at = this.take(4);
    if (at == 0) return 0;
    const count = load<u32>(at);
    if (<u64>count * <u64>minElementSize > <u64>this.remaining) {
      this.fail();
      return 0;
    }
    return count;
  }

  /** Skips one whole value, nested ones included, checking it as the kernel does. */
  skip(): void {
    // Open containers: values (list) or entries (map) still to read, and which kind.
    const left = new StaticArray<u32>(VALUE_MAX_DEPTH + 1);
    const isMap = new StaticArray<bool>(VALUE_MAX_DEPTH + 1);
    let depth = 0;
    for (;;) {
      if (this.error != 0) return;
      if (depth > 0) {
        if (left[depth - 1] == 0) {
          --depth;
          if (depth == 0) return;
          continue;
        }
        left[depth - 1] -= 1;
        if (isMap[depth - 1]) {
          this.getKeyBytes();
          if (this.error != 0) return;
        }
      }
      if (depth > VALUE_MAX_DEPTH) {
        this.fail();
        return;
      }
      const tag = this.peekTag();
      if (tag == Tag.NULL || tag == Tag.FALSE || tag == Tag.TRUE) {
        ++this.pos;
      } else if (tag == Tag.I64 || tag == Tag.F64 || tag == Tag.TIMESTAMP) {
        this.getTagU64(<u8>tag);
      } else if (tag == Tag.TEXT) {
        this.getTextBytes();
      } else if (tag == Tag.BYTES) {
        this.getBytes();
      } else if (tag == Tag.UUID) {
        ++this.pos;
        this.take(16);
      } else if (tag == Tag.DECIMAL) {
        ++this.pos;
        this.take(9);
      } else if (tag == Tag.LIST || tag == Tag.MAP) {
        const map = tag == Tag.MAP;
        const n = map ? this.getMap() : this.getList();
        if (this.error != 0) return;
        left[depth] = n;
        isMap[depth] = map;
        ++depth;
        continue;
      } else {
        this.fail();
        return;
      }
      if (depth == 0) return;
    }
  }

  /** The value of `key` in the map at the cursor, without moving this reader: a reader over
   *  exactly that value, or null when the key is absent or the map is malformed. */
  find(key: string): ValueReader | null {
    const walk = new ValueReader(this.data);
    walk.pos = this.pos;
    walk.error = this.error;
    const wanted = utf8(key);
    const count = walk.getMap();
    for (let i: u32 = 0; i < count && walk.error == 0; ++i) {
      const name = walk.getKeyBytes();
      const start = walk.pos;
      walk.skip();
      if (walk.error != 0) break;
      if (name.length == wanted.length && memory.compare(name.dataStart, wanted.dataStart, <usize>name.length) == 0) {
        return new ValueReader(this.data.subarray(start, walk.pos));
      }
    }
    return null;
  }
}

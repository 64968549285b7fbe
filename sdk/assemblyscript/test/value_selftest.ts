// The SDK's value encoding against the bytes docs/ABI.md specifies, and its reader's
// checks (sticky errors, UTF-8, counts, nesting). Built by test/e2e.sh and run by
// test/value_selftest.mjs: run() returns 0, or the number of the first check that failed.
import { Status, Tag, utf8, ValueReader, ValueWriter } from "../assembly/index";

function bytes(values: i32[]): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; ++i) out[i] = <u8>values[i];
  return out;
}

function same(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; ++i) if (a[i] != b[i]) return false;
  return true;
}

function nested(depth: i32): Uint8Array {
  const w = new ValueWriter();
  for (let i = 0; i < depth; ++i) w.putList(1);
  w.putNull();
  return w.finish();
}

export function run(): i32 {
  // {"a": -2, "b": [null, true, "é"]}
  const w = new ValueWriter(4); // grows
  w.putMap(2);
  w.putKey("a");
  w.putI64(-2);
  w.putKey("b");
  w.putList(3);
  w.putNull();
  w.putBool(true);
  w.putText("é");
  const expected = bytes([
    Tag.MAP, 2, 0, 0, 0,
    1, 0, 0, 0, 0x61, Tag.I64, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    1, 0, 0, 0, 0x62, Tag.LIST, 3, 0, 0, 0, Tag.NULL, Tag.TRUE, Tag.TEXT, 2, 0, 0, 0, 0xc3, 0xa9,
  ]);
  if (!same(w.finish(), expected)) return 1;

  const r = new ValueReader(w.finish());
  if (r.getMap() != 2 || r.getKey() != "a" || r.getI64() != -2) return 2;
  if (r.getKey() != "b" || r.getList() != 3) return 3;
  r.getNull();
  if (!r.getBool() || r.getText() != "é" || r.finish() != 0) return 4;

  const map = new ValueReader(w.finish());
  const b = map.find("b");
  if (b == null || b.getList() != 3 || map.pos != 0) return 5;
  if (map.find("zz") != null) return 6;
  map.skip();
  if (map.error != 0 || map.pos != expected.length) return 7;

  // Scalars round trip.
  const s = new ValueWriter();
  s.putF64(1.5);
  s.putTimestamp(1700000000000000000);
  s.putDecimal(12345, 2);
  s.putBytes(bytes([1, 2, 3]));
  s.putUuid(bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]));
  s.putBool(false);
  const sr = new ValueReader(s.finish());
  if (sr.getF64() != 1.5 || sr.getTimestamp() != 1700000000000000000) return 8;
  if (sr.getDecimal() != 12345 || sr.decimalScale != 2) return 9;
  if (!same(sr.getBytes(), bytes([1, 2, 3])) || sr.getUuid()[15] != 16 || sr.getBool()) return 10;
  if (sr.finish() != 0) return 11;

  // Malformed input: each is INVALID_ARGS, sticky, and never reads past the end.
  const overlong = new ValueReader(bytes([Tag.TEXT, 2, 0, 0, 0, 0xc0, 0x80]));
  if (overlong.getText() != "" || overlong.finish() != -Status.INVALID_ARGS) return 12;
  const surrogate = new ValueReader(bytes([Tag.TEXT, 3, 0, 0, 0, 0xed, 0xa0, 0x80]));
  surrogate.getTextBytes();
  if (surrogate.error != Status.INVALID_ARGS) return 13;
  const counted = new ValueReader(bytes([Tag.LIST, 0xe8, 3, 0, 0, Tag.NULL, Tag.NULL]));
  if (counted.getList() != 0 || counted.error != Status.INVALID_ARGS) return 14;
  const short = new ValueReader(bytes([Tag.BYTES, 9, 0, 0, 0, 1]));
  if (short.getBytes().length != 0 || short.error != Status.INVALID_ARGS) return 15;
  const wrongTag = new ValueReader(bytes([Tag.I64, 0, 0, 0, 0, 0, 0, 0, 0]));
  wrongTag.getNull();
  if (wrongTag.error != Status.INVALID_ARGS || wrongTag.pos != 0 || wrongTag.getI64() != 0) return 16;
  const trailing = new ValueReader(bytes([Tag.NULL, Tag.NULL]));
  trailing.getNull();
  if (trailing.finish() != -Status.INVALID_ARGS) return 17;
  const unknown = new ValueReader(bytes([42]));
  unknown.skip();
  if (unknown.error != Status.INVALID_ARGS) return 18;

  // Nesting: 32 containers deep is the kernel's limit.
  const deep = new ValueReader(nested(32));
  deep.skip();
  if (deep.finish() != 0) return 19;
  const deeper = new ValueReader(nested(33));
  deeper.skip();
  if (deeper.error != Status.INVALID_ARGS) return 20;

  if (!same(utf8("ab"), bytes([0x61, 0x62]))) return 21;
  return 0;
}

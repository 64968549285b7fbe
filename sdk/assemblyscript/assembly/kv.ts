// The key-value driver (docs/ABI.md, "Driver calls"): `call` on a keyspace handle, requests
// and replies in the value encoding. Keys are relative to the grant's prefix; they are given
// as strings or as UTF-8 bytes (K is string or Uint8Array), so ids taken from input can be
// passed as they are and the driver, not the module, decides what a valid key is.

import { KvOp, Status, Tag } from "./abi";
import { call, Reply } from "./message";
import { utf8, ValueReader, ValueWriter } from "./value";

/** A key as UTF-8 bytes. */
export function keyBytes<K>(key: K): Uint8Array {
  if (isString<K>()) return utf8(changetype<string>(key));
  return changetype<Uint8Array>(key);
}

/** A value read from the store: `value` is null when the key is absent. */
export class Got {
  status: i32 = 0;
  value: Uint8Array | null = null;

  get ok(): bool {
    return this.status == 0;
  }
}

/** MGET's answer: one entry per key, null where absent. */
export class GotMany {
  status: i32 = 0;
  values: Array<Uint8Array | null> = [];

  get ok(): bool {
    return this.status == 0;
  }
}

export class KeyValue {
  /** The deadline of each call, and the room for each reply (a longer reply is
   *  BUFFER_TOO_SMALL). */
  constructor(public handle: i32, public timeoutMs: i64 = 5000, public replyCapacity: i32 = 65536) {}

  private request(op: i32, w: ValueWriter): Reply {
    return call(this.handle, op, w.finish(), this.replyCapacity, this.timeoutMs);
  }

  /** GET: the bytes, or value null when the key is absent. */
  get<K>(key: K): Got {
    const w = new ValueWriter();
    w.putList(1);
    w.putTextBytes(keyBytes<K>(key));
    const answer = this.request(KvOp.GET, w);
    const out = new Got();
    if (answer.status == Status.NOT_FOUND) return out;
    if (!answer.ok) {
      out.status = answer.status;
      return out;
    }
    const r = new ValueReader(answer.bytes);
    if (r.peekTag() == Tag.NULL) {
      r.getNull();
    } else {
      out.value = r.getBytes();
    }
    if (r.finish() != 0) out.status = Status.INVALID_ARGS;
    return out;
  }

  /** SET: 0 or -status. ttlMs < 0: no expiry. */
  set<K>(key: K, value: Uint8Array, ttlMs: i64 = -1): i32 {
    const w = new ValueWriter(value.length + 64);
    w.putList(ttlMs >= 0 ? 3 : 2);
    w.putTextBytes(keyBytes<K>(key));
    w.putBytes(value);
    if (ttlMs >= 0) w.putI64(ttlMs);
    const answer = this.request(KvOp.SET, w);
    return answer.ok ? 0 : -answer.status;
  }

  /** DEL: the number of keys removed, or -status. */
  del<K>(key: K): i64 {
    const w = new ValueWriter();
    w.putList(1);
    w.putTextBytes(keyBytes<K>(key));
    return this.integer(KvOp.DEL, w);
  }

  /** INCRBY: the new value, or -status. */
  incrBy<K>(key: K, by: i64): i64 {
    const w = new ValueWriter();
    w.putList(2);
    w.putTextBytes(keyBytes<K>(key));
    w.putI64(by);
    return this.integer(KvOp.INCRBY, w);
  }

  /** MGET: the values of all keys in one call, null where absent. */
  mget(keys: Array<Uint8Array>): GotMany {
    const w = new ValueWriter();
    w.putList(1);
    w.putList(keys.length);
    for (let i = 0; i < keys.length; ++i) w.putTextBytes(keys[i]);
    const answer = this.request(KvOp.MGET, w);
    const out = new GotMany();
    if (!answer.ok) {
      out.status = answer.status;
      return out;
    }
    const r = new ValueReader(answer.bytes);
    if (r.getList() != <u32>keys.length) {
      out.status = Status.INVALID_ARGS;
      return out;
    }
    for (let i = 0; i < keys.length; ++i) {
      if (r.peekTag() == Tag.NULL) {
        r.getNull();
        out.values.push(null);
      } else {
        out.values.push(r.getBytes());
      }
    }
    if (r.finish() != 0) out.status = Status.INVALID_ARGS;
    return out;
  }

  private integer(op: i32, w: ValueWriter): i64 {
    const answer = this.request(op, w);
    if (!answer.ok) return -answer.status;
    const r = new ValueReader(answer.bytes);
    const value = r.getI64();
    return r.finish() == 0 ? value : -Status.INVALID_ARGS;
  }
}

// Messages, handles and statuses over the raw imports (imports.ts): receive into a buffer with
// the info record decoded, send, reply, call, log, and the status helpers.
//
// Every function keeps the ABI's convention: a result >= 0 is success, < 0 is -status.
// Results that carry bytes come as a Received or a Reply, whose `status` is 0 or the
// positive Status code.

import * as abi from "./imports";
import { Limit, RECV_POLL, SendFlag, Status } from "./abi";
import { nameBytes, utf8Length } from "./value";

/** Every call returns >= 0 on success and -status on failure. */
export function failed(result: i64): bool {
  return result < 0;
}

/** The Status of a result: OK for success, else the positive code. */
export function statusOf(result: i64): i32 {
  return result < 0 ? <i32>-result : Status.OK;
}

/** Whether a result is a handle (0 is never a valid handle). */
export function isHandle(result: i64): bool {
  return result > 0 && result <= 0x7fffffff;
}

/** The record recv writes (version 1, 72 bytes, docs/ABI.md). */
export class Info {
  size: u32 = 0;
  type: u32 = 0;
  /** The payload's length (also on BUFFER_TOO_SMALL). */
  len: u32 = 0;
  flags: u32 = 0;
  seq: u64 = 0;
  /** Kernel time of the message (what now() returns). */
  timeNs: i64 = 0;
  senderBadge: u32 = 0;
  handlesN: u32 = 0;
  handles: StaticArray<i32> = new StaticArray<i32>(4);
  traceId: Uint8Array = new Uint8Array(16);

  /** The message's priority (0..7). */
  get priority(): u32 {
    return (this.flags & <u32>SendFlag.PRIORITY_MASK) >> <u32>SendFlag.PRIORITY_SHIFT;
  }

  /** The i-th handle that arrived with the message, or -NOT_FOUND. */
  handle(i: u32): i32 {
    const n = this.handlesN < <u32>Limit.MAX_MESSAGE_HANDLES ? this.handlesN : <u32>Limit.MAX_MESSAGE_HANDLES;
    return i < n ? this.handles[i] : -Status.NOT_FOUND;
  }

  /** Reads a record from memory; false when its size is below 72. */
  decode(at: usize): bool {
    this.size = load<u32>(at);
    if (this.size < <u32>Limit.INFO_SIZE) return false;
    this.type = load<u32>(at, 4);
    this.len = load<u32>(at, 8);
    this.flags = load<u32>(at, 12);
    this.seq = load<u64>(at, 16);
    this.timeNs = load<i64>(at, 24);
    this.senderBadge = load<u32>(at, 32);
    this.handlesN = load<u32>(at, 36);
    for (let i = 0; i < 4; ++i) this.handles[i] = load<i32>(at + 40 + <usize>(4 * i));
    memory.copy(this.traceId.dataStart, at + 56, 16);
    return true;
  }
}

/** One received message. */
export class Received {
  /** 0, or the positive Status (EMPTY, TIMEOUT, BUFFER_TOO_SMALL: info.len is then the
   *  room needed, and the message stays queued). */
  status: i32 = 0;
  type: i32 = 0;
  payload: Uint8Array = new Uint8Array(0);
  info: Info = new Info();

  get ok(): bool {
    return this.status == 0;
  }
}

/** recv: takes the next message (matching typeFilter unless it is 0) into a buffer of
 *  `capacity` bytes. timeoutMs: RECV_POLL (the default; a reactive handler's message is
 *  already there), RECV_FOREVER, or milliseconds. */
export function receive(capacity: i32 = 65536, timeoutMs: i64 = RECV_POLL, typeFilter: i32 = 0): Received {
  const out = new Received();
  const buffer = new Uint8Array(capacity);
  const info = memory.data(Limit.INFO_SIZE);
  const n = abi.recv(timeoutMs, typeFilter, buffer.dataStart, capacity, info);
  if (n < 0) {
    out.status = -n;
    if (n == -Status.BUFFER_TOO_SMALL) out.info.decode(info);
    return out;
  }
  if (!out.info.decode(info)) {
    out.status = Status.INVALID_ARGS;
    return out;
  }
  out.type = <i32>out.info.type;
  out.payload = buffer.subarray(0, n);
  return out;
}

/** cap_lookup: the handle granted under `name`, or -status (NOT_FOUND). */
export function lookup(name: string): i32 {
  return abi.cap_lookup(nameBytes(name), utf8Length(name));
}

function handlesStart(handles: StaticArray<i32> | null): usize {
  return handles != null ? changetype<usize>(handles) : 0;
}

function handlesCount(handles: StaticArray<i32> | null): i32 {
  return handles != null ? handles.length : 0;
}

/** send: a message of `type` to the endpoint `to`, moving up to 4 handles. The sequence
 *  number in the target mailbox, or -status. */
export function send(to: i32, type: i32, payload: Uint8Array, flags: i32 = 0, handles: StaticArray<i32> | null = null): i64 {
  return abi.send(to, type, payload.dataStart, payload.length, handlesStart(handles), handlesCount(handles), flags);
}

/** reply: answers the message being handled (a `call`er, the HTTP ingress). 0, or -status;
 *  -NOT_FOUND when nobody waits for an answer. */
export function reply(type: i32, payload: Uint8Array, handles: StaticArray<i32> | null = null): i32 {
  return abi.reply(type, payload.dataStart, payload.length, handlesStart(handles), handlesCount(handles));
}

/** A call's answer. */
export class Reply {
  /** 0, or the positive Status (TIMEOUT, UNAVAILABLE, DRIVER_ERROR, NOT_FOUND, ...). */
  status: i32 = 0;
  /** The reply's bytes; on DRIVER_ERROR the driver's detail when it sent one. */
  bytes: Uint8Array = new Uint8Array(0);

  get ok(): bool {
    return this.status == 0;
  }
}

/** call: request/reply on an endpoint or a driver handle (op: a KvOp, SqlOp, TopicOp). */
export function call(h: i32, op: i32, request: Uint8Array, replyCapacity: i32, timeoutMs: i64): Reply {
  const out = new Reply();
  const buffer = new Uint8Array(replyCapacity);
  const n = abi.call(h, op, request.dataStart, request.length, buffer.dataStart, replyCapacity, timeoutMs);
  if (n < 0) {
    out.status = -n;
    return out;
  }
  out.bytes = buffer.subarray(0, n);
  return out;
}

/** log: a structured log line at a LogLevel. */
export function log(level: i32, text: string): i32 {
  return abi.log(level, nameBytes(text), utf8Length(text));
}

/** now: the kernel's time for the message being handled, in ns since the Unix epoch. */
export function now(): i64 {
  return abi.now();
}

/** exit: ends the process (actor style). */
export function exit(code: i32): void {
  abi.exit(code);
}

/** metric: adds to a counter or histogram the application manifest declares. */
export function metric(name: string, value: f64): i32 {
  return abi.metric(nameBytes(name), utf8Length(name), value);
}

/** Runs a reactive handler and then collects what it allocated: with `--runtime minimal`
 *  the collector runs only here, once per message, so memory never grows across messages
 *  and nothing survives one unless a global holds it. Export it as estalogic_handle:
 *
 *      export function estalogic_handle(): i32 { return runHandler(handle); }
 */
export function runHandler(handler: () => i32): i32 {
  const status = handler();
  __collect();
  return status;
}

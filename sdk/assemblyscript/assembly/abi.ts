// The numbers of estalogic ABI v1.0 (docs/ABI.md): status codes, flags, rights, kinds,
// priorities, limits, driver ops and value tags. The imports themselves are in imports.ts.
// Hand-written from docs/ABI.md; test/abi_check.mjs checks them against it.

export const ABI_VERSION_MAJOR: i32 = 1;
export const ABI_VERSION_MINOR: i32 = 0;

// ---- Status codes: functions return -code on failure. --------------------------------

export namespace Status {
  export const OK: i32 = 0;
  export const BAD_HANDLE: i32 = 1;
  export const WRONG_TYPE: i32 = 2;
  export const ACCESS_DENIED: i32 = 3;
  export const REVOKED: i32 = 4;
  export const EXPIRED: i32 = 5;
  export const USES_EXHAUSTED: i32 = 6;
  export const RESTRICTED: i32 = 7;
  export const INVALID_ARGS: i32 = 8;
  export const OUT_OF_BOUNDS: i32 = 9;
  export const BUFFER_TOO_SMALL: i32 = 10;
  export const MAILBOX_FULL: i32 = 11;
  export const NOT_FOUND: i32 = 12;
  export const PAYLOAD_TOO_LARGE: i32 = 13;
  export const TIMEOUT: i32 = 14;
  export const EMPTY: i32 = 15;
  export const SHUTTING_DOWN: i32 = 16;
  export const LIMIT: i32 = 17;
  export const UNAVAILABLE: i32 = 18;
  export const DRIVER_ERROR: i32 = 19;
  export const NOT_SUPPORTED: i32 = 20;
  export const RIGHTS_ESCALATION: i32 = 21;
}

// ---- Send flags, rights, kinds, priorities, log levels, receive values. ----------------

export namespace SendFlag {
  export const REQUIRE_ACK: i32 = 0x1;
  export const TRANSACTIONAL: i32 = 0x2;
  export const PERSISTENT: i32 = 0x4;
  export const PRIORITY_SHIFT: i32 = 0x8;
  export const PRIORITY_MASK: i32 = 0x700;
}

/** The priority bits of send's flags for message priority p (0..7). */
export function sendPriority(p: i32): i32 {
  return (p << SendFlag.PRIORITY_SHIFT) & SendFlag.PRIORITY_MASK;
}

export namespace Right {
  export const READ: i64 = 0x1;
  export const WRITE: i64 = 0x2;
  export const DELETE: i64 = 0x4;
  export const EXECUTE: i64 = 0x8;
  export const CREATE: i64 = 0x10;
  export const LIST: i64 = 0x20;
  export const DELEGATE: i64 = 0x40;
  export const REVOKE: i64 = 0x80;
  export const TRANSFER: i64 = 0x100;
}

export namespace Kind {
  export const MEMORY: i32 = 1;
  export const ENDPOINT: i32 = 2;
  export const FILE: i32 = 3;
  export const DATABASE: i32 = 4;
  export const TOPIC: i32 = 5;
  export const KEYSPACE: i32 = 6;
  export const STATEMENT: i32 = 7;
  export const MODULE: i32 = 8;
  export const PROCESS: i32 = 9;
  export const AUDIT_LOG: i32 = 10;
  export const CONFIG: i32 = 11;
  export const TIMER: i32 = 12;
  export const NETWORK: i32 = 13;
  export const CUSTOM: i32 = 14;
}

export namespace Priority {
  export const IDLE: i32 = 0;
  export const LOW: i32 = 1;
  export const NORMAL: i32 = 2;
  export const HIGH: i32 = 3;
  export const REALTIME: i32 = 4;
}

export namespace LogLevel {
  export const TRACE: i32 = 0;
  export const DEBUG: i32 = 1;
  export const INFO: i32 = 2;
  export const WARNING: i32 = 3;
  export const ERROR: i32 = 4;
  export const CRITICAL: i32 = 5;
  export const FATAL: i32 = 6;
}

export const RECV_POLL: i64 = 0;
export const RECV_FOREVER: i64 = -1;
export const RECV_ANY_TYPE: i32 = 0;

// ---- Message types the kernel owns (K-5), limits. --------------------------------------

export namespace MessageType {
  export const PING: i32 = 0x1;
  export const PONG: i32 = 0x2;
  export const DRIVER_RECORD: i32 = 0x100;
  export const SYSTEM_SHUTDOWN: i32 = 0xffff;
  export const KERNEL_LOW_LAST: i32 = 0xf;
  export const KERNEL_HIGH_FIRST: i32 = 0xff00;
}

export namespace Limit {
  export const MAX_MESSAGE_HANDLES: i32 = 4;
  export const DEFAULT_MAX_PAYLOAD: i32 = 1048576;
  export const INFO_SIZE: i32 = 72;
  export const DEFAULT_MAX_HANDLES: i32 = 1000;
  export const CUSTOM_RIGHT_FIRST_BIT: i32 = 16;
  export const MAX_DELEGATION_DEPTH: i32 = 5;
}

// ---- Driver ops (`call` on a driver handle). -------------------------------------------

export namespace KvOp {
  export const GET: i32 = 1;
  export const SET: i32 = 2;
  export const DEL: i32 = 3;
  export const INCRBY: i32 = 4;
  export const HGET: i32 = 5;
  export const HSET: i32 = 6;
  export const HGETALL: i32 = 7;
  export const EXPIRE: i32 = 8;
  export const MGET: i32 = 9;
  export const EVAL: i32 = 10;
}

export namespace SqlOp {
  export const EXEC: i32 = 1;
  export const BEGIN: i32 = 2;
  export const COMMIT: i32 = 3;
  export const ROLLBACK: i32 = 4;
}

export namespace TopicOp {
  export const PRODUCE: i32 = 1;
}

// ---- Value encoding tags. ---------------------------------------------------------------

export namespace Tag {
  export const NULL: u8 = 0;
  export const FALSE: u8 = 1;
  export const TRUE: u8 = 2;
  export const I64: u8 = 3;
  export const F64: u8 = 4;
  export const TEXT: u8 = 5;
  export const BYTES: u8 = 6;
  export const LIST: u8 = 7;
  export const MAP: u8 = 8;
  export const TIMESTAMP: u8 = 9;
  export const UUID: u8 = 10;
  export const DECIMAL: u8 = 11;
}

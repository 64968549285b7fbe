// The raw imports of estalogic ABI v1.0 (docs/ABI.md), module "estalogic". Pointers are
// offsets into this module's memory (usize on wasm32); every function returns >= 0 on
// success and -status on failure. message.ts, kv.ts and audit.ts wrap them; import these
// directly only for what the wrappers do not cover (cap_derive, spawn, spans, ...).
//
// Hand-written from docs/ABI.md; test/abi_check.mjs fails when a name or a signature here
// and the table there disagree.

@external("estalogic", "cap_lookup")
export declare function cap_lookup(name_ptr: usize, name_len: i32): i32;

@external("estalogic", "cap_derive")
export declare function cap_derive(h: i32, rights_lo: i64, restrict_ptr: usize, restrict_len: i32): i32;

@external("estalogic", "cap_revoke")
export declare function cap_revoke(h: i32): i32;

@external("estalogic", "cap_drop")
export declare function cap_drop(h: i32): i32;

@external("estalogic", "cap_info")
export declare function cap_info(h: i32, out_ptr: usize, out_len: i32): i32;

@external("estalogic", "send")
export declare function send(h: i32, type: i32, ptr: usize, len: i32, handles_ptr: usize, handles_n: i32, flags: i32): i64;

@external("estalogic", "recv")
export declare function recv(timeout_ms: i64, type_filter: i32, buf: usize, buf_cap: i32, info_ptr: usize): i32;

@external("estalogic", "reply")
export declare function reply(type: i32, ptr: usize, len: i32, handles_ptr: usize, handles_n: i32): i32;

@external("estalogic", "call")
export declare function call(h: i32, op: i32, req_ptr: usize, req_len: i32, resp_ptr: usize, resp_cap: i32, timeout_ms: i64): i32;

@external("estalogic", "spawn")
export declare function spawn(module_h: i32, entry_ptr: usize, entry_len: i32, grants_ptr: usize, grants_len: i32, priority: i32): i32;

@external("estalogic", "exit")
export declare function exit(code: i32): void;

@external("estalogic", "yield")
export declare function yield_(): i32;

@external("estalogic", "now")
export declare function now(): i64;

@external("estalogic", "random")
export declare function random(ptr: usize, len: i32): i32;

@external("estalogic", "log")
export declare function log(level: i32, ptr: usize, len: i32): i32;

@external("estalogic", "span_begin")
export declare function span_begin(name_ptr: usize, name_len: i32): i64;

@external("estalogic", "span_end")
export declare function span_end(span_id: i64, status: i32): i32;

@external("estalogic", "metric")
export declare function metric(name_ptr: usize, name_len: i32, value: f64): i32;

@external("estalogic", "audit")
export declare function audit(kind_ptr: usize, kind_len: i32, ptr: usize, len: i32): i64;


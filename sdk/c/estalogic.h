/* estalogic.h: the guest side of estalogic ABI v1.0 for C and C++.
 * Generated from src/kernel/abi_table.cc by `estalogic-abi --write <source dir>`; do not edit.
 * A unit test (K20_GeneratedFilesMatchTheTable) fails when this file and the table disagree.
 *
 * Freestanding: needs no libc (works with clang --target=wasm32 -nostdlib, with or
 * without wasi-libc). Pointers are offsets into the module's memory on wasm32.
 * Every function returns >= 0 on success and -status on failure. */
#ifndef ESTALOGIC_H
#define ESTALOGIC_H

#define ESTA_ABI_VERSION_MAJOR 1
#define ESTA_ABI_VERSION_MINOR 0
#define ESTA_IMPORT_MODULE "estalogic"

typedef __INT32_TYPE__ esta_i32;
typedef __INT64_TYPE__ esta_i64;
typedef __UINT8_TYPE__ esta_u8;
typedef __UINT32_TYPE__ esta_u32;
typedef __UINT64_TYPE__ esta_u64;
typedef double esta_f64;
typedef esta_i32 esta_handle;

#ifdef __cplusplus
#define ESTA_STATIC_ASSERT(c, m) static_assert(c, m)
extern "C" {
#else
#define ESTA_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

#if defined(__wasm__)
#define ESTALOGIC_IMPORT(name) \
    __attribute__((import_module("estalogic"), import_name(#name)))
#else
#define ESTALOGIC_IMPORT(name)
#endif

/* Status codes: functions return -code on failure. */
#define ESTA_OK 0 /* ok */
#define ESTA_BAD_HANDLE 1 /* no such handle in this process, or a stale generation */
#define ESTA_WRONG_TYPE 2 /* the handle's object does not support this operation */
#define ESTA_ACCESS_DENIED 3 /* a required right is missing */
#define ESTA_REVOKED 4 /* the capability, or an ancestor, was revoked */
#define ESTA_EXPIRED 5 /* past its expiry instant */
#define ESTA_USES_EXHAUSTED 6 /* its shared use count is spent */
#define ESTA_RESTRICTED 7 /* time window or process restriction forbids it now */
#define ESTA_INVALID_ARGS 8 /* malformed request, bad flags, unknown op */
#define ESTA_OUT_OF_BOUNDS 9 /* a pointer/length outside the caller's memory */
#define ESTA_BUFFER_TOO_SMALL 10 /* the result did not fit */
#define ESTA_MAILBOX_FULL 11 /* target mailbox full */
#define ESTA_NOT_FOUND 12 /* target process gone, key or row absent, unknown name */
#define ESTA_PAYLOAD_TOO_LARGE 13 /* over the payload limit */
#define ESTA_TIMEOUT 14 /* the wait or call deadline passed */
#define ESTA_EMPTY 15 /* non-blocking receive found nothing */
#define ESTA_SHUTTING_DOWN 16 /* the process or kernel is stopping */
#define ESTA_LIMIT 17 /* a quota is reached */
#define ESTA_UNAVAILABLE 18 /* driver down or circuit open */
#define ESTA_DRIVER_ERROR 19 /* the service refused the request */
#define ESTA_NOT_SUPPORTED 20 /* valid but not offered by this kernel or driver */
#define ESTA_RIGHTS_ESCALATION 21 /* derive asked for rights the handle does not hold */

/* Send flags: The `flags` argument of `send`. */
#define ESTA_SEND_REQUIRE_ACK 0x1
#define ESTA_SEND_TRANSACTIONAL 0x2
#define ESTA_SEND_PERSISTENT 0x4
#define ESTA_SEND_PRIORITY_SHIFT 0x8
#define ESTA_SEND_PRIORITY_MASK 0x700

/* Rights: Bits of `rights_lo` (cap_derive) and of cap_info's `rights`. */
#define ESTA_RIGHT_READ 0x1
#define ESTA_RIGHT_WRITE 0x2
#define ESTA_RIGHT_DELETE 0x4
#define ESTA_RIGHT_EXECUTE 0x8
#define ESTA_RIGHT_CREATE 0x10
#define ESTA_RIGHT_LIST 0x20
#define ESTA_RIGHT_DELEGATE 0x40
#define ESTA_RIGHT_REVOKE 0x80
#define ESTA_RIGHT_TRANSFER 0x100

/* Handle kinds: The `kind` cap_info reports (REQUIREMENTS K-11). */
#define ESTA_KIND_MEMORY 1
#define ESTA_KIND_ENDPOINT 2
#define ESTA_KIND_FILE 3
#define ESTA_KIND_DATABASE 4
#define ESTA_KIND_TOPIC 5
#define ESTA_KIND_KEYSPACE 6
#define ESTA_KIND_STATEMENT 7
#define ESTA_KIND_MODULE 8
#define ESTA_KIND_PROCESS 9
#define ESTA_KIND_AUDIT_LOG 10
#define ESTA_KIND_CONFIG 11
#define ESTA_KIND_TIMER 12
#define ESTA_KIND_NETWORK 13
#define ESTA_KIND_CUSTOM 14

/* Priorities: The `priority` argument of `spawn`. SYSTEM is the kernel's own and refused for guests. */
#define ESTA_PRIORITY_IDLE 0
#define ESTA_PRIORITY_LOW 1
#define ESTA_PRIORITY_NORMAL 2
#define ESTA_PRIORITY_HIGH 3
#define ESTA_PRIORITY_REALTIME 4
#define ESTA_PRIORITY_SYSTEM 5

/* Log levels: The `level` argument of `log`. */
#define ESTA_LOG_TRACE 0
#define ESTA_LOG_DEBUG 1
#define ESTA_LOG_INFO 2
#define ESTA_LOG_WARNING 3
#define ESTA_LOG_ERROR 4
#define ESTA_LOG_CRITICAL 5
#define ESTA_LOG_FATAL 6

/* Receive: Special values of `recv`'s arguments. */
#define ESTA_RECV_POLL 0
#define ESTA_RECV_FOREVER (-1)
#define ESTA_RECV_ANY_TYPE 0

/* Message types: Kernel-defined message types (REQUIREMENTS K-5). */
#define ESTA_MSG_PING 0x1
#define ESTA_MSG_PONG 0x2
#define ESTA_MSG_MODULE_UPGRADE 0x3
#define ESTA_MSG_DRIVER_RECORD 0x100
#define ESTA_MSG_SYSTEM_SHUTDOWN 0xFFFF
#define ESTA_MSG_KERNEL_LOW_LAST 0xF
#define ESTA_MSG_KERNEL_HIGH_FIRST 0xFF00

/* Limits: Defaults of this kernel; the application may lower them. */
#define ESTA_LIMIT_MAX_MESSAGE_HANDLES 4
#define ESTA_LIMIT_DEFAULT_MAX_PAYLOAD 1048576
#define ESTA_LIMIT_INFO_SIZE 72
#define ESTA_LIMIT_DEFAULT_MAX_HANDLES 1000
#define ESTA_LIMIT_CUSTOM_RIGHT_FIRST_BIT 16
#define ESTA_LIMIT_MAX_DELEGATION_DEPTH 5

/* The priority bits of send's flags for message priority p (0..7). */
#define ESTA_SEND_PRIORITY(p) \
    ((((esta_i32)(p)) << ESTA_SEND_PRIORITY_SHIFT) & ESTA_SEND_PRIORITY_MASK)

/* Driver ops, key-value (keyspace (Redis or embedded; keys relative to the handle's prefix)). */
#define ESTA_KV_GET 1 /* (key) -> bytes | NOT_FOUND */
#define ESTA_KV_SET 2 /* (key, bytes, ttl_ms?) -> null */
#define ESTA_KV_DEL 3 /* (key) -> i64 (keys removed) */
#define ESTA_KV_INCRBY 4 /* (key, i64) -> i64 (new value) */
#define ESTA_KV_HGET 5 /* (key, field) -> bytes | NOT_FOUND */
#define ESTA_KV_HSET 6 /* (key, field, bytes) -> null */
#define ESTA_KV_HGETALL 7 /* (key) -> map */
#define ESTA_KV_EXPIRE 8 /* (key, ttl_ms) -> null */
#define ESTA_KV_MGET 9 /* (list of keys) -> list */
#define ESTA_KV_EVAL 10 /* (script name, keys, args) -> value (scripts registered in the manifest only) */

/* Driver ops, SQL (statement, database (PostgreSQL or SQLite; manifest-named statements only)). */
#define ESTA_SQL_EXEC 1 /* (statement name, params list) -> rows (list of lists), affected count */
#define ESTA_SQL_BEGIN 2 /* () -> null (the transaction is bound to the handle) */
#define ESTA_SQL_COMMIT 3 /* () -> null */
#define ESTA_SQL_ROLLBACK 4 /* () -> null */

/* Driver ops, topic (topic (Kafka or embedded)). */
#define ESTA_TOPIC_PRODUCE 1 /* (key, bytes, headers map, partition?) -> i64 offset */

/* Value encoding tags: a tag byte, then the value. */
#define ESTA_VALUE_NULL 0 /* nothing follows */
#define ESTA_VALUE_FALSE 1 /* nothing follows */
#define ESTA_VALUE_TRUE 2 /* nothing follows */
#define ESTA_VALUE_I64 3 /* 8 bytes, little-endian two's complement */
#define ESTA_VALUE_F64 4 /* 8 bytes, IEEE 754 binary64, little-endian */
#define ESTA_VALUE_TEXT 5 /* u32 length, then that many UTF-8 bytes */
#define ESTA_VALUE_BYTES 6 /* u32 length, then that many bytes */
#define ESTA_VALUE_LIST 7 /* u32 count, then that many values */
#define ESTA_VALUE_MAP 8 /* u32 count, then that many (text key without its tag, value) pairs */
#define ESTA_VALUE_TIMESTAMP 9 /* i64 nanoseconds since the Unix epoch */
#define ESTA_VALUE_UUID 10 /* 16 bytes */
#define ESTA_VALUE_DECIMAL 11 /* i64 unscaled value, then u8 scale */

/* Custom sections the kernel reads. */
#define ESTA_MANIFEST_SECTION "estalogic.manifest"
#define ESTA_SIGNATURE_SECTION "estalogic.signature"

/* The info record recv writes (version 1, 72 bytes, no padding). */
typedef struct esta_info {
    esta_u32 size; /* the record's size (72); written first */
    esta_u32 type; /* the message type */
    esta_u32 len; /* the payload's length (also on BUFFER_TOO_SMALL) */
    esta_u32 flags; /* the send flags, priority in bits 8-10 */
    esta_u64 seq; /* the sequence number send returned */
    esta_i64 time_ns; /* kernel time of the message (what `now` returns) */
    esta_u32 sender_badge; /* the sender's identity as this endpoint names it */
    esta_u32 handles_n; /* how many handles arrived with the message */
    esta_i32 handles[4]; /* the handles moved with the message, now this process's */
    esta_u8 trace_id[16]; /* the W3C trace id of the message */
} esta_info;
ESTA_STATIC_ASSERT(sizeof(esta_info) == 72, "info record size");
ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, size) == 0, "info.size");
ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, type) == 4, "info.type");
ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, len) == 8, "info.len");
ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, flags) == 12, "info.flags");
ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, seq) == 16, "info.seq");
ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, time_ns) == 24, "info.time_ns");
ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, sender_badge) == 32, "info.sender_badge");
ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, handles_n) == 36, "info.handles_n");
ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, handles) == 40, "info.handles");
ESTA_STATIC_ASSERT(__builtin_offsetof(esta_info, trace_id) == 56, "info.trace_id");

/*
 * cap_lookup: The handle the application granted this process under a name ("kv", "decisions").
 * NOT_FOUND when nothing is granted under that name. Returns: a handle, or -status.
 */
ESTALOGIC_IMPORT(cap_lookup)
esta_i32 esta_cap_lookup(const char* name_ptr, esta_u32 name_len);

/*
 * cap_derive: A new handle to the same object with rights a subset of the held ones (asking for
 * more is RIGHTS_ESCALATION, never a silent narrowing) plus added restrictions, a value-encoded
 * map (see Restrictions). The new capability is a child of h: revoking h's descendants revokes
 * it. LIMIT beyond depth 5 or the per-process handle limit. Needs: DELEGATE on h. Returns: the
 * new handle, or -status.
 */
ESTALOGIC_IMPORT(cap_derive)
esta_i32 esta_cap_derive(esta_handle h, esta_i64 rights_lo, const void* restrict_ptr, esta_u32 restrict_len);

/*
 * cap_revoke: Revokes everything derived from h, at any depth; h itself stays. The kernel works
 * in bounded steps and the call returns when done. Needs: REVOKE on h, or having issued h or
 * one of its ancestors. Returns: how many capabilities were revoked, or -status.
 */
ESTALOGIC_IMPORT(cap_revoke)
esta_i32 esta_cap_revoke(esta_handle h);

/*
 * cap_drop: Removes the handle from this process; the value becomes invalid (BAD_HANDLE).
 * Returns: 0, or -status.
 */
ESTALOGIC_IMPORT(cap_drop)
esta_i32 esta_cap_drop(esta_handle h);

/*
 * cap_info: Writes a value-encoded map describing the handle: kind, resource name, rights,
 * restrictions and badge. BUFFER_TOO_SMALL (nothing written) when out_len is short. Returns:
 * the record's length, or -status.
 */
ESTALOGIC_IMPORT(cap_info)
esta_i32 esta_cap_info(esta_handle h, void* out_ptr, esta_u32 out_len);

/*
 * send: Sends a message of `type` to the endpoint h, moving up to 4 handles out of this
 * process. MAILBOX_FULL in the target's NotifySender mode; PAYLOAD_TOO_LARGE over the payload
 * limit; INVALID_ARGS for unknown flags or a kernel message type. PERSISTENT: the message is
 * journaled before send returns its sequence, so an acknowledged message survives a crash of
 * the kernel and is consumed once (by an actor's recv, or when a reactive handler returns); it
 * cannot carry handles (INVALID_ARGS, checked before the mailbox's room), is NOT_SUPPORTED by a
 * kernel without a journal, and a failed journal append is reported as its error with the
 * endpoint's use spent and nothing queued. Needs: WRITE on h; TRANSFER on each moved handle.
 * Returns: the message's sequence number in the target mailbox, or -status.
 */
ESTALOGIC_IMPORT(send)
esta_i64 esta_send(esta_handle h, esta_i32 type, const void* ptr, esta_u32 len, const esta_handle* handles_ptr, esta_u32 handles_n, esta_i32 flags);

/*
 * recv: Takes the next message (matching type_filter unless it is 0): higher priority first,
 * FIFO per sender within a priority. timeout_ms 0 polls (EMPTY), -1 waits forever, > 0 waits
 * that long (TIMEOUT). Writes the info record. BUFFER_TOO_SMALL leaves the message queued and
 * sets info.len. Moved handles arrive in info.handles. A message delivered again after its
 * reactive handler stopped with trap 3001 (watchdog) or 3002 (host memory; both retried once)
 * brings the handles the handler still held then. Returns: the payload's length, or -status.
 */
ESTALOGIC_IMPORT(recv)
esta_i32 esta_recv(esta_i64 timeout_ms, esta_i32 type_filter, void* buf, esta_u32 buf_cap, esta_info* info_ptr);

/*
 * reply: Answers the message being handled (its reply-to): used by `call`ers and the HTTP
 * ingress. Moves up to 4 handles to the caller, checked as send checks them (more than 4 or one
 * named twice is INVALID_ARGS). NOT_FOUND when the message expects no reply or its caller is
 * gone (timed out or ended; the handles then stay here). Needs: TRANSFER on each moved handle.
 * Returns: 0, or -status.
 */
ESTALOGIC_IMPORT(reply)
esta_i32 esta_reply(esta_i32 type, const void* ptr, esta_u32 len, const esta_handle* handles_ptr, esta_u32 handles_n);

/*
 * call: Request/reply on an endpoint or a driver handle. On a driver handle, `op` is one of the
 * op codes of its kind and request and reply use the value encoding. TIMEOUT when the deadline
 * passes; UNAVAILABLE when the driver is down (retryable); DRIVER_ERROR when the service
 * refused (detail in the reply). On an endpoint: NOT_FOUND when the target process is gone, or
 * ends, crashes or closes its endpoint before answering (a supervised target restarts on the
 * same endpoint and answers later calls); when resp_cap leaves room after the reply, the four
 * i32 handle slots of the reply follow it (the handles the reply moved, 0 where unused); a
 * reply that moves handles needs that room, else BUFFER_TOO_SMALL and they are dropped. Needs:
 * the right the op needs (READ for reads, WRITE for writes, EXECUTE for SQL). Returns: the
 * reply's length, or -status.
 */
ESTALOGIC_IMPORT(call)
esta_i32 esta_call(esta_handle h, esta_i32 op, const void* req_ptr, esta_u32 req_len, void* resp_ptr, esta_u32 resp_cap, esta_i64 timeout_ms);

/*
 * spawn: Starts a process from a module handle at an entry point, granting it handles this
 * process holds (grants: a value-encoded map of name to handle; each is moved, or derived when
 * wrapped in a map {handle, rights, restriction keys as for cap_derive}: a child capability
 * with those rights (RIGHTS_ESCALATION beyond the held ones) and restrictions, needing
 * DELEGATE, while this process keeps its handle). Everything is checked before anything moves.
 * LIMIT when a spawn quota is reached. Needs: EXECUTE on module_h; TRANSFER on moved grants,
 * DELEGATE on derived ones. Returns: a process handle, or -status.
 */
ESTALOGIC_IMPORT(spawn)
esta_i32 esta_spawn(esta_handle module_h, const char* entry_ptr, esta_u32 entry_len, const void* grants_ptr, esta_u32 grants_len, esta_i32 priority);

/*
 * exit: Ends the process with exit code `code` (0 = normal). Returns: never returns.
 */
ESTALOGIC_IMPORT(exit)
__attribute__((noreturn)) void esta_exit(esta_i32 code);

/*
 * yield: Gives up the rest of the time slice. Returns: 0, or -status.
 */
ESTALOGIC_IMPORT(yield)
esta_i32 esta_yield(void);

/*
 * now: The kernel's time for the message being handled (journaled, so replay sees the same
 * value). Returns: nanoseconds since the Unix epoch, or -status.
 */
ESTALOGIC_IMPORT(now)
esta_i64 esta_now(void);

/*
 * random: Fills len bytes from the process's deterministic, journaled generator. Returns: 0, or
 * -status.
 */
ESTALOGIC_IMPORT(random)
esta_i32 esta_random(void* ptr, esta_u32 len);

/*
 * log: A structured log line at level 0 (trace) .. 6 (fatal); INVALID_ARGS for other levels.
 * Returns: 0, or -status.
 */
ESTALOGIC_IMPORT(log)
esta_i32 esta_log(esta_i32 level, const char* ptr, esta_u32 len);

/*
 * span_begin: Opens a span inside the current trace. Returns: the span id, or -status.
 */
ESTALOGIC_IMPORT(span_begin)
esta_i64 esta_span_begin(const char* name_ptr, esta_u32 name_len);

/*
 * span_end: Closes a span with a status (0 = ok); NOT_FOUND for an unknown span id. Returns: 0,
 * or -status.
 */
ESTALOGIC_IMPORT(span_end)
esta_i32 esta_span_end(esta_i64 span_id, esta_i32 status);

/*
 * metric: Adds to a counter or histogram declared in the application manifest; NOT_FOUND for an
 * undeclared name. Returns: 0, or -status.
 */
ESTALOGIC_IMPORT(metric)
esta_i32 esta_metric(const char* name_ptr, esta_u32 name_len, esta_f64 value);

/*
 * audit: Appends a compliance record of a kind to the integrity-chained audit log, where it is
 * kept as kind "app." + KIND, so a guest's record cannot pass for one of the kernel's; KIND is
 * 1 to 64 ASCII letters, digits, '.', '_' or '-', else INVALID_ARGS. Needs: WRITE on the
 * audit-log handle from cap_lookup("audit"). Returns: the record's id in the integrity log, or
 * -status.
 */
ESTALOGIC_IMPORT(audit)
esta_i64 esta_audit(const char* kind_ptr, esta_u32 kind_len, const void* ptr, esta_u32 len);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* ESTALOGIC_H */

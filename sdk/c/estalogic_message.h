/* estalogic_message.h: helpers around messages, handles and statuses for guests written
 * against the generated estalogic.h: reading recv's info record (version 1, 72 bytes), a
 * message buffer that receives into caller-owned storage, a bounded list of handles to move
 * with a message, and status tests.
 *
 * Hand-written; header-only and freestanding (no libc, no allocation), valid C and C++. The
 * wrappers that call the kernel (esta_message_recv, esta_send_value) only link in a wasm32
 * guest; everything else also compiles natively. */
#ifndef ESTALOGIC_MESSAGE_H
#define ESTALOGIC_MESSAGE_H

#include "estalogic.h"
#include "estalogic_value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- statuses and handles -------------------------------------------------------------- */

/* Every call returns >= 0 on success and -status on failure. */
static inline int esta_failed(esta_i64 result) {
    return result < 0;
}

/* The status of a result: ESTA_OK for success, else the positive ESTA_* code. */
static inline esta_i32 esta_status(esta_i64 result) {
    return result < 0 ? (esta_i32)-result : ESTA_OK;
}

/* Whether a result is a handle value (0 is never a valid handle). */
static inline int esta_is_handle(esta_i64 result) {
    return result > 0 && result <= 0x7FFFFFFF;
}

/* ---- the info record ------------------------------------------------------------------- */

/* Whether the kernel wrote a record at least as large as the one this header knows. */
static inline int esta_info_valid(const esta_info* info) {
    return info->size >= ESTA_LIMIT_INFO_SIZE;
}

/* The message's priority (0..7), from bits 8..10 of its flags. */
static inline esta_u32 esta_info_priority(const esta_info* info) {
    return (info->flags & ESTA_SEND_PRIORITY_MASK) >> ESTA_SEND_PRIORITY_SHIFT;
}

/* How many handles arrived, never more than the record holds. */
static inline esta_u32 esta_info_handle_count(const esta_info* info) {
    return info->handles_n < ESTA_LIMIT_MAX_MESSAGE_HANDLES ? info->handles_n
                                                            : ESTA_LIMIT_MAX_MESSAGE_HANDLES;
}

/* The i-th handle that arrived with the message, or -ESTA_NOT_FOUND. */
static inline esta_handle esta_info_handle(const esta_info* info, esta_u32 i) {
    return i < esta_info_handle_count(info) ? info->handles[i] : -ESTA_NOT_FOUND;
}

/* Reads a record from raw bytes (for a record copied elsewhere, or one from a newer kernel):
 * the fields this header knows, in ABI order, little-endian. -ESTA_INVALID_ARGS when `len` or
 * the record's own size is below 72. */
static inline esta_i32 esta_info_decode(const void* raw, esta_u32 len, esta_info* out) {
    const esta_u8* at = (const esta_u8*)raw;
    if (len < ESTA_LIMIT_INFO_SIZE || esta_load_u32(at) < ESTA_LIMIT_INFO_SIZE) {
        return -ESTA_INVALID_ARGS;
    }
    out->size = esta_load_u32(at);
    out->type = esta_load_u32(at + 4);
    out->len = esta_load_u32(at + 8);
    out->flags = esta_load_u32(at + 12);
    out->seq = esta_load_u64(at + 16);
    out->time_ns = (esta_i64)esta_load_u64(at + 24);
    out->sender_badge = esta_load_u32(at + 32);
    out->handles_n = esta_load_u32(at + 36);
    for (int i = 0; i < 4; ++i)
        out->handles[i] = (esta_i32)esta_load_u32(at + 40 + 4 * i);
    for (int i = 0; i < 16; ++i)
        out->trace_id[i] = at[56 + i];
    return 0;
}

/* ---- handles moved with a message ------------------------------------------------------- */

typedef struct esta_handle_list {
    esta_handle values[ESTA_LIMIT_MAX_MESSAGE_HANDLES];
    esta_u32 count;
    esta_i32 error; /* sticky: ESTA_LIMIT when more than 4 were added */
} esta_handle_list;

static inline void esta_handle_list_init(esta_handle_list* list) {
    list->count = 0;
    list->error = 0;
}

static inline void esta_handle_list_add(esta_handle_list* list, esta_handle handle) {
    if (list->error) return;
    if (list->count >= ESTA_LIMIT_MAX_MESSAGE_HANDLES) {
        list->error = ESTA_LIMIT;
        return;
    }
    list->values[list->count++] = handle;
}

/* ---- a message buffer -------------------------------------------------------------------- */

/* Caller-owned storage for one received message: its payload and its info record. */
typedef struct esta_message {
    esta_u8* data;
    esta_u32 cap;
    esta_u32 len; /* the payload's length after a successful receive */
    esta_info info;
} esta_message;

static inline void esta_message_init(esta_message* message, void* data, esta_u32 cap) {
    message->data = (esta_u8*)data;
    message->cap = data ? cap : 0;
    message->len = 0;
}

/* A reader over the payload of the last message received. */
static inline esta_reader esta_message_reader(const esta_message* message) {
    esta_reader reader;
    esta_reader_init(&reader, message->data, message->len);
    return reader;
}

#if defined(__wasm__)
/* recv into the buffer: the payload's length, or -status (BUFFER_TOO_SMALL leaves the
 * message queued; info.len then says how much room it needs). */
static inline esta_i32 esta_message_recv(esta_message* message, esta_i64 timeout_ms,
                                         esta_i32 type_filter) {
    esta_i32 n = esta_recv(timeout_ms, type_filter, message->data, message->cap, &message->info);
    message->len = n >= 0 ? (esta_u32)n : 0;
    return n;
}

/* Sends what a writer holds (its sticky error, or the handle list's, is returned instead of
 * sending). `handles` may be 0. */
static inline esta_i64 esta_send_value(esta_handle to, esta_i32 type, const esta_writer* payload,
                                       const esta_handle_list* handles, esta_i32 flags) {
    esta_i32 len = esta_writer_finish(payload);
    if (len < 0) return len;
    if (handles && handles->error) return -handles->error;
    return esta_send(to, type, payload->data, (esta_u32)len, handles ? handles->values : 0,
                     handles ? handles->count : 0, flags);
}
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ESTALOGIC_MESSAGE_H */

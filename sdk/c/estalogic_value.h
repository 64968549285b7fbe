/* estalogic_value.h: builders and readers for the ABI's value encoding (ABI.md "Value
 * encoding"): what driver requests and replies, cap_derive's restrictions, spawn's grants,
 * cap_info's records and the module manifest are written in.
 *
 * Hand-written beside the generated estalogic.h; header-only and freestanding (no libc, no
 * allocation), valid C99/C11 and C++, for wasm32 guests and for native hosts alike.
 *
 * Errors are sticky: the first failure sets `error` (a positive ESTA_* status) and every
 * later call does nothing, so a sequence of calls is checked once at the end:
 *
 *     esta_writer w;
 *     esta_writer_init(&w, buf, sizeof buf);
 *     esta_put_list(&w, 2);
 *     esta_put_text(&w, "hours", 5);
 *     esta_put_i64(&w, 40);
 *     if (esta_writer_finish(&w) < 0) ...   // -ESTA_BUFFER_TOO_SMALL
 *
 * A reader never reads past its input and accepts exactly what the kernel's decoder accepts
 * (malformed input, including text that is not UTF-8, is ESTA_INVALID_ARGS). */
#ifndef ESTALOGIC_VALUE_H
#define ESTALOGIC_VALUE_H

#include "estalogic.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel's nesting bound (kMaxValueDepth): values deeper than this are malformed. */
#define ESTA_VALUE_MAX_DEPTH 32

/* ---- writer ---------------------------------------------------------------------------- */

typedef struct esta_writer {
    esta_u8* data;
    esta_u32 cap;
    esta_u32 len;
    esta_i32 error; /* 0, or the first failure's status (ESTA_BUFFER_TOO_SMALL) */
} esta_writer;

static inline void esta_writer_init(esta_writer* w, void* data, esta_u32 cap) {
    w->data = (esta_u8*)data;
    w->cap = data ? cap : 0;
    w->len = 0;
    w->error = 0;
}

/* The encoded length, or -status when any call failed. */
static inline esta_i32 esta_writer_finish(const esta_writer* w) {
    return w->error ? -w->error : (esta_i32)w->len;
}

/* Reserves n bytes and returns where they go, or 0 (and the sticky error) when they do not
 * fit. */
static inline esta_u8* esta_writer_reserve(esta_writer* w, esta_u32 n) {
    if (w->error) return 0;
    if (n > w->cap - w->len) {
        w->error = ESTA_BUFFER_TOO_SMALL;
        return 0;
    }
    esta_u8* at = w->data + w->len;
    w->len += n;
    return at;
}

static inline void esta_put_raw(esta_writer* w, const void* bytes, esta_u32 n) {
    esta_u8* at = esta_writer_reserve(w, n);
    if (!at) return;
#if defined(__wasm_bulk_memory__)
    /* One memory.copy instead of about five instructions a byte; freestanding builds without
     * bulk memory have no memcpy to call, hence the loop. */
    __builtin_memcpy(at, bytes, n);
#else
    const esta_u8* from = (const esta_u8*)bytes;
    for (esta_u32 i = 0; i < n; ++i)
        at[i] = from[i];
#endif
}

static inline void esta_store_u32(esta_u8* at, esta_u32 value) {
    for (int i = 0; i < 4; ++i)
        at[i] = (esta_u8)(value >> (8 * i));
}

static inline void esta_store_u64(esta_u8* at, esta_u64 value) {
    for (int i = 0; i < 8; ++i)
        at[i] = (esta_u8)(value >> (8 * i));
}

static inline void esta_put_tag(esta_writer* w, int tag) {
    esta_u8* at = esta_writer_reserve(w, 1);
    if (at) at[0] = (esta_u8)tag;
}

/* A tag followed by 8 little-endian bytes, reserved together so a failure writes nothing. */
static inline void esta_put_tag_u64(esta_writer* w, int tag, esta_u64 value) {
    esta_u8* at = esta_writer_reserve(w, 9);
    if (!at) return;
    at[0] = (esta_u8)tag;
    esta_store_u64(at + 1, value);
}

static inline void esta_put_tag_u32(esta_writer* w, int tag, esta_u32 value) {
    esta_u8* at = esta_writer_reserve(w, 5);
    if (!at) return;
    at[0] = (esta_u8)tag;
    esta_store_u32(at + 1, value);
}

static inline void esta_put_null(esta_writer* w) {
    esta_put_tag(w, ESTA_VALUE_NULL);
}

static inline void esta_put_bool(esta_writer* w, int value) {
    esta_put_tag(w, value ? ESTA_VALUE_TRUE : ESTA_VALUE_FALSE);
}

static inline void esta_put_i64(esta_writer* w, esta_i64 value) {
    esta_put_tag_u64(w, ESTA_VALUE_I64, (esta_u64)value);
}

static inline void esta_put_f64(esta_writer* w, esta_f64 value) {
    esta_u64 bits;
    __builtin_memcpy(&bits, &value, sizeof bits);
    esta_put_tag_u64(w, ESTA_VALUE_F64, bits);
}

static inline void esta_put_timestamp(esta_writer* w, esta_i64 ns) {
    esta_put_tag_u64(w, ESTA_VALUE_TIMESTAMP, (esta_u64)ns);
}

/* UTF-8 text: the caller vouches for the encoding (the kernel refuses invalid text). */
static inline void esta_put_text(esta_writer* w, const char* text, esta_u32 n) {
    if (w->error) return;
    if (n > w->cap - w->len || 5 > w->cap - w->len - n) {
        w->error = ESTA_BUFFER_TOO_SMALL;
        return;
    }
    esta_put_tag_u32(w, ESTA_VALUE_TEXT, n);
    esta_put_raw(w, text, n);
}

static inline void esta_put_bytes(esta_writer* w, const void* bytes, esta_u32 n) {
    if (w->error) return;
    if (n > w->cap - w->len || 5 > w->cap - w->len - n) {
        w->error = ESTA_BUFFER_TOO_SMALL;
        return;
    }
    esta_put_tag_u32(w, ESTA_VALUE_BYTES, n);
    esta_put_raw(w, bytes, n);
}

/* A list header: exactly `count` values must follow. */
static inline void esta_put_list(esta_writer* w, esta_u32 count) {
    esta_put_tag_u32(w, ESTA_VALUE_LIST, count);
}

/* A map header: exactly `count` (esta_put_key, value) pairs must follow. */
static inline void esta_put_map(esta_writer* w, esta_u32 count) {
    esta_put_tag_u32(w, ESTA_VALUE_MAP, count);
}

/* A map key: UTF-8 text without its tag. */
static inline void esta_put_key(esta_writer* w, const char* key, esta_u32 n) {
    if (w->error) return;
    if (n > w->cap - w->len || 4 > w->cap - w->len - n) {
        w->error = ESTA_BUFFER_TOO_SMALL;
        return;
    }
    esta_store_u32(esta_writer_reserve(w, 4), n);
    esta_put_raw(w, key, n);
}

static inline void esta_put_uuid(esta_writer* w, const esta_u8 uuid[16]) {
    esta_u8* at = esta_writer_reserve(w, 17);
    if (!at) return;
    at[0] = ESTA_VALUE_UUID;
    for (int i = 0; i < 16; ++i)
        at[1 + i] = uuid[i];
}

static inline void esta_put_decimal(esta_writer* w, esta_i64 unscaled, esta_u8 scale) {
    esta_u8* at = esta_writer_reserve(w, 10);
    if (!at) return;
    at[0] = ESTA_VALUE_DECIMAL;
    esta_store_u64(at + 1, (esta_u64)unscaled);
    at[9] = scale;
}

/* ---- reader ---------------------------------------------------------------------------- */

typedef struct esta_reader {
    const esta_u8* data;
    esta_u32 len;
    esta_u32 pos;
    esta_i32 error; /* 0, or the first failure's status (ESTA_INVALID_ARGS) */
} esta_reader;

static inline void esta_reader_init(esta_reader* r, const void* data, esta_u32 len) {
    r->data = (const esta_u8*)data;
    r->len = data ? len : 0;
    r->pos = 0;
    r->error = 0;
}

static inline esta_u32 esta_reader_remaining(const esta_reader* r) {
    return r->len - r->pos;
}

/* 0 when every call succeeded and the input was read to its end, else -status. */
static inline esta_i32 esta_reader_finish(const esta_reader* r) {
    if (r->error) return -r->error;
    return r->pos == r->len ? 0 : -ESTA_INVALID_ARGS;
}

static inline void esta_reader_fail(esta_reader* r) {
    if (!r->error) r->error = ESTA_INVALID_ARGS;
}

/* Takes n bytes, or 0 (and the sticky error) when fewer remain. */
static inline const esta_u8* esta_reader_take(esta_reader* r, esta_u32 n) {
    if (r->error) return 0;
    if (n > esta_reader_remaining(r)) {
        esta_reader_fail(r);
        return 0;
    }
    const esta_u8* at = r->data + r->pos;
    r->pos += n;
    return at;
}

static inline esta_u32 esta_load_u32(const esta_u8* at) {
    return (esta_u32)at[0] | ((esta_u32)at[1] << 8) | ((esta_u32)at[2] << 16) |
           ((esta_u32)at[3] << 24);
}

static inline esta_u64 esta_load_u64(const esta_u8* at) {
    return (esta_u64)esta_load_u32(at) | ((esta_u64)esta_load_u32(at + 4) << 32);
}

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static inline int esta_utf8_valid(const esta_u8* text, esta_u32 n) {
    esta_u32 i = 0;
    while (i < n) {
        esta_u8 lead = text[i];
        esta_u32 length;
        esta_u32 code;
        esta_u32 least;
        if (lead < 0x80) {
            ++i;
            continue;
        } else if ((lead & 0xE0) == 0xC0) {
            length = 2, code = lead & 0x1Fu, least = 0x80;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3, code = lead & 0x0Fu, least = 0x800;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4, code = lead & 0x07u, least = 0x10000;
        } else {
            return 0;
        }
        if (length > n - i) return 0;
        for (esta_u32 k = 1; k < length; ++k) {
            if ((text[i + k] & 0xC0) != 0x80) return 0;
            code = (code << 6) | (text[i + k] & 0x3Fu);
        }
        if (code < least || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
        i += length;
    }
    return 1;
}

/* The next value's tag without taking it, or -1 at the end or after an error. */
static inline int esta_peek_tag(const esta_reader* r) {
    if (r->error || r->pos >= r->len) return -1;
    return r->data[r->pos];
}

/* Takes a tag that must be `tag`. */
static inline int esta_expect_tag(esta_reader* r, int tag) {
    const esta_u8* at = esta_reader_take(r, 1);
    if (!at) return 0;
    if (*at != tag) {
        --r->pos; /* A mismatch leaves the cursor on the value, as the sticky error does. */
        esta_reader_fail(r);
        return 0;
    }
    return 1;
}

static inline esta_u64 esta_get_tag_u64(esta_reader* r, int tag) {
    if (!esta_expect_tag(r, tag)) return 0;
    const esta_u8* at = esta_reader_take(r, 8);
    return at ? esta_load_u64(at) : 0;
}

static inline void esta_get_null(esta_reader* r) {
    (void)esta_expect_tag(r, ESTA_VALUE_NULL);
}

/* 1 for true, 0 for false (and on error). */
static inline int esta_get_bool(esta_reader* r) {
    int tag = esta_peek_tag(r);
    if (tag == ESTA_VALUE_TRUE || tag == ESTA_VALUE_FALSE) {
        ++r->pos;
        return tag == ESTA_VALUE_TRUE;
    }
    esta_reader_fail(r);
    return 0;
}

static inline esta_i64 esta_get_i64(esta_reader* r) {
    return (esta_i64)esta_get_tag_u64(r, ESTA_VALUE_I64);
}

static inline esta_f64 esta_get_f64(esta_reader* r) {
    esta_u64 bits = esta_get_tag_u64(r, ESTA_VALUE_F64);
    esta_f64 value;
    __builtin_memcpy(&value, &bits, sizeof value);
    return value;
}

static inline esta_i64 esta_get_timestamp(esta_reader* r) {
    return (esta_i64)esta_get_tag_u64(r, ESTA_VALUE_TIMESTAMP);
}

/* A u32 length and that many bytes; returns them (inside the input) and sets *n. */
static inline const esta_u8* esta_get_counted(esta_reader* r, esta_u32* n) {
    *n = 0;
    const esta_u8* length = esta_reader_take(r, 4);
    if (!length) return 0;
    esta_u32 count = esta_load_u32(length);
    const esta_u8* at = esta_reader_take(r, count);
    if (at) *n = count;
    return at;
}

/* Text (checked UTF-8, not NUL-terminated) inside the input; 0 and *n = 0 on error. */
static inline const char* esta_get_text(esta_reader* r, esta_u32* n) {
    *n = 0;
    if (!esta_expect_tag(r, ESTA_VALUE_TEXT)) return 0;
    const esta_u8* at = esta_get_counted(r, n);
    if (at && !esta_utf8_valid(at, *n)) {
        *n = 0;
        esta_reader_fail(r);
        return 0;
    }
    return (const char*)at;
}

static inline const esta_u8* esta_get_bytes(esta_reader* r, esta_u32* n) {
    *n = 0;
    if (!esta_expect_tag(r, ESTA_VALUE_BYTES)) return 0;
    return esta_get_counted(r, n);
}

/* A count that cannot be right (more elements than bytes left to hold them) is malformed,
 * as in the kernel, so a caller may size loops by it. */
static inline esta_u32 esta_get_count(esta_reader* r, int tag, esta_u32 min_element_size) {
    if (!esta_expect_tag(r, tag)) return 0;
    const esta_u8* at = esta_reader_take(r, 4);
    if (!at) return 0;
    esta_u32 count = esta_load_u32(at);
    if ((esta_u64)count * min_element_size > esta_reader_remaining(r)) {
        esta_reader_fail(r);
        return 0;
    }
    return count;
}

/* A list header: the number of values that follow. */
static inline esta_u32 esta_get_list(esta_reader* r) {
    return esta_get_count(r, ESTA_VALUE_LIST, 1);
}

/* A map header: the number of (esta_get_key, value) pairs that follow. */
static inline esta_u32 esta_get_map(esta_reader* r) {
    return esta_get_count(r, ESTA_VALUE_MAP, 5);
}

/* A map key (UTF-8 text without its tag). */
static inline const char* esta_get_key(esta_reader* r, esta_u32* n) {
    const esta_u8* at = esta_get_counted(r, n);
    if (at && !esta_utf8_valid(at, *n)) {
        *n = 0;
        esta_reader_fail(r);
        return 0;
    }
    return (const char*)at;
}

/* Copies the 16 bytes into out (zeros on error). */
static inline void esta_get_uuid(esta_reader* r, esta_u8 out[16]) {
    const esta_u8* at = esta_expect_tag(r, ESTA_VALUE_UUID) ? esta_reader_take(r, 16) : 0;
    for (int i = 0; i < 16; ++i)
        out[i] = at ? at[i] : 0;
}

static inline void esta_get_decimal(esta_reader* r, esta_i64* unscaled, esta_u8* scale) {
    *unscaled = (esta_i64)esta_get_tag_u64(r, ESTA_VALUE_DECIMAL);
    const esta_u8* at = esta_reader_take(r, 1);
    *scale = at ? *at : 0;
}

/* Skips one whole value, nested ones included, checking it as the kernel does. Iterative: an
 * explicit stack of ESTA_VALUE_MAX_DEPTH + 1 open containers, no recursion. */
static inline void esta_skip_value(esta_reader* r) {
    struct open_container {
        esta_u32 left; /* values (list) or entries (map) still to read */
        int is_map;
    } stack[ESTA_VALUE_MAX_DEPTH + 1];
    esta_u32 depth = 0;
    for (;;) {
        if (r->error) return;
        if (depth > 0) {
            struct open_container* top = &stack[depth - 1];
            if (top->left == 0) {
                --depth;
                if (depth == 0) return;
                continue;
            }
            --top->left;
            if (top->is_map) {
                esta_u32 n;
                (void)esta_get_key(r, &n);
                if (r->error) return;
            }
        }
        if (depth > ESTA_VALUE_MAX_DEPTH) {
            esta_reader_fail(r);
            return;
        }
        esta_u32 n;
        switch (esta_peek_tag(r)) {
            case ESTA_VALUE_NULL:
            case ESTA_VALUE_FALSE:
            case ESTA_VALUE_TRUE:
                ++r->pos;
                break;
            case ESTA_VALUE_I64:
            case ESTA_VALUE_F64:
            case ESTA_VALUE_TIMESTAMP:
                (void)esta_get_tag_u64(r, esta_peek_tag(r));
                break;
            case ESTA_VALUE_TEXT:
                (void)esta_get_text(r, &n);
                break;
            case ESTA_VALUE_BYTES:
                (void)esta_get_bytes(r, &n);
                break;
            case ESTA_VALUE_UUID:
                ++r->pos;
                (void)esta_reader_take(r, 16);
                break;
            case ESTA_VALUE_DECIMAL:
                ++r->pos;
                (void)esta_reader_take(r, 9);
                break;
            case ESTA_VALUE_LIST:
            case ESTA_VALUE_MAP: {
                int is_map = esta_peek_tag(r) == ESTA_VALUE_MAP;
                n = is_map ? esta_get_map(r) : esta_get_list(r);
                if (r->error) return;
                stack[depth].left = n;
                stack[depth].is_map = is_map;
                ++depth;
                continue; /* An empty container is closed by the check at the top. */
            }
            default: /* An unknown tag, or the end of the input. */
                esta_reader_fail(r);
                return;
        }
        if (depth == 0) return;
    }
}

/* Looks up `key` in the map at r's cursor without moving r: on success *value is a reader
 * over exactly that entry's value and the result is 1; 0 when the key is absent, -status
 * when the map is malformed (*value is then an empty reader). */
static inline int esta_map_find(const esta_reader* r, const char* key, esta_u32 key_len,
                                esta_reader* value) {
    esta_reader walk = *r;
    esta_reader_init(value, 0, 0);
    esta_u32 count = esta_get_map(&walk);
    for (esta_u32 i = 0; i < count && !walk.error; ++i) {
        esta_u32 n;
        const char* name = esta_get_key(&walk, &n);
        esta_u32 start = walk.pos;
        esta_skip_value(&walk);
        if (walk.error || n != key_len) continue;
        int same = 1;
        for (esta_u32 k = 0; k < n && same; ++k)
            same = name[k] == key[k];
        if (same) {
            esta_reader_init(value, walk.data + start, walk.pos - start);
            return 1;
        }
    }
    return walk.error ? -walk.error : 0;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ESTALOGIC_VALUE_H */

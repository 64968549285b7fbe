/* Shared by the guest test modules (compiled for wasm32, freestanding): message types the
 * tests agree on, and the report every module sends to its "report" grant: a value-encoded
 * map of check name -> i64 result that guests_*_test.cc decodes and compares, status by
 * status. */
#ifndef ESTA_GUEST_H
#define ESTA_GUEST_H

#include "estalogic_message.h"
#include "estalogic_value.h"

#define GUEST_MSG_PING 0x10
#define GUEST_MSG_PONG 0x11
#define GUEST_MSG_CHAIN_A 0x20
#define GUEST_MSG_CHAIN_B 0x21
#define GUEST_MSG_FLOOD 0x30
#define GUEST_MSG_HANDLE_VALUE 0x40
#define GUEST_MSG_CARRY_HANDLE 0x50
#define GUEST_MSG_HELPER_DONE 0x51
#define GUEST_MSG_REVOKED 0x52
#define GUEST_MSG_WAKE 0x60
#define GUEST_MSG_REPORT 0x7E

#define GUEST_EXPORT(name) __attribute__((export_name(name)))

static inline esta_u32 guest_strlen(const char* text) {
    esta_u32 n = 0;
    while (text[n])
        ++n;
    return n;
}

static inline esta_handle guest_lookup(const char* name) {
    return esta_cap_lookup(name, guest_strlen(name));
}

/* The report under construction: a map whose count is patched in when it is sent. */
static esta_u8 guest_report_buffer[4096];
static esta_writer guest_report_writer;
static esta_u32 guest_report_entries;

static inline void guest_report_begin(void) {
    esta_writer_init(&guest_report_writer, guest_report_buffer, sizeof guest_report_buffer);
    esta_put_map(&guest_report_writer, 0);
    guest_report_entries = 0;
}

static inline void guest_report_key(const char* name) {
    esta_put_key(&guest_report_writer, name, guest_strlen(name));
    ++guest_report_entries;
}

static inline void guest_report(const char* name, esta_i64 value) {
    guest_report_key(name);
    esta_put_i64(&guest_report_writer, value);
}

/* "name" followed by a decimal index, e.g. send7, for per-step entries. */
static inline void guest_report_indexed(const char* name, esta_u32 index, esta_i64 value) {
    char key[32];
    esta_u32 n = 0;
    while (name[n] && n < 20) {
        key[n] = name[n];
        ++n;
    }
    char digits[10];
    esta_u32 count = 0;
    do {
        digits[count++] = (char)('0' + index % 10);
        index /= 10;
    } while (index);
    while (count)
        key[n++] = digits[--count];
    esta_put_key(&guest_report_writer, key, n);
    esta_put_i64(&guest_report_writer, value);
    ++guest_report_entries;
}

/* Sends the report to the "report" grant: the send's result (or the writer's error). */
static inline esta_i64 guest_report_send(void) {
    if (guest_report_writer.error) return -guest_report_writer.error;
    esta_store_u32(guest_report_buffer + 1, guest_report_entries);
    return esta_send_value(guest_lookup("report"), GUEST_MSG_REPORT, &guest_report_writer, 0, 0);
}

/* A payload of one i64 (what most test messages carry). */
static inline esta_i64 guest_send_i64(esta_handle to, esta_i32 type, esta_i64 value,
                                      esta_i32 flags) {
    esta_u8 buffer[9];
    esta_writer w;
    esta_writer_init(&w, buffer, sizeof buffer);
    esta_put_i64(&w, value);
    return esta_send_value(to, type, &w, 0, flags);
}

#endif /* ESTA_GUEST_H */

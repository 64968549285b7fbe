/* The ESTA event and decision JSON-lines formats, version 1 (docs/ESTA.md, V-1).
 *
 * Freestanding like the rules: no allocation, no libc. Parsed strings are views into the
 * caller's input buffer; the decision is written into a caller-provided buffer.
 */
#ifndef ESTA_JSON_H
#define ESTA_JSON_H

#include "esta_rules.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESTA_FORMAT_VERSION 1

/* A view of `length` bytes of JSON string content (escapes left as written). */
typedef struct esta_text {
    const char* data;
    int32_t length;
} esta_text;

/* One event line: who it concerns, plus the event the rules decide. */
typedef struct esta_event_record {
    int32_t format_version;
    esta_text id;
    esta_text employer;
    esta_text employee; /* empty for headcount reports */
    esta_event event;
} esta_event_record;

typedef enum esta_json_status {
    ESTA_JSON_OK = 0,
    ESTA_JSON_SYNTAX = -1,        /* not a flat JSON object */
    ESTA_JSON_NEWER_VERSION = -2, /* "v" is newer than ESTA_FORMAT_VERSION */
    ESTA_JSON_MISSING_FIELD = -3, /* "v", "type" or "date" absent */
    ESTA_JSON_BAD_VALUE = -4,     /* a known field has the wrong type or an unknown name */
} esta_json_status;

/* Parses one event line. Dates that are not real days parse as ESTA_NO_DATE so the rules
 * reject them with reason invalid_date; "processed" defaults to "date". Unknown keys are
 * ignored (a newer writer may add fields without a version bump). */
int32_t esta_parse_event_json(const char* text, int32_t length, esta_event_record* out);

/* Writes the decision for `record` as one JSON object (no newline). Returns its length, or
 * -1 when it does not fit in `capacity` bytes. */
int32_t esta_write_decision_json(const esta_event_record* record, const esta_decision* decision,
                                 char* buffer, int32_t capacity);

/* One call for a host that keeps the states as bytes (a wasm host, the reactive module):
 * parses the event line, decides it with the given states, overwrites them with the new
 * states, and writes the decision line. Returns the decision's length, an esta_json_status
 * (< 0) when the line is not a v1 event (states untouched), or ESTA_JSON_BUFFER_TOO_SMALL. */
#define ESTA_JSON_BUFFER_TOO_SMALL (-5)
int32_t esta_decide_json(const char* event_line, int32_t length, esta_employer_state* employer,
                         esta_employee_state* employee, char* decision, int32_t capacity);

/* Writes a day number as "YYYY-MM-DD" (10 bytes, no terminator). */
void esta_format_date(int32_t days, char out[10]);

/* Parses "YYYY-MM-DD"; ESTA_NO_DATE unless it names a real day in the supported range. */
int32_t esta_parse_date(const char* text, int32_t length);

#ifdef __cplusplus
}
#endif

#endif /* ESTA_JSON_H */

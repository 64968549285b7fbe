/* Event and decision JSON lines, version 1; see esta_json.h and docs/ESTA.md. */
#include "esta_json.h"

/* ---- Reading. -------------------------------------------------------------------------- */

typedef struct json_cursor {
    const char* text;
    int32_t length;
    int32_t pos;
} json_cursor;

/* A scalar value as found: a string view, a number or a literal. */
typedef enum value_type {
    VALUE_STRING,
    VALUE_NUMBER,
    VALUE_TRUE,
    VALUE_FALSE,
    VALUE_NULL
} value_type;

typedef struct json_value {
    value_type type;
    esta_text string;
    int32_t number;
} json_value;

/* Byte copies and comparisons: one memory.copy in a wasm32 build with bulk memory (a byte
 * loop costs about five instructions a byte there), the C library's natively. */
static void copy_bytes(char* to, const char* from, int32_t n) {
#if defined(__wasm_bulk_memory__) || __STDC_HOSTED__
    __builtin_memcpy(to, from, (unsigned long)n);
#else
    for (int32_t i = 0; i < n; ++i)
        to[i] = from[i];
#endif
}

static bool same_bytes(const char* a, const char* b, int32_t n) {
    for (int32_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

/* The length first: a parsed key is matched against every known key, and most differ. */
static bool text_is(esta_text text, const char* literal, int32_t length) {
    return text.length == length && same_bytes(text.data, literal, length);
}
#define TEXT_EQUALS(text, literal) text_is((text), (literal), (int32_t)sizeof(literal) - 1)

/* The scanning loops work on local copies of the cursor and store it back once: the cursor's
 * address is taken, so in a wasm32 build every `c->pos` would be a load or store of memory. */
static int32_t after_space(const char* text, int32_t pos, int32_t length) {
    while (pos < length) {
        const char ch = text[pos];
        if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') break;
        ++pos;
    }
    return pos;
}

static void skip_space(json_cursor* c) {
    c->pos = after_space(c->text, c->pos, c->length);
}

static bool consume(json_cursor* c, char expected) {
    const int32_t pos = after_space(c->text, c->pos, c->length);
    if (pos >= c->length || c->text[pos] != expected) {
        c->pos = pos;
        return false;
    }
    c->pos = pos + 1;
    return true;
}

/* A string's content up to the closing quote; escapes are skipped over, not decoded. */
static bool read_string(json_cursor* c, esta_text* out) {
    if (!consume(c, '"')) return false;
    const char* text = c->text;
    const int32_t length = c->length;
    const int32_t start = c->pos;
    int32_t pos = start;
    while (pos < length && text[pos] != '"') {
        if (text[pos] == '\\') ++pos;
        ++pos;
    }
    out->data = text + start;
    if (pos >= length) {
        c->pos = pos;
        return false;
    }
    out->length = pos - start;
    c->pos = pos + 1; /* closing quote */
    return true;
}

/* An integer that fits in int32; fractions and exponents are refused (A-8: exact minutes). */
static bool read_number(json_cursor* c, int32_t* out) {
    const char* text = c->text;
    const int32_t length = c->length;
    int32_t pos = c->pos;
    bool negative = false;
    if (pos < length && text[pos] == '-') {
        negative = true;
        ++pos;
    }
    int64_t value = 0;
    int32_t digits = 0;
    bool fits = true;
    while (pos < length && text[pos] >= '0' && text[pos] <= '9') {
        value = value * 10 + (text[pos] - '0');
        if (value > 2147483648LL) {
            fits = false;
            break;
        }
        ++pos;
        ++digits;
    }
    c->pos = pos;
    if (!fits || digits == 0) return false;
    if (negative) value = -value;
    if (value > 2147483647LL) return false;
    *out = (int32_t)value;
    return true;
}

static bool read_literal(json_cursor* c, const char* word) {
    for (int32_t i = 0; word[i] != '\0'; ++i, ++c->pos) {
        if (c->pos >= c->length || c->text[c->pos] != word[i]) return false;
    }
    return true;
}

static bool read_value(json_cursor* c, json_value* out) {
    out->string.data = "";
    out->string.length = 0;
    out->number = 0;
    skip_space(c);
    if (c->pos >= c->length) return false;
    const char ch = c->text[c->pos];
    if (ch == '"') {
        out->type = VALUE_STRING;
        return read_string(c, &out->string);
    }
    if (ch == 't') {
        out->type = VALUE_TRUE;
        return read_literal(c, "true");
    }
    if (ch == 'f') {
        out->type = VALUE_FALSE;
        return read_literal(c, "false");
    }
    if (ch == 'n') {
        out->type = VALUE_NULL;
        return read_literal(c, "null");
    }
    out->type = VALUE_NUMBER;
    return read_number(c, &out->number);
}

static int32_t digits_value(const char* text, int32_t count) {
    int32_t value = 0;
    for (int32_t i = 0; i < count; ++i) {
        if (text[i] < '0' || text[i] > '9') return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

int32_t esta_parse_date(const char* text, int32_t length) {
    if (length != 10 || text[4] != '-' || text[7] != '-') return ESTA_NO_DATE;
    const int32_t year = digits_value(text, 4);
    const int32_t month = digits_value(text + 5, 2);
    const int32_t day = digits_value(text + 8, 2);
    if (!esta_civil_valid(year, month, day)) return ESTA_NO_DATE;
    return esta_days_from_civil(year, month, day);
}

static int32_t event_kind_from_name(esta_text name) {
    for (int32_t kind = ESTA_EVENT_HIRE; kind <= ESTA_EVENT_HEADCOUNT; ++kind) {
        const char* known = esta_event_kind_name(kind);
        int32_t length = 0;
        while (known[length] != '\0')
            ++length;
        if (text_is(name, known, length)) return kind;
    }
    return 0;
}

/* "MM-DD" of the benefit-year start; validity is the rules' job (invalid_policy). */
static bool parse_year_start(esta_text text, esta_policy* policy) {
    if (text.length != 5 || text.data[2] != '-') return false;
    const int32_t month = digits_value(text.data, 2);
    const int32_t day = digits_value(text.data + 3, 2);
    if (month < 0 || day < 0) return false;
    policy->year_start_month = (uint8_t)month;
    policy->year_start_day = (uint8_t)day;
    return true;
}

typedef struct seen_fields {
    bool version, type, date, processed;
} seen_fields;

static bool is_bool(const json_value* v) {
    return v->type == VALUE_TRUE || v->type == VALUE_FALSE;
}

/* Policy fields of a hire event. Returns false for a known key with a bad value. */
static bool apply_policy_field(esta_text key, const json_value* v, esta_policy* policy) {
    uint8_t* flag = 0;
    if (TEXT_EQUALS(key, "use_cap")) flag = &policy->use_cap;
    if (TEXT_EQUALS(key, "accrual_cap")) flag = &policy->accrual_cap;
    if (TEXT_EQUALS(key, "unlimited_carryover")) flag = &policy->unlimited_carryover;
    if (TEXT_EQUALS(key, "prorate")) flag = &policy->frontload_prorate;
    if (flag != 0) {
        if (!is_bool(v)) return false;
        *flag = v->type == VALUE_TRUE ? 1 : 0;
        return true;
    }
    if (TEXT_EQUALS(key, "method")) {
        if (v->type != VALUE_STRING) return false;
        if (TEXT_EQUALS(v->string, "accrual"))
            policy->method = ESTA_METHOD_ACCRUAL;
        else if (TEXT_EQUALS(v->string, "frontload"))
            policy->method = ESTA_METHOD_FRONTLOAD;
        else
            return false;
        return true;
    }
    if (TEXT_EQUALS(key, "waiting_days")) {
        if (v->type != VALUE_NUMBER) return false;
        policy->waiting_days = v->number;
        return true;
    }
    if (TEXT_EQUALS(key, "year_start")) {
        return v->type == VALUE_STRING && parse_year_start(v->string, policy);
    }
    return true; /* not a policy field */
}

static bool apply_field(esta_text key, const json_value* v, esta_event_record* out,
                        seen_fields* seen) {
    esta_event* ev = &out->event;
    const bool string = v->type == VALUE_STRING;
    if (TEXT_EQUALS(key, "v")) {
        seen->version = true;
        out->format_version = v->number;
        return v->type == VALUE_NUMBER;
    }
    if (TEXT_EQUALS(key, "type")) {
        seen->type = true;
        ev->kind = string ? event_kind_from_name(v->string) : 0;
        return ev->kind != 0;
    }
    if (TEXT_EQUALS(key, "id")) return string && (out->id = v->string, true);
    if (TEXT_EQUALS(key, "employer")) return string && (out->employer = v->string, true);
    if (TEXT_EQUALS(key, "employee")) return string && (out->employee = v->string, true);
    if (TEXT_EQUALS(key, "date")) {
        seen->date = true;
        ev->date = string ? esta_parse_date(v->string.data, v->string.length) : ESTA_NO_DATE;
        return string;
    }
    if (TEXT_EQUALS(key, "processed")) {
        seen->processed = true;
        ev->processed_on =
            string ? esta_parse_date(v->string.data, v->string.length) : ESTA_NO_DATE;
        return string;
    }
    if (TEXT_EQUALS(key, "first_employee")) {
        if (v->type == VALUE_NULL) return true;
        ev->employer_first_hire =
            string ? esta_parse_date(v->string.data, v->string.length) : ESTA_NO_DATE;
        return string;
    }
    if (TEXT_EQUALS(key, "minutes"))
        return v->type == VALUE_NUMBER && (ev->minutes = v->number, true);
    if (TEXT_EQUALS(key, "headcount")) {
        return v->type == VALUE_NUMBER && (ev->headcount = v->number, true);
    }
    return apply_policy_field(key, v, &ev->policy);
}

static void clear_record(esta_event_record* out) {
    const esta_text empty = {"", 0};
    out->format_version = 0;
    out->id = empty;
    out->employer = empty;
    out->employee = empty;
    out->event.kind = 0;
    out->event.date = ESTA_NO_DATE;
    out->event.processed_on = ESTA_NO_DATE;
    out->event.minutes = 0;
    out->event.headcount = 0;
    out->event.employer_first_hire = ESTA_NO_DATE;
    out->event.policy = esta_default_policy();
}

int32_t esta_parse_event_json(const char* text, int32_t length, esta_event_record* out) {
    clear_record(out);
    json_cursor c = {text, length, 0};
    seen_fields seen = {false, false, false, false};
    if (!consume(&c, '{')) return ESTA_JSON_SYNTAX;
    bool first = true;
    while (!consume(&c, '}')) {
        if (!first && !consume(&c, ',')) return ESTA_JSON_SYNTAX;
        first = false;
        esta_text key;
        json_value value;
        if (!read_string(&c, &key) || !consume(&c, ':') || !read_value(&c, &value)) {
            return ESTA_JSON_SYNTAX;
        }
        if (!apply_field(key, &value, out, &seen)) return ESTA_JSON_BAD_VALUE;
    }
    skip_space(&c);
    if (c.pos != c.length) return ESTA_JSON_SYNTAX;
    if (!seen.version || !seen.type || !seen.date) return ESTA_JSON_MISSING_FIELD;
    if (out->format_version > ESTA_FORMAT_VERSION) return ESTA_JSON_NEWER_VERSION;
    if (!seen.processed) out->event.processed_on = out->event.date;
    return ESTA_JSON_OK;
}

/* ---- Writing. -------------------------------------------------------------------------- */

typedef struct json_writer {
    char* buffer;
    int32_t capacity;
    int32_t length;
    bool overflow;
} json_writer;

static void put_char(json_writer* w, char ch) {
    if (w->length >= w->capacity) {
        w->overflow = true;
        return;
    }
    w->buffer[w->length++] = ch;
}

/* One capacity check per run of bytes rather than per byte: the writer is the hottest part
 * of a decision. */
static void put_bytes(json_writer* w, const char* data, int32_t length) {
    if (length > w->capacity - w->length) {
        w->overflow = true;
        return;
    }
    copy_bytes(w->buffer + w->length, data, length);
    w->length += length;
}

static int32_t literal_length(const char* text) {
    int32_t length = 0;
    while (text[length] != '\0')
        ++length;
    return length;
}

static void put_literal(json_writer* w, const char* text) {
    put_bytes(w, text, literal_length(text));
}

/* A string literal, its length known at compile time. */
#define PUT_LITERAL(w, literal) put_bytes((w), (literal), (int32_t)sizeof(literal) - 1)

static void put_int(json_writer* w, int32_t value) {
    char digits[11];
    int32_t count = 0;
    int64_t magnitude = value;
    if (magnitude < 0) {
        put_char(w, '-');
        magnitude = -magnitude;
    }
    do {
        digits[count++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    while (count > 0)
        put_char(w, digits[--count]);
}

void esta_format_date(int32_t days, char out[10]) {
    const esta_civil c = esta_civil_from_days(days);
    const int32_t parts[3] = {c.year, c.month, c.day};
    const int32_t widths[3] = {4, 2, 2};
    int32_t pos = 0;
    for (int32_t part = 0; part < 3; ++part) {
        if (part > 0) out[pos++] = '-';
        int32_t value = parts[part];
        for (int32_t i = widths[part] - 1; i >= 0; --i) {
            out[pos + i] = (char)('0' + value % 10);
            value /= 10;
        }
        pos += widths[part];
    }
}

/* ,"key": (the key a string literal) */
#define PUT_KEY(w, key) PUT_LITERAL((w), ",\"" key "\":")

static void put_quoted(json_writer* w, const char* prefix, int32_t prefix_length, const char* value,
                       int32_t length) {
    put_bytes(w, prefix, prefix_length);
    put_char(w, '"');
    put_bytes(w, value, length);
    put_char(w, '"');
}

#define PUT_STRING_FIELD(w, key, value)                                                \
    do {                                                                               \
        const char* value_ = (value);                                                  \
        put_quoted((w), ",\"" key "\":", (int32_t)sizeof(",\"" key "\":") - 1, value_, \
                   literal_length(value_));                                            \
    } while (0)
#define PUT_TEXT_FIELD(w, key, text)                                                    \
    put_quoted((w), ",\"" key "\":", (int32_t)sizeof(",\"" key "\":") - 1, (text).data, \
               (text).length)
#define PUT_INT_FIELD(w, key, value) \
    do {                             \
        PUT_KEY((w), key);           \
        put_int((w), (value));       \
    } while (0)

static void put_explanations(json_writer* w, const esta_decision* d) {
    PUT_KEY(w, "explain");
    put_char(w, '[');
    for (int32_t i = 0; i < d->explanation_count; ++i) {
        const esta_explanation* e = &d->explanations[i];
        if (i > 0) put_char(w, ',');
        PUT_LITERAL(w, "{\"code\":\"");
        put_literal(w, esta_explain_code_name(e->code));
        PUT_LITERAL(w, "\",\"value\":");
        if (e->code == ESTA_EXPLAIN_EXEMPT_UNTIL) {
            char date[10];
            esta_format_date(e->value, date);
            put_char(w, '"');
            put_bytes(w, date, 10);
            put_char(w, '"');
        } else {
            put_int(w, e->value);
        }
        put_char(w, '}');
    }
    put_char(w, ']');
}

int32_t esta_write_decision_json(const esta_event_record* record, const esta_decision* d,
                                 char* buffer, int32_t capacity) {
    json_writer w = {buffer, capacity, 0, false};
    PUT_LITERAL(&w, "{\"v\":1");
    PUT_TEXT_FIELD(&w, "event", record->id);
    PUT_TEXT_FIELD(&w, "employer", record->employer);
    PUT_TEXT_FIELD(&w, "employee", record->employee);
    PUT_STRING_FIELD(&w, "type", esta_event_kind_name(record->event.kind));
    PUT_STRING_FIELD(&w, "kind", esta_decision_kind_name(d->kind));
    PUT_STRING_FIELD(&w, "reason", esta_reason_name(d->reason));
    PUT_KEY(&w, "rule");
    put_char(&w, '"');
    put_literal(&w, d->ruleset_version != 0 ? d->ruleset_version : "none");
    put_char(&w, '/');
    put_literal(&w, esta_section_name(d->section));
    put_char(&w, '"');
    PUT_STRING_FIELD(&w, "requirement", esta_section_requirement(d->section));
    PUT_STRING_FIELD(&w, "size",
                     d->size == ESTA_SIZE_LARGE   ? "large"
                     : d->size == ESTA_SIZE_SMALL ? "small"
                                                  : "unknown");
    PUT_INT_FIELD(&w, "accrued", d->accrued_minutes);
    PUT_INT_FIELD(&w, "frontloaded", d->frontloaded_minutes);
    PUT_INT_FIELD(&w, "approved", d->approved_minutes);
    PUT_INT_FIELD(&w, "carried", d->carried_minutes);
    PUT_INT_FIELD(&w, "forfeited", d->forfeited_minutes);
    PUT_INT_FIELD(&w, "balance", d->balance_minutes);
    PUT_INT_FIELD(&w, "used_year", d->used_this_year_minutes);
    put_explanations(&w, d);
    put_char(&w, '}');
    return w.overflow ? -1 : w.length;
}

int32_t esta_decide_json(const char* event_line, int32_t length, esta_employer_state* employer,
                         esta_employee_state* employee, char* decision, int32_t capacity) {
    esta_event_record record;
    const int32_t status = esta_parse_event_json(event_line, length, &record);
    if (status != ESTA_JSON_OK) return status;
    esta_decision result;
    esta_decide(esta_builtin_rulesets(), employer, employee, &record.event, &result);
    *employer = result.employer;
    *employee = result.employee;
    const int32_t written = esta_write_decision_json(&record, &result, decision, capacity);
    return written < 0 ? ESTA_JSON_BUFFER_TOO_SMALL : written;
}

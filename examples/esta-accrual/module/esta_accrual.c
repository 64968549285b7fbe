/* esta_accrual.wasm: the ESTA accrual rules as a reactive kernel module (docs/ESTA.md,
 * "The reactive module").
 *
 * Per AccrualRequest (0x0010, one event JSON line) the handler: (1) receives the line;
 * (2) parses it; (3) loads the employer's and the employee's state from the key-value grant
 * "state" in one MGET (a missing key is a fresh state); (4) decides with the freestanding
 * rules; (5) writes back each state whose bytes changed; (6) appends the compliance record
 * (event, decision, states before) through `audit`; (7) sends the decision line as an
 * AccrualResponse (0x0011) to the grant "decisions", and replies with it to a caller.
 *
 * No state survives a message: every buffer lives on the handler's stack, and the module
 * has no mutable globals, so any instance may handle any message (scale-out, failover and
 * replay need nothing special). A line that is not a v1 event, or whose ids cannot be keys,
 * gets a rejection decision and changes nothing. A key-value or audit failure returns
 * -status before anything is sent, so the message fails as a whole and can be retried. */
#include "estalogic.h"
#include "estalogic_manifest.h"
#include "estalogic_value.h"
/* After the SDK: both define ESTA_STATIC_ASSERT, the rules only when it is not defined. */
#include "esta_json.h"

#define ESTA_ACCRUAL_REQUEST 0x0010
#define ESTA_ACCRUAL_RESPONSE 0x0011
#define EVENT_CAPACITY 8192
#define DECISION_CAPACITY 2048
#define KEY_CAPACITY 1024
#define KV_TIMEOUT_MS 5000

/* ESTA_ACCRUAL_VARIANT (0 when not defined) builds the second versions the live-upgrade tests
 * load into a running node (docs/OPERATIONS.md "Upgrade"); the shipped module is variant 0.
 *   1  version 2.0.0-test: exports estalogic_migrate (it audits the version it replaces) and
 *      carries a ruleset amendment effective 2030-01-01, so earlier dates decide as before;
 *   2  the same, with a migration that traps;
 *   3  the same as 1, needing a grant ("ledger") the example manifest does not give. */
#ifndef ESTA_ACCRUAL_VARIANT
#define ESTA_ACCRUAL_VARIANT 0
#endif
#if ESTA_ACCRUAL_VARIANT == 0
#define ESTA_ACCRUAL_VERSION "1.0.0"
#else
#define ESTA_ACCRUAL_VERSION "2.0.0-test"
#endif
// clang-format off
#if ESTA_ACCRUAL_VARIANT == 3
#define ESTA_ACCRUAL_NEEDS 4
#define ESTA_ACCRUAL_EXTRA_NEED                            \
        ESTA_M_KEY("ledger") ESTA_M_MAP(2)                 \
            ESTA_M_KEY("kind") ESTA_M_TEXT("keyspace")     \
            ESTA_M_KEY("rights") ESTA_M_LIST(1) ESTA_M_TEXT("read")
#else
#define ESTA_ACCRUAL_NEEDS 3
#define ESTA_ACCRUAL_EXTRA_NEED
#endif
// clang-format on

/* The layout shows the manifest's nesting (needs in key order). */
// clang-format off
ESTA_MANIFEST(
    ESTA_M_MAP(5)
    ESTA_M_KEY("abi") ESTA_M_I64(1)
    ESTA_M_KEY("name") ESTA_M_TEXT("esta-accrual")
    ESTA_M_KEY("version") ESTA_M_TEXT(ESTA_ACCRUAL_VERSION)
    ESTA_M_KEY("needs") ESTA_M_MAP(ESTA_ACCRUAL_NEEDS)
        ESTA_M_KEY("audit") ESTA_M_MAP(2)
            ESTA_M_KEY("kind") ESTA_M_TEXT("audit_log")
            ESTA_M_KEY("rights") ESTA_M_LIST(1) ESTA_M_TEXT("write")
        ESTA_M_KEY("decisions") ESTA_M_MAP(2)
            ESTA_M_KEY("kind") ESTA_M_TEXT("endpoint")
            ESTA_M_KEY("rights") ESTA_M_LIST(1) ESTA_M_TEXT("write")
        ESTA_ACCRUAL_EXTRA_NEED
        ESTA_M_KEY("state") ESTA_M_MAP(2)
            ESTA_M_KEY("kind") ESTA_M_TEXT("keyspace")
            ESTA_M_KEY("rights") ESTA_M_LIST(2) ESTA_M_TEXT("read") ESTA_M_TEXT("write")
    ESTA_M_KEY("exports") ESTA_M_TEXT("reactive"));
// clang-format on

/* ---- Small helpers (no libc). --------------------------------------------------------- */

typedef struct text_buffer {
    char* data;
    int32_t length;
    int32_t capacity;
    int32_t overflow;
} text_buffer;

/* Copies as one memory.copy (the module is built with bulk memory): a byte loop costs
 * about five wasm instructions a byte, and each message copies about a kilobyte. */
static void copy_bytes(void* to, const void* from, uint32_t n) {
    __builtin_memcpy(to, from, n);
}

static void append(text_buffer* b, const char* bytes, int32_t n) {
    if (n < 0 || n > b->capacity - b->length) {
        b->overflow = 1;
        return;
    }
    copy_bytes(b->data + b->length, bytes, (uint32_t)n);
    b->length += n;
}

/* A string literal, its length known at compile time. */
#define APPEND_LITERAL(b, text) append((b), (text), (int32_t)sizeof(text) - 1)

static void append_decimal(text_buffer* b, uint32_t value) {
    char digits[10];
    int32_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0)
        append(b, &digits[--n], 1);
}

/* The states are whole words (40 and 56 bytes), compared a word at a time. */
static int bytes_equal(const void* a, const void* b, uint32_t n) {
    const uint8_t* x = (const uint8_t*)a;
    const uint8_t* y = (const uint8_t*)b;
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t p;
        uint32_t q;
        copy_bytes(&p, x + i, 4);
        copy_bytes(&q, y + i, 4);
        if (p != q) return 0;
    }
    for (; i < n; ++i) {
        if (x[i] != y[i]) return 0;
    }
    return 1;
}

/* ---- Keys (relative to the grant's prefix; docs/ESTA.md "Key layout"). ----------------- */

/* "er/<employer>"; the ids are the JSON string contents as written (escapes not decoded). */
static int32_t employer_key(const esta_event_record* record, char* out, int32_t capacity) {
    text_buffer b = {out, 0, capacity, 0};
    APPEND_LITERAL(&b, "er/");
    append(&b, record->employer.data, record->employer.length);
    return b.overflow ? -1 : b.length;
}

/* "ee/<employer length>/<employer>/<employee>": the length makes the split unambiguous even
 * when an id contains '/'. */
static int32_t employee_key(const esta_event_record* record, char* out, int32_t capacity) {
    text_buffer b = {out, 0, capacity, 0};
    APPEND_LITERAL(&b, "ee/");
    append_decimal(&b, (uint32_t)record->employer.length);
    APPEND_LITERAL(&b, "/");
    append(&b, record->employer.data, record->employer.length);
    APPEND_LITERAL(&b, "/");
    append(&b, record->employee.data, record->employee.length);
    return b.overflow ? -1 : b.length;
}

/* ---- State in the key-value store. ---------------------------------------------------- */

/* One MGET value into `state`: null keeps the fresh state; bytes of exactly `size` are the
 * stored state (its version is checked by the rules, V-1). 0, or -ESTA_INVALID_ARGS for a
 * value of another shape (a foreign writer under our prefix). */
static int32_t read_state(esta_reader* r, void* state, uint32_t size) {
    if (esta_peek_tag(r) == ESTA_VALUE_NULL) {
        esta_get_null(r);
        return 0;
    }
    uint32_t n = 0;
    const uint8_t* bytes = esta_get_bytes(r, &n);
    if (bytes == 0 || n != size) return -ESTA_INVALID_ARGS;
    copy_bytes(state, bytes, size);
    return 0;
}

/* Loads the employer's state and, unless `employee` is null, the employee's: fresh states
 * for absent keys. 0 or -status of the call. */
static int32_t load_states(esta_handle kv, const char* employer_key_text, int32_t employer_length,
                           const char* employee_key_text, int32_t employee_length,
                           esta_employer_state* employer, esta_employee_state* employee) {
    uint8_t request[2 * KEY_CAPACITY + 32];
    uint8_t reply[256];
    esta_writer w;
    esta_writer_init(&w, request, sizeof request);
    esta_put_list(&w, 1);
    esta_put_list(&w, employee ? 2 : 1);
    esta_put_text(&w, employer_key_text, (uint32_t)employer_length);
    if (employee) esta_put_text(&w, employee_key_text, (uint32_t)employee_length);
    int32_t request_length = esta_writer_finish(&w);
    if (request_length < 0) return request_length;
    int32_t got = esta_call(kv, ESTA_KV_MGET, request, (uint32_t)request_length, reply,
                            sizeof reply, KV_TIMEOUT_MS);
    if (got < 0) return got;
    esta_reader r;
    esta_reader_init(&r, reply, (uint32_t)got);
    if (esta_get_list(&r) != (employee ? 2u : 1u)) return -ESTA_INVALID_ARGS;
    if (read_state(&r, employer, sizeof *employer) < 0) return -ESTA_INVALID_ARGS;
    if (employee && read_state(&r, employee, sizeof *employee) < 0) return -ESTA_INVALID_ARGS;
    return esta_reader_finish(&r) == 0 ? 0 : -ESTA_INVALID_ARGS;
}

static int32_t store_state(esta_handle kv, const char* key, int32_t key_length, const void* state,
                           uint32_t size) {
    uint8_t request[KEY_CAPACITY + 128];
    uint8_t reply[64];
    esta_writer w;
    esta_writer_init(&w, request, sizeof request);
    esta_put_list(&w, 2);
    esta_put_text(&w, key, (uint32_t)key_length);
    esta_put_bytes(&w, state, size);
    int32_t request_length = esta_writer_finish(&w);
    if (request_length < 0) return request_length;
    int32_t got = esta_call(kv, ESTA_KV_SET, request, (uint32_t)request_length, reply, sizeof reply,
                            KV_TIMEOUT_MS);
    return got < 0 ? got : 0;
}

/* ---- Output. -------------------------------------------------------------------------- */

/* The compliance record (A-8, V-2): the event line, the decision line and the states the
 * decision started from, value-encoded. The kernel's audit log adds who wrote it; the host
 * adds the module's SHA-256. */
static int32_t append_audit(const char* event, int32_t event_length, const char* decision,
                            int32_t decision_length, const esta_employer_state* employer,
                            const esta_employee_state* employee) {
    uint8_t record[EVENT_CAPACITY + DECISION_CAPACITY + 256];
    esta_writer w;
    esta_writer_init(&w, record, sizeof record);
    esta_put_map(&w, 4);
    esta_put_key(&w, "event", 5);
    esta_put_bytes(&w, event, (uint32_t)event_length);
    esta_put_key(&w, "decision", 8);
    esta_put_bytes(&w, decision, (uint32_t)decision_length);
    esta_put_key(&w, "employer_before", 15);
    esta_put_bytes(&w, employer, sizeof *employer);
    esta_put_key(&w, "employee_before", 15);
    if (employee) {
        esta_put_bytes(&w, employee, sizeof *employee);
    } else {
        esta_put_null(&w);
    }
    int32_t length = esta_writer_finish(&w);
    if (length < 0) return length;
    static const char kind[] = "esta.decision";
    esta_i64 id = esta_audit(kind, sizeof kind - 1, record, (uint32_t)length);
    return id < 0 ? (int32_t)id : 0;
}

/* The decision goes to "decisions" (the record stream) and, when the request came by `call`
 * (the HTTP ingress), back to the caller by `reply`. NOT_FOUND from reply means nobody
 * waits for an answer (a delivered record, or a caller that gave up): not a failure. */
static int32_t send_decision(const char* decision, int32_t length) {
    esta_handle decisions = esta_cap_lookup("decisions", 9);
    if (decisions < 0) return decisions;
    esta_i64 sent =
        esta_send(decisions, ESTA_ACCRUAL_RESPONSE, decision, (uint32_t)length, 0, 0, 0);
    if (sent < 0) return (int32_t)sent;
    esta_i32 replied = esta_reply(ESTA_ACCRUAL_RESPONSE, decision, (uint32_t)length, 0, 0);
    return replied < 0 && replied != -ESTA_NOT_FOUND ? replied : 0;
}

/* A decision for input the rules never saw: kind rejected, reason `malformed_event` (the
 * line is not a v1 event, too long, or its ids cannot be keys), `detail` saying which. */
static int32_t write_malformed(const char* detail, char* out, int32_t capacity) {
    text_buffer b = {out, 0, capacity, 0};
    APPEND_LITERAL(&b,
                   "{\"v\":1,\"kind\":\"rejected\",\"reason\":\"malformed_event\",\"detail\":\"");
    int32_t detail_length = 0;
    while (detail[detail_length] != 0)
        ++detail_length;
    append(&b, detail, detail_length);
    APPEND_LITERAL(&b, "\",\"rule\":\"input\",\"requirement\":\"A-7\"}");
    return b.overflow ? -1 : b.length;
}

static const char* json_status_name(int32_t status) {
    switch (status) {
        case ESTA_JSON_NEWER_VERSION:
            return "newer_version";
        case ESTA_JSON_MISSING_FIELD:
            return "missing_field";
        case ESTA_JSON_BAD_VALUE:
            return "bad_value";
        default:
            return "syntax";
    }
}

/* Rejects without touching state: the decision goes to the audit log and to "decisions". */
static int32_t reject_malformed(const char* event, int32_t event_length, const char* detail) {
    char decision[256];
    int32_t length = write_malformed(detail, decision, sizeof decision);
    if (length < 0) return -ESTA_BUFFER_TOO_SMALL;
    esta_employer_state none;
    esta_employer_init(&none);
    int32_t audited = append_audit(event, event_length, decision, length, &none, 0);
    if (audited < 0) return audited;
    return send_decision(decision, length);
}

/* ---- The handler. --------------------------------------------------------------------- */

static int32_t decide_event(const char* event, int32_t event_length) {
    esta_event_record record;
    int32_t parsed = esta_parse_event_json(event, event_length, &record);
    if (parsed != ESTA_JSON_OK)
        return reject_malformed(event, event_length, json_status_name(parsed));
    const int per_employee = record.event.kind != ESTA_EVENT_HEADCOUNT;

    char er_key[KEY_CAPACITY];
    char ee_key[KEY_CAPACITY];
    int32_t er_length = employer_key(&record, er_key, sizeof er_key);
    int32_t ee_length = per_employee ? employee_key(&record, ee_key, sizeof ee_key) : 0;
    if (er_length < 0 || ee_length < 0) return reject_malformed(event, event_length, "id_too_long");

    esta_handle kv = esta_cap_lookup("state", 5);
    if (kv < 0) return kv;
    esta_employer_state employer;
    esta_employee_state employee;
    esta_employer_init(&employer);
    esta_employee_init(&employee);
    int32_t loaded = load_states(kv, er_key, er_length, ee_key, ee_length, &employer,
                                 per_employee ? &employee : 0);
    /* INVALID_ARGS: the driver refused the keys (ids that are not UTF-8) or a stored value is
     * not a state; the event is refused, nothing changes. */
    if (loaded == -ESTA_INVALID_ARGS) return reject_malformed(event, event_length, "bad_id");
    if (loaded < 0) return loaded;

    esta_decision result;
#if ESTA_ACCRUAL_VARIANT == 0
    esta_decide(esta_builtin_rulesets(), &employer, &employee, &record.event, &result);
#else
    /* A test amendment from 2030-01-01 (a larger cap for large employers): dates before it
     * select the 2025 ruleset exactly as variant 0 does. Built on the stack: no globals. */
    esta_ruleset amended[2];
    amended[0] = esta_builtin_rulesets().entries[0];
    amended[1] = amended[0];
    amended[1].version = "MI-ESTA-2030.test";
    amended[1].effective_from = ESTA_CIVIL_DAY(2030, 1, 1);
    amended[1].large_cap_minutes = 80 * ESTA_MINUTES_PER_HOUR;
    esta_ruleset_table table = {amended, 2};
    esta_decide(table, &employer, &employee, &record.event, &result);
#endif
    char decision[DECISION_CAPACITY];
    int32_t decision_length = esta_write_decision_json(&record, &result, decision, sizeof decision);
    if (decision_length < 0) return -ESTA_BUFFER_TOO_SMALL;

    /* The audit record comes first: a decision whose record could not be written is not made
     * (nothing is stored or sent, and the message fails). */
    int32_t audited = append_audit(event, event_length, decision, decision_length, &employer,
                                   per_employee ? &employee : 0);
    if (audited < 0) return audited;
    if (!bytes_equal(&result.employer, &employer, sizeof employer)) {
        int32_t stored = store_state(kv, er_key, er_length, &result.employer, sizeof employer);
        if (stored < 0) return stored;
    }
    if (per_employee && !bytes_equal(&result.employee, &employee, sizeof employee)) {
        int32_t stored = store_state(kv, ee_key, ee_length, &result.employee, sizeof employee);
        if (stored < 0) return stored;
    }
    return send_decision(decision, decision_length);
}

#if ESTA_ACCRUAL_VARIANT != 0
/* The live upgrade's migration hook (ABI.md): the MODULE_UPGRADE message is in hand. State
 * lives in the key-value store in a layout both versions read, so there is nothing to
 * convert: the hook records what it replaced. Variant 2 traps instead. */
__attribute__((export_name("estalogic_migrate"))) esta_i32 estalogic_migrate(void) {
#if ESTA_ACCRUAL_VARIANT == 2
    __builtin_trap();
#endif
    char upgrade[512];
    esta_info info;
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, upgrade, sizeof upgrade, &info);
    if (n < 0) return n;
    if (info.type != ESTA_MSG_MODULE_UPGRADE) return -ESTA_INVALID_ARGS;
    static const char kind[] = "esta.migrate";
    esta_i64 id = esta_audit(kind, sizeof kind - 1, upgrade, (uint32_t)n);
    return id < 0 ? (int32_t)id : 0;
}
#endif

__attribute__((export_name("estalogic_handle"))) esta_i32 estalogic_handle(void) {
    char event[EVENT_CAPACITY];
    esta_info info;
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, event, sizeof event, &info);
    if (n == -ESTA_BUFFER_TOO_SMALL) return reject_malformed("", 0, "too_long");
    if (n < 0) return n;
    if (info.type == ESTA_MSG_SYSTEM_SHUTDOWN) return 0; /* Nothing to finish: no state is held. */
    if (info.type != ESTA_ACCRUAL_REQUEST) return -ESTA_INVALID_ARGS;
    return decide_event(event, n);
}

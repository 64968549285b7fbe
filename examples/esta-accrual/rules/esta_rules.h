/* Michigan Earned Sick Time Act accrual rules (REQUIREMENTS A-1..A-8), as pure C.
 *
 * Contract: plain structs in, plain structs out. esta_decide() reads a ruleset table, the
 * employer's state, one employee's state and one event, and writes a decision that carries
 * the new states. It never reads a clock (business dates come from the event, T-2), never
 * allocates, never calls libc, and uses integer minutes only, so it compiles both
 * natively and for wasm32 freestanding and gives bit-identical results on both.
 *
 * The statutory numbers live in a versioned ruleset (esta_ruleset) selected by the event's
 * business date; the employer's choices live in a policy (esta_policy) recorded at hire.
 */
#ifndef ESTA_RULES_H
#define ESTA_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "esta_date.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the state structs below (V-1). A reader refuses a newer one. */
#define ESTA_STATE_VERSION 1
#define ESTA_MINUTES_PER_HOUR 60
#define ESTA_MINUTES_PER_DAY 1440
#define ESTA_MAX_EXPLANATIONS 6 /* size, years rolled, prorated, frontloaded, one more */

/* ---- Ruleset: statutory values as data (A-2..A-5), selected by business date. ---------- */

typedef struct esta_ruleset {
    const char* version;               /* e.g. "MI-ESTA-2025.1"; named by every decision */
    int32_t effective_from;            /* first business date this ruleset governs */
    int32_t large_effective;           /* accrual starts for large employers */
    int32_t small_effective;           /* accrual starts for small businesses */
    int32_t small_max_employees;       /* 10 or fewer is small */
    int32_t large_min_workweeks;       /* 11+ employees in this many workweeks -> not small */
    int32_t new_business_cutoff;       /* no employee before this date -> new business */
    int32_t new_business_exempt_years; /* exempt until this many years after first hire */
    int32_t accrual_earned_minutes;    /* earn this many minutes ...               */
    int32_t accrual_worked_minutes;    /*      ... per this many minutes worked (1 per 30) */
    int32_t large_cap_minutes;         /* use, carryover and frontload cap, large */
    int32_t small_cap_minutes;         /* the same for a small business */
    int32_t max_waiting_days;          /* a policy may delay use at most this long */
    int32_t waiting_applies_from;      /* only employees hired on or after this date */
    int32_t max_minutes_per_day;       /* 24 h per calendar day */
} esta_ruleset;

typedef struct esta_ruleset_table {
    const esta_ruleset* entries; /* sorted by effective_from, ascending */
    int32_t count;
} esta_ruleset_table;

/* The rulesets this library ships (the 2025 amended act). */
esta_ruleset_table esta_builtin_rulesets(void);

/* The ruleset governing `date`: the last entry whose effective_from <= date, or NULL when
 * the date precedes every entry. */
const esta_ruleset* esta_select_ruleset(esta_ruleset_table table, int32_t date);

/* ---- Policy: the employer's choices, recorded at hire. ---------------------------------- */

typedef enum esta_method { ESTA_METHOD_ACCRUAL = 1, ESTA_METHOD_FRONTLOAD = 2 } esta_method;

typedef struct esta_policy {
    uint8_t method;              /* esta_method */
    uint8_t use_cap;             /* 1 = cap use per benefit year at 72 h / 40 h */
    uint8_t accrual_cap;         /* 1 = stop accruing at 72 h / 40 h per benefit year */
    uint8_t unlimited_carryover; /* 1 = carry everything (more generous than the law) */
    uint8_t frontload_prorate;   /* 1 = pro-rate the frontload of a mid-year start */
    uint8_t year_start_month;    /* benefit year starts on this month/day, default 1/1 */
    uint8_t year_start_day;
    uint8_t reserved;
    int32_t waiting_days; /* 0..120 days after hire before use; accrual method only */
} esta_policy;

/* The default policy: accrual, no waiting, no caps beyond the law, calendar benefit year. */
esta_policy esta_default_policy(void);

/* ---- State. ---------------------------------------------------------------------------- */

typedef enum esta_size { ESTA_SIZE_SMALL = 1, ESTA_SIZE_LARGE = 2 } esta_size;

/* Years of weekly headcounts an employer state keeps: the newest reported calendar year and
 * the two before it, so the size of any date in the newest year or the one before (events
 * arriving after the first report of a new year) is derived from complete history. */
#define ESTA_HEADCOUNT_YEARS 3

/* Facts about one employer: weekly headcounts as bitmaps of "workweeks with more
 * than small_max_employees employees", and the first-hire date. */
typedef struct esta_employer_state {
    uint32_t version;
    int32_t headcount_year; /* calendar year of large_weeks[0]; 0 = nothing reported */
    uint64_t large_weeks[ESTA_HEADCOUNT_YEARS]; /* [i]: headcount_year - i; bit = week index */
    int32_t first_employee_date;                /* ESTA_NO_DATE when unknown (then never exempt) */
    int32_t last_headcount;
} esta_employer_state;

/* One employee. Balances are integer minutes; balance = carryover + earned - used. */
typedef struct esta_employee_state {
    uint32_t version;
    uint32_t hired; /* 0 until a hire event */
    int32_t hire_date;
    esta_policy policy;
    int32_t year_start;        /* first day of the benefit year the balances belong to */
    int32_t carryover_minutes; /* brought into this benefit year */
    int32_t earned_minutes;    /* accrued or frontloaded in this benefit year */
    int32_t used_minutes;      /* approved use in this benefit year */
    int32_t worked_remainder;  /* worked minutes x earned rate not yet converted */
    int32_t frontload_year;    /* year_start of the last frontload grant, or ESTA_NO_DATE */
    int32_t last_work_date;    /* the calendar day of the latest hours entry (A-7 day total) */
    int32_t last_work_day_minutes;
} esta_employee_state;

/* The states are stored as raw bytes (the key-value driver, a wasm host), so their layout
 * is part of state version 1: fixed-width fields only, identical on x86-64 and wasm32. */
/* The C SDK (estalogic.h) defines the same macro; a module includes both. */
#ifndef ESTA_STATIC_ASSERT
#ifdef __cplusplus
#define ESTA_STATIC_ASSERT(condition, message) static_assert(condition, message)
#else
#define ESTA_STATIC_ASSERT(condition, message) _Static_assert(condition, message)
#endif
#endif
ESTA_STATIC_ASSERT(sizeof(esta_employer_state) == 40, "employer state layout is version 1");
ESTA_STATIC_ASSERT(sizeof(esta_employee_state) == 56, "employee state layout is version 1");

void esta_employer_init(esta_employer_state* employer);
void esta_employee_init(esta_employee_state* employee);
int32_t esta_balance_minutes(const esta_employee_state* employee);

/* ---- Events. --------------------------------------------------------------------------- */

typedef enum esta_event_kind {
    ESTA_EVENT_HIRE = 1,
    ESTA_EVENT_HOURS_WORKED = 2,
    ESTA_EVENT_USE_REQUEST = 3,
    ESTA_EVENT_YEAR_END = 4,
    ESTA_EVENT_HEADCOUNT = 5,
} esta_event_kind;

typedef struct esta_event {
    int32_t kind;                /* esta_event_kind */
    int32_t date;                /* the business date: hire, work, leave, year end or week date */
    int32_t processed_on;        /* the event's own processing date; "future" is relative to it */
    int32_t minutes;             /* worked or requested */
    int32_t headcount;           /* weekly headcount report */
    int32_t employer_first_hire; /* optional employer fact, ESTA_NO_DATE if absent */
    esta_policy policy;          /* hire */
} esta_event;

/* ---- Decisions. ------------------------------------------------------------------------ */

typedef enum esta_decision_kind {
    ESTA_DECISION_ACCRUED = 1,       /* hours worked, time accrued (possibly 0) */
    ESTA_DECISION_RECORDED = 2,      /* hours worked under frontload: nothing accrues */
    ESTA_DECISION_APPROVED = 3,      /* use request approved and deducted */
    ESTA_DECISION_DENIED = 4,        /* use request denied; see reason */
    ESTA_DECISION_REJECTED = 5,      /* invalid input; nothing changed */
    ESTA_DECISION_NOT_EFFECTIVE = 6, /* before the act applies to this employer */
    ESTA_DECISION_EXEMPT = 7,        /* new business, exempt until 3 years after first hire */
    ESTA_DECISION_HIRED = 8,
    ESTA_DECISION_ROLLED_OVER = 9, /* benefit year closed, carryover applied */
    ESTA_DECISION_HEADCOUNT = 10,  /* weekly headcount recorded, size re-derived */
} esta_decision_kind;

typedef enum esta_reason {
    ESTA_REASON_NONE = 0,
    ESTA_REASON_WAITING_PERIOD = 1, /* A-5, with days remaining */
    ESTA_REASON_INSUFFICIENT_BALANCE = 2,
    ESTA_REASON_USE_CAP = 3,
    ESTA_REASON_NEGATIVE_MINUTES = 4,
    ESTA_REASON_OVER_24_HOURS = 5,
    ESTA_REASON_FUTURE_DATE = 6,
    ESTA_REASON_BEFORE_HIRE = 7,
    ESTA_REASON_NOT_HIRED = 8,
    ESTA_REASON_ALREADY_HIRED = 9,
    ESTA_REASON_INVALID_POLICY = 10,
    ESTA_REASON_INVALID_DATE = 11,
    ESTA_REASON_CLOSED_YEAR = 12,    /* dated in a benefit year already closed */
    ESTA_REASON_NOT_POSITIVE = 13,   /* use request of zero or less */
    ESTA_REASON_YEAR_NOT_ENDED = 14, /* year-end event before the benefit year's last day */
    ESTA_REASON_NO_RULESET = 15,     /* no ruleset governs the date */
    ESTA_REASON_UNKNOWN_EVENT = 16,
    ESTA_REASON_STATE_VERSION = 17, /* state written by a newer version (V-1) */
    ESTA_REASON_INVALID_HEADCOUNT = 18,
} esta_reason;

/* Which rule a decision applied; esta_section_name gives its stable name. */
typedef enum esta_section {
    ESTA_SECTION_INPUT = 1,        /* A-7 input validation */
    ESTA_SECTION_SIZE = 2,         /* */
    ESTA_SECTION_EFFECTIVE = 3,    /* A-2 effective dates */
    ESTA_SECTION_EXEMPT = 4,       /* A-2 new-business exemption */
    ESTA_SECTION_ACCRUAL = 5,      /* */
    ESTA_SECTION_ACCRUAL_CAP = 6,  /* A-3 annual accrual cap */
    ESTA_SECTION_FRONTLOAD = 7,    /* */
    ESTA_SECTION_WAITING = 8,      /* */
    ESTA_SECTION_BENEFIT_YEAR = 9, /* A-6 carryover */
    ESTA_SECTION_USE = 10,         /* A-7 balance */
    ESTA_SECTION_USE_CAP = 11,     /* A-7 use cap */
    ESTA_SECTION_HIRE = 12,
} esta_section;

/* Explanation codes: each carries one number (days, weeks, minutes, a date). */
typedef enum esta_explain_code {
    ESTA_EXPLAIN_SIZE_LARGE_CURRENT_YEAR = 1,  /* value: qualifying workweeks this year */
    ESTA_EXPLAIN_SIZE_LARGE_PRIOR_YEAR = 2,    /* value: qualifying workweeks last year */
    ESTA_EXPLAIN_SIZE_SMALL = 3,               /* value: most qualifying weeks in either year */
    ESTA_EXPLAIN_WAITING_DAYS_REMAINING = 4,   /* value: days until use is allowed */
    ESTA_EXPLAIN_EFFECTIVE_DAYS_REMAINING = 5, /* value: days until the act applies */
    ESTA_EXPLAIN_EXEMPT_UNTIL = 6,             /* value: day number the exemption ends */
    ESTA_EXPLAIN_ACCRUAL_CAPPED = 7,           /* value: minutes not accrued due to the cap */
    ESTA_EXPLAIN_REMAINDER_CARRIED = 8,        /* value: worked remainder carried forward */
    ESTA_EXPLAIN_FRONTLOADED = 9,              /* value: minutes granted */
    ESTA_EXPLAIN_PRORATED = 10,                /* value: days of the year covered */
    ESTA_EXPLAIN_YEARS_ROLLED = 11,            /* value: benefit years closed by this event */
    ESTA_EXPLAIN_USE_CAP_REMAINING = 12,       /* value: minutes of use cap left */
    ESTA_EXPLAIN_DAY_TOTAL = 13,               /* value: minutes already worked that day */
} esta_explain_code;

typedef struct esta_explanation {
    int32_t code; /* esta_explain_code */
    int32_t value;
} esta_explanation;

typedef struct esta_decision {
    int32_t kind;    /* esta_decision_kind */
    int32_t reason;  /* esta_reason, NONE unless denied, rejected, not effective or exempt */
    int32_t section; /* esta_section: the rule applied */
    const char* ruleset_version; /* NULL only when no ruleset governs the date */
    int32_t size;                /* esta_size on the event date (0 if not derived) */
    int32_t accrued_minutes;
    int32_t frontloaded_minutes;
    int32_t approved_minutes;
    int32_t carried_minutes;   /* rollover: carried into the new benefit year */
    int32_t forfeited_minutes; /* rollover: not carried */
    int32_t balance_minutes;   /* after the decision */
    int32_t used_this_year_minutes;
    int32_t explanation_count;
    esta_explanation explanations[ESTA_MAX_EXPLANATIONS];
    esta_employer_state employer; /* the new states (equal to the old ones when rejected) */
    esta_employee_state employee;
} esta_decision;

/* Decide one event. Pure: the inputs are not modified; `out` receives the decision and the
 * new states. Cost: constant, except that an event years after the last one closes each
 * benefit year in between (bounded by the supported date range). */
void esta_decide(esta_ruleset_table rulesets, const esta_employer_state* employer,
                 const esta_employee_state* employee, const esta_event* event, esta_decision* out);

/* the employer's size on `date`, with the explanation that justifies it. */
esta_size esta_employer_size(const esta_ruleset* ruleset, const esta_employer_state* employer,
                             int32_t date, esta_explanation* why);

/* false when the policy is invalid under the ruleset (waiting days, benefit-year start,
 * method). */
bool esta_policy_valid(const esta_ruleset* ruleset, const esta_policy* policy);

/* Stable names for formats and logs. */
const char* esta_decision_kind_name(int32_t kind);
const char* esta_reason_name(int32_t reason);
const char* esta_section_name(int32_t section);
const char* esta_section_requirement(int32_t section); /* "A-3" ... */
const char* esta_explain_code_name(int32_t code);
const char* esta_event_kind_name(int32_t kind);

#ifdef __cplusplus
}
#endif

#endif /* ESTA_RULES_H */

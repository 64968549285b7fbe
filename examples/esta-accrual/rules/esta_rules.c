/* The decision procedure (REQUIREMENTS A-2..A-8); see esta_rules.h for the contract.
 *
 * Every handler works on the copies of the states held in the decision and follows the
 * same shape: (1) validate the input, rejecting before anything changes; (2) bring the
 * employee into the benefit year of the event's date (closing years in between);
 * (3) check coverage (exemption, effective date); (4) apply the rule. A rejection restores
 * the states the caller passed in, so "rejected" always means "nothing changed". */
#include "esta_rules.h"
#include "esta_employer.h"

/* The smallest and largest day numbers a business date may take. */
#define ESTA_FIRST_DAY ESTA_CIVIL_DAY(ESTA_MIN_YEAR, 1, 1)
#define ESTA_LAST_DAY ESTA_CIVIL_DAY(ESTA_MAX_YEAR, 12, 31)
#define ESTA_MAX_HEADCOUNT 10000000

typedef struct decide_context {
    const esta_ruleset* ruleset;
    const esta_event* event;
    esta_decision* out;
    esta_employer_state* employer; /* == &out->employer */
    esta_employee_state* employee; /* == &out->employee */
} decide_context;

void esta_employee_init(esta_employee_state* employee) {
    employee->version = ESTA_STATE_VERSION;
    employee->hired = 0;
    employee->hire_date = ESTA_NO_DATE;
    employee->policy = esta_default_policy();
    employee->year_start = ESTA_NO_DATE;
    employee->carryover_minutes = 0;
    employee->earned_minutes = 0;
    employee->used_minutes = 0;
    employee->worked_remainder = 0;
    employee->frontload_year = ESTA_NO_DATE;
    employee->last_work_date = ESTA_NO_DATE;
    employee->last_work_day_minutes = 0;
}

int32_t esta_balance_minutes(const esta_employee_state* employee) {
    return employee->carryover_minutes + employee->earned_minutes - employee->used_minutes;
}

static bool date_in_range(int32_t date) {
    return date >= ESTA_FIRST_DAY && date <= ESTA_LAST_DAY;
}

static void explain(esta_decision* out, int32_t code, int32_t value) {
    if (out->explanation_count >= ESTA_MAX_EXPLANATIONS) return;
    out->explanations[out->explanation_count].code = code;
    out->explanations[out->explanation_count].value = value;
    ++out->explanation_count;
}

static void finish(decide_context* ctx, int32_t kind, int32_t section) {
    ctx->out->kind = kind;
    ctx->out->section = section;
}

/* Rejects the event: the states go back to the caller's, and the decision says why. */
static void reject(decide_context* ctx, const esta_employer_state* employer,
                   const esta_employee_state* employee, int32_t reason) {
    ctx->out->employer = *employer;
    ctx->out->employee = *employee;
    ctx->out->reason = reason;
    finish(ctx, ESTA_DECISION_REJECTED, ESTA_SECTION_INPUT);
}

static int32_t size_cap_minutes(const esta_ruleset* ruleset, int32_t size) {
    return size == ESTA_SIZE_LARGE ? ruleset->large_cap_minutes : ruleset->small_cap_minutes;
}

static esta_size size_on(const decide_context* ctx, int32_t date) {
    esta_explanation ignored;
    return esta_employer_size(ctx->ruleset, ctx->employer, date, &ignored);
}

/* the day a new business's exemption ends, or ESTA_NO_DATE when it is not one. */
static int32_t exempt_until(const decide_context* ctx) {
    const int32_t first = ctx->employer->first_employee_date;
    if (first == ESTA_NO_DATE || first < ctx->ruleset->new_business_cutoff) return ESTA_NO_DATE;
    return esta_add_years(first, ctx->ruleset->new_business_exempt_years);
}

/* the first day the act covers this employee, for an employer of `size`. */
static int32_t coverage_start(const decide_context* ctx, int32_t size) {
    int32_t start =
        size == ESTA_SIZE_LARGE ? ctx->ruleset->large_effective : ctx->ruleset->small_effective;
    const int32_t exemption_end = exempt_until(ctx);
    if (exemption_end != ESTA_NO_DATE && exemption_end > start) start = exemption_end;
    if (ctx->employee->hire_date > start) start = ctx->employee->hire_date;
    return start;
}

/* when `date` is not covered, finishes the decision as exempt or not effective (with
 * the date or days that explain it) and returns false. */
static bool check_coverage(decide_context* ctx, int32_t date) {
    const int32_t exemption_end = exempt_until(ctx);
    if (exemption_end != ESTA_NO_DATE && date < exemption_end) {
        explain(ctx->out, ESTA_EXPLAIN_EXEMPT_UNTIL, exemption_end);
        finish(ctx, ESTA_DECISION_EXEMPT, ESTA_SECTION_EXEMPT);
        return false;
    }
    const int32_t effective = ctx->out->size == ESTA_SIZE_LARGE ? ctx->ruleset->large_effective
                                                                : ctx->ruleset->small_effective;
    if (date < effective) {
        explain(ctx->out, ESTA_EXPLAIN_EFFECTIVE_DAYS_REMAINING, effective - date);
        finish(ctx, ESTA_DECISION_NOT_EFFECTIVE, ESTA_SECTION_EFFECTIVE);
        return false;
    }
    return true;
}

/* grants the frontload for the current benefit year once, as soon as `date` is covered.
 * A start after the benefit year began is pro-rated when the policy asks, rounding up so the
 * employee is never short of the law by a fraction of a minute. */
static void grant_frontload(decide_context* ctx, int32_t date) {
    esta_employee_state* e = ctx->employee;
    if (e->policy.method != ESTA_METHOD_FRONTLOAD || e->frontload_year == e->year_start) return;
    const int32_t size = size_on(ctx, date);
    const int32_t start = coverage_start(ctx, size);
    if (date < start) return;
    int64_t amount = size_cap_minutes(ctx->ruleset, size);
    if (e->policy.frontload_prorate && start > e->year_start) {
        const int32_t next_year = esta_next_benefit_year_start(e->year_start);
        const int64_t covered_days = next_year - start;
        const int64_t year_days = next_year - e->year_start;
        amount = (amount * covered_days + year_days - 1) / year_days;
        explain(ctx->out, ESTA_EXPLAIN_PRORATED, (int32_t)covered_days);
    }
    e->earned_minutes += (int32_t)amount;
    e->frontload_year = e->year_start;
    ctx->out->frontloaded_minutes += (int32_t)amount;
    explain(ctx->out, ESTA_EXPLAIN_FRONTLOADED, (int32_t)amount);
}

/* carryover: closes the current benefit year. Accrual carries the unused
 * balance up to the cap of the employer's size on the year's last day (or all of it under a
 * generous policy); frontload carries nothing, since the next year starts with a new grant. */
static void close_benefit_year(decide_context* ctx) {
    esta_employee_state* e = ctx->employee;
    const int32_t next_year = esta_next_benefit_year_start(e->year_start);
    const int32_t balance = esta_balance_minutes(e);
    int32_t carried = balance;
    if (e->policy.method == ESTA_METHOD_FRONTLOAD) {
        carried = 0;
    } else if (!e->policy.unlimited_carryover) {
        const int32_t cap = size_cap_minutes(ctx->ruleset, size_on(ctx, next_year - 1));
        if (carried > cap) carried = cap;
    }
    ctx->out->carried_minutes = carried;
    ctx->out->forfeited_minutes += balance - carried;
    e->year_start = next_year;
    e->carryover_minutes = carried;
    e->earned_minutes = 0;
    e->used_minutes = 0;
}

/* Closes every benefit year that ended before `date`; returns how many were closed. */
static int32_t roll_forward(decide_context* ctx, int32_t date) {
    int32_t closed = 0;
    while (esta_next_benefit_year_start(ctx->employee->year_start) <= date) {
        close_benefit_year(ctx);
        ++closed;
    }
    if (closed > 0) {
        explain(ctx->out, ESTA_EXPLAIN_YEARS_ROLLED, closed);
        grant_frontload(ctx, ctx->employee->year_start);
    }
    return closed;
}

/* Validation shared by hours worked and use requests: the employee exists, and the date is
 * neither after the event's processing date, before hire, nor in a closed benefit year. */
static int32_t check_employee_date(const decide_context* ctx) {
    const esta_event* ev = ctx->event;
    if (!ctx->employee->hired) return ESTA_REASON_NOT_HIRED;
    if (!date_in_range(ev->processed_on)) return ESTA_REASON_INVALID_DATE;
    if (ev->date > ev->processed_on) return ESTA_REASON_FUTURE_DATE;
    if (ev->date < ctx->employee->hire_date) return ESTA_REASON_BEFORE_HIRE;
    if (ev->date < ctx->employee->year_start) return ESTA_REASON_CLOSED_YEAR;
    return ESTA_REASON_NONE;
}

/* 0..24 h per entry and per calendar day (entries for the same day add up). */
static int32_t check_worked_minutes(decide_context* ctx) {
    const esta_event* ev = ctx->event;
    const esta_employee_state* e = ctx->employee;
    if (ev->minutes < 0) return ESTA_REASON_NEGATIVE_MINUTES;
    if (ev->minutes > ctx->ruleset->max_minutes_per_day) return ESTA_REASON_OVER_24_HOURS;
    if (ev->date == e->last_work_date &&
        e->last_work_day_minutes + ev->minutes > ctx->ruleset->max_minutes_per_day) {
        explain(ctx->out, ESTA_EXPLAIN_DAY_TOTAL, e->last_work_day_minutes);
        return ESTA_REASON_OVER_24_HOURS;
    }
    return ESTA_REASON_NONE;
}

/* exact accrual. Worked time is converted at earned/worked (1/30) from the running
 * remainder, so the total accrued always equals floor(total worked / 30) and nothing is
 * lost to rounding; with the policy's annual cap, accrual stops at 72 h / 40 h. */
static void accrue(decide_context* ctx) {
    esta_employee_state* e = ctx->employee;
    const esta_ruleset* rs = ctx->ruleset;
    const int32_t units = e->worked_remainder + ctx->event->minutes * rs->accrual_earned_minutes;
    int32_t accrued = units / rs->accrual_worked_minutes;
    e->worked_remainder = units % rs->accrual_worked_minutes;
    int32_t section = ESTA_SECTION_ACCRUAL;
    if (e->policy.accrual_cap) {
        const int32_t room = size_cap_minutes(rs, ctx->out->size) - e->earned_minutes;
        const int32_t allowed = room > 0 ? room : 0;
        if (accrued > allowed) {
            explain(ctx->out, ESTA_EXPLAIN_ACCRUAL_CAPPED, accrued - allowed);
            accrued = allowed;
            section = ESTA_SECTION_ACCRUAL_CAP;
        }
    }
    e->earned_minutes += accrued;
    ctx->out->accrued_minutes = accrued;
    if (e->worked_remainder > 0) {
        explain(ctx->out, ESTA_EXPLAIN_REMAINDER_CARRIED, e->worked_remainder);
    }
    finish(ctx, ESTA_DECISION_ACCRUED, section);
}

static void decide_hours_worked(decide_context* ctx, const esta_employer_state* employer,
                                const esta_employee_state* employee) {
    const esta_event* ev = ctx->event;
    int32_t reason = check_employee_date(ctx);
    if (reason == ESTA_REASON_NONE) reason = check_worked_minutes(ctx);
    if (reason != ESTA_REASON_NONE) {
        reject(ctx, employer, employee, reason);
        return;
    }
    esta_employee_state* e = ctx->employee;
    if (ev->date != e->last_work_date) {
        e->last_work_date = ev->date;
        e->last_work_day_minutes = 0;
    }
    e->last_work_day_minutes += ev->minutes;
    roll_forward(ctx, ev->date);
    if (!check_coverage(ctx, ev->date)) return;
    if (e->policy.method == ESTA_METHOD_FRONTLOAD) {
        grant_frontload(ctx, ev->date);
        finish(ctx, ESTA_DECISION_RECORDED, ESTA_SECTION_FRONTLOAD);
        return;
    }
    accrue(ctx);
}

/* the waiting period applies to the accrual method, to hires on or after the date the
 * ruleset names; it ends `waiting_days` calendar days after hire. */
static int32_t waiting_period_end(const decide_context* ctx) {
    const esta_employee_state* e = ctx->employee;
    if (e->policy.method != ESTA_METHOD_ACCRUAL || e->policy.waiting_days == 0) return ESTA_NO_DATE;
    if (e->hire_date < ctx->ruleset->waiting_applies_from) return ESTA_NO_DATE;
    return e->hire_date + e->policy.waiting_days;
}

static void deny(decide_context* ctx, int32_t reason, int32_t section) {
    ctx->out->reason = reason;
    finish(ctx, ESTA_DECISION_DENIED, section);
}

/* A-7, in this order: waiting period, available balance, the year's use cap. */
static void decide_use_request(decide_context* ctx, const esta_employer_state* employer,
                               const esta_employee_state* employee) {
    const esta_event* ev = ctx->event;
    int32_t reason = check_employee_date(ctx);
    if (reason == ESTA_REASON_NONE && ev->minutes <= 0) reason = ESTA_REASON_NOT_POSITIVE;
    if (reason != ESTA_REASON_NONE) {
        reject(ctx, employer, employee, reason);
        return;
    }
    esta_employee_state* e = ctx->employee;
    roll_forward(ctx, ev->date);
    if (!check_coverage(ctx, ev->date)) return;
    grant_frontload(ctx, ev->date);
    const int32_t usable_from = waiting_period_end(ctx);
    if (usable_from != ESTA_NO_DATE && ev->date < usable_from) {
        explain(ctx->out, ESTA_EXPLAIN_WAITING_DAYS_REMAINING, usable_from - ev->date);
        deny(ctx, ESTA_REASON_WAITING_PERIOD, ESTA_SECTION_WAITING);
        return;
    }
    if (ev->minutes > esta_balance_minutes(e)) {
        deny(ctx, ESTA_REASON_INSUFFICIENT_BALANCE, ESTA_SECTION_USE);
        return;
    }
    if (e->policy.use_cap) {
        const int32_t cap = size_cap_minutes(ctx->ruleset, ctx->out->size);
        if (e->used_minutes + ev->minutes > cap) {
            const int32_t left = cap - e->used_minutes;
            explain(ctx->out, ESTA_EXPLAIN_USE_CAP_REMAINING, left > 0 ? left : 0);
            deny(ctx, ESTA_REASON_USE_CAP, ESTA_SECTION_USE_CAP);
            return;
        }
    }
    e->used_minutes += ev->minutes;
    ctx->out->approved_minutes = ev->minutes;
    finish(ctx, ESTA_DECISION_APPROVED, ESTA_SECTION_USE);
}

/* the event's date is the last day of the benefit year being closed (or later). */
static void decide_year_end(decide_context* ctx, const esta_employer_state* employer,
                            const esta_employee_state* employee) {
    const esta_event* ev = ctx->event;
    const esta_employee_state* e = ctx->employee;
    int32_t reason = ESTA_REASON_NONE;
    if (!e->hired) {
        reason = ESTA_REASON_NOT_HIRED;
    } else if (!date_in_range(ev->processed_on)) {
        reason = ESTA_REASON_INVALID_DATE;
    } else if (ev->date > ev->processed_on) {
        reason = ESTA_REASON_FUTURE_DATE;
    } else if (ev->date < e->year_start) {
        reason = ESTA_REASON_CLOSED_YEAR;
    } else if (ev->date + 1 < esta_next_benefit_year_start(e->year_start)) {
        reason = ESTA_REASON_YEAR_NOT_ENDED;
    }
    if (reason != ESTA_REASON_NONE) {
        reject(ctx, employer, employee, reason);
        return;
    }
    roll_forward(ctx, ev->date + 1);
    finish(ctx, ESTA_DECISION_ROLLED_OVER, ESTA_SECTION_BENEFIT_YEAR);
}

/* Every decision explains the employer's size first, so the explanation list always
 * starts with the fact that picked the caps and the effective date. */
static void explain_size(decide_context* ctx) {
    esta_explanation why;
    ctx->out->size = esta_employer_size(ctx->ruleset, ctx->employer, ctx->event->date, &why);
    explain(ctx->out, why.code, why.value);
}

static void decide_hire(decide_context* ctx, const esta_employer_state* employer,
                        const esta_employee_state* employee) {
    const esta_event* ev = ctx->event;
    esta_employee_state* e = ctx->employee;
    if (e->hired) {
        reject(ctx, employer, employee, ESTA_REASON_ALREADY_HIRED);
        return;
    }
    if (!esta_policy_valid(ctx->ruleset, &ev->policy)) {
        reject(ctx, employer, employee, ESTA_REASON_INVALID_POLICY);
        return;
    }
    /* A hire is an employee, so it bounds the employer's first-hire date once that date is
     * known at all; without an explicit fact the employer is treated as established. */
    esta_note_first_employee(ctx->employer, ev->employer_first_hire);
    if (ctx->employer->first_employee_date != ESTA_NO_DATE) {
        esta_note_first_employee(ctx->employer, ev->date);
    }
    esta_employee_init(e);
    e->hired = 1;
    e->hire_date = ev->date;
    e->policy = ev->policy;
    e->year_start =
        esta_benefit_year_start(ev->date, ev->policy.year_start_month, ev->policy.year_start_day);
    finish(ctx, ESTA_DECISION_HIRED, ESTA_SECTION_HIRE);
    explain_size(ctx);
    /* Coverage is explained, not enforced: the hire itself is always recorded. */
    const int32_t start = coverage_start(ctx, ctx->out->size);
    if (start > ev->date) {
        const int32_t exemption_end = exempt_until(ctx);
        if (exemption_end != ESTA_NO_DATE && exemption_end == start) {
            explain(ctx->out, ESTA_EXPLAIN_EXEMPT_UNTIL, exemption_end);
        } else {
            explain(ctx->out, ESTA_EXPLAIN_EFFECTIVE_DAYS_REMAINING, start - ev->date);
        }
    }
    grant_frontload(ctx, ev->date);
}

static void decide_headcount(decide_context* ctx, const esta_employer_state* employer,
                             const esta_employee_state* employee) {
    const esta_event* ev = ctx->event;
    int32_t reason = ESTA_REASON_NONE;
    if (ev->headcount < 0 || ev->headcount > ESTA_MAX_HEADCOUNT) {
        reason = ESTA_REASON_INVALID_HEADCOUNT;
    } else if (!date_in_range(ev->processed_on)) {
        reason = ESTA_REASON_INVALID_DATE;
    } else if (ev->date > ev->processed_on) {
        reason = ESTA_REASON_FUTURE_DATE;
    }
    if (reason != ESTA_REASON_NONE) {
        reject(ctx, employer, employee, reason);
        return;
    }
    esta_note_first_employee(ctx->employer, ev->employer_first_hire);
    esta_record_headcount(ctx->ruleset, ctx->employer, ev->date, ev->headcount);
    finish(ctx, ESTA_DECISION_HEADCOUNT, ESTA_SECTION_SIZE);
}

static void clear_decision(esta_decision* out, const esta_employer_state* employer,
                           const esta_employee_state* employee) {
    out->kind = ESTA_DECISION_REJECTED;
    out->reason = ESTA_REASON_NONE;
    out->section = ESTA_SECTION_INPUT;
    out->ruleset_version = 0;
    out->size = 0;
    out->accrued_minutes = 0;
    out->frontloaded_minutes = 0;
    out->approved_minutes = 0;
    out->carried_minutes = 0;
    out->forfeited_minutes = 0;
    out->balance_minutes = 0;
    out->used_this_year_minutes = 0;
    out->explanation_count = 0;
    for (int32_t i = 0; i < ESTA_MAX_EXPLANATIONS; ++i) {
        out->explanations[i].code = 0;
        out->explanations[i].value = 0;
    }
    out->employer = *employer;
    out->employee = *employee;
}

void esta_decide(esta_ruleset_table rulesets, const esta_employer_state* employer,
                 const esta_employee_state* employee, const esta_event* event, esta_decision* out) {
    clear_decision(out, employer, employee);
    decide_context ctx = {0, event, out, &out->employer, &out->employee};
    if (employer->version > ESTA_STATE_VERSION || employee->version > ESTA_STATE_VERSION) {
        reject(&ctx, employer, employee, ESTA_REASON_STATE_VERSION);
        return;
    }
    if (!date_in_range(event->date)) {
        reject(&ctx, employer, employee, ESTA_REASON_INVALID_DATE);
        return;
    }
    ctx.ruleset = esta_select_ruleset(rulesets, event->date);
    if (ctx.ruleset == 0) {
        reject(&ctx, employer, employee, ESTA_REASON_NO_RULESET);
        return;
    }
    out->ruleset_version = ctx.ruleset->version;
    switch (event->kind) {
        case ESTA_EVENT_HIRE:
            decide_hire(&ctx, employer, employee);
            break;
        case ESTA_EVENT_HEADCOUNT:
            decide_headcount(&ctx, employer, employee);
            if (out->kind == ESTA_DECISION_HEADCOUNT) explain_size(&ctx);
            break;
        case ESTA_EVENT_HOURS_WORKED:
            explain_size(&ctx);
            decide_hours_worked(&ctx, employer, employee);
            break;
        case ESTA_EVENT_USE_REQUEST:
            explain_size(&ctx);
            decide_use_request(&ctx, employer, employee);
            break;
        case ESTA_EVENT_YEAR_END:
            explain_size(&ctx);
            decide_year_end(&ctx, employer, employee);
            break;
        default:
            reject(&ctx, employer, employee, ESTA_REASON_UNKNOWN_EVENT);
            break;
    }
    out->balance_minutes = esta_balance_minutes(&out->employee);
    out->used_this_year_minutes = out->employee.used_minutes;
}

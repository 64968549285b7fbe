/* Stable names of kinds, reasons, sections and explanation codes. They appear in the
 * decision JSON (docs/ESTA.md) and audit records, so a name never changes once shipped. */
#include "esta_rules.h"

#define ESTA_NAME_OR_UNKNOWN(table, index)                                                     \
    ((index) >= 0 && (index) < (int32_t)(sizeof(table) / sizeof((table)[0])) && (table)[index] \
         ? (table)[index]                                                                      \
         : "unknown")

const char* esta_decision_kind_name(int32_t kind) {
    static const char* const kNames[] = {
        0,        "accrued", "recorded",    "approved",  "denied", "rejected", "not_effective",
        "exempt", "hired",   "rolled_over", "headcount",
    };
    return ESTA_NAME_OR_UNKNOWN(kNames, kind);
}

const char* esta_reason_name(int32_t reason) {
    static const char* const kNames[] = {
        "none",
        "waiting_period",
        "insufficient_balance",
        "use_cap",
        "negative_minutes",
        "over_24_hours",
        "future_date",
        "before_hire",
        "not_hired",
        "already_hired",
        "invalid_policy",
        "invalid_date",
        "closed_year",
        "not_positive",
        "year_not_ended",
        "no_ruleset",
        "unknown_event",
        "state_version",
        "invalid_headcount",
    };
    return ESTA_NAME_OR_UNKNOWN(kNames, reason);
}

const char* esta_section_name(int32_t section) {
    static const char* const kNames[] = {
        0,         "input",       "size",      "effective",      "exempt",
        "accrual", "accrual_cap", "frontload", "waiting_period", "benefit_year",
        "use",     "use_cap",     "hire",
    };
    return ESTA_NAME_OR_UNKNOWN(kNames, section);
}

const char* esta_section_requirement(int32_t section) {
    static const char* const kIds[] = {
        0, "A-7", "A-1", "A-2", "A-2", "A-3", "A-3", "A-4", "A-5", "A-6", "A-7", "A-7", "A-8",
    };
    return ESTA_NAME_OR_UNKNOWN(kIds, section);
}

const char* esta_explain_code_name(int32_t code) {
    static const char* const kNames[] = {
        0,
        "size_large_current_year",
        "size_large_prior_year",
        "size_small",
        "waiting_days_remaining",
        "effective_days_remaining",
        "exempt_until",
        "accrual_capped",
        "remainder_carried",
        "frontloaded",
        "prorated_days",
        "years_rolled",
        "use_cap_remaining",
        "day_total",
    };
    return ESTA_NAME_OR_UNKNOWN(kNames, code);
}

const char* esta_event_kind_name(int32_t kind) {
    static const char* const kNames[] = {
        0, "hire", "hours_worked", "use_request", "year_end", "headcount",
    };
    return ESTA_NAME_OR_UNKNOWN(kNames, kind);
}

/* The shipped rulesets, ruleset selection by business date, and policy validation. */
#include "esta_rules.h"

/* The 2025 amended act (PA 2 of 2025), as REQUIREMENTS A-1..A-7 summarize it. It governs
 * every date from 1900 on, because hires and headcounts before the act are facts the rules
 * still need; the act's own start dates are the large_effective / small_effective fields.
 * The next amendment is a new entry with a later effective_from, not new code. */
static const esta_ruleset kBuiltinRulesets[] = {
    {
        .version = "MI-ESTA-2025.1",
        .effective_from = ESTA_CIVIL_DAY(1900, 1, 1),
        .large_effective = ESTA_CIVIL_DAY(2025, 2, 21),
        .small_effective = ESTA_CIVIL_DAY(2025, 10, 1),
        .small_max_employees = 10,
        .large_min_workweeks = 20,
        .new_business_cutoff = ESTA_CIVIL_DAY(2022, 2, 21),
        .new_business_exempt_years = 3,
        .accrual_earned_minutes = 1,
        .accrual_worked_minutes = 30,
        .large_cap_minutes = 72 * ESTA_MINUTES_PER_HOUR,
        .small_cap_minutes = 40 * ESTA_MINUTES_PER_HOUR,
        .max_waiting_days = 120,
        .waiting_applies_from = ESTA_CIVIL_DAY(2025, 2, 21),
        .max_minutes_per_day = ESTA_MINUTES_PER_DAY,
    },
};

esta_ruleset_table esta_builtin_rulesets(void) {
    esta_ruleset_table table;
    table.entries = kBuiltinRulesets;
    table.count = (int32_t)(sizeof kBuiltinRulesets / sizeof kBuiltinRulesets[0]);
    return table;
}

const esta_ruleset* esta_select_ruleset(esta_ruleset_table table, int32_t date) {
    const esta_ruleset* selected = 0;
    for (int32_t i = 0; i < table.count; ++i) {
        if (table.entries[i].effective_from <= date) selected = &table.entries[i];
    }
    return selected;
}

esta_policy esta_default_policy(void) {
    esta_policy policy;
    policy.method = ESTA_METHOD_ACCRUAL;
    policy.use_cap = 0;
    policy.accrual_cap = 0;
    policy.unlimited_carryover = 0;
    policy.frontload_prorate = 0;
    policy.year_start_month = 1;
    policy.year_start_day = 1;
    policy.reserved = 0;
    policy.waiting_days = 0;
    return policy;
}

static bool is_flag(uint8_t value) {
    return value == 0 || value == 1;
}

bool esta_policy_valid(const esta_ruleset* ruleset, const esta_policy* policy) {
    if (policy->method != ESTA_METHOD_ACCRUAL && policy->method != ESTA_METHOD_FRONTLOAD) {
        return false;
    }
    if (policy->waiting_days < 0 || policy->waiting_days > ruleset->max_waiting_days) {
        return false;
    }
    if (!is_flag(policy->use_cap) || !is_flag(policy->accrual_cap) ||
        !is_flag(policy->unlimited_carryover) || !is_flag(policy->frontload_prorate)) {
        return false;
    }
    /* The benefit year must start on a day every year has: 2001 is a common year, so
     * 29 February is refused. */
    return esta_civil_valid(2001, policy->year_start_month, policy->year_start_day);
}

/* Employer size from weekly headcounts (REQUIREMENTS A-1). */
#include "esta_employer.h"

static int32_t count_bits(uint64_t bits) {
    int32_t count = 0;
    while (bits != 0) {
        bits &= bits - 1; /* clears the lowest set bit */
        ++count;
    }
    return count;
}

int32_t esta_qualifying_weeks(const esta_employer_state* employer, int32_t year) {
    if (employer->headcount_year == 0) return 0;
    const int32_t age = employer->headcount_year - year;
    if (age < 0 || age >= ESTA_HEADCOUNT_YEARS) return 0; /* no reports kept for that year */
    return count_bits(employer->large_weeks[age]);
}

esta_size esta_employer_size(const esta_ruleset* ruleset, const esta_employer_state* employer,
                             int32_t date, esta_explanation* why) {
    const int32_t year = esta_civil_from_days(date).year;
    const int32_t current = esta_qualifying_weeks(employer, year);
    const int32_t prior = esta_qualifying_weeks(employer, year - 1);
    if (current >= ruleset->large_min_workweeks) {
        why->code = ESTA_EXPLAIN_SIZE_LARGE_CURRENT_YEAR;
        why->value = current;
        return ESTA_SIZE_LARGE;
    }
    if (prior >= ruleset->large_min_workweeks) {
        why->code = ESTA_EXPLAIN_SIZE_LARGE_PRIOR_YEAR;
        why->value = prior;
        return ESTA_SIZE_LARGE;
    }
    why->code = ESTA_EXPLAIN_SIZE_SMALL;
    why->value = current > prior ? current : prior;
    return ESTA_SIZE_SMALL;
}

/* Keeps the bitmaps aligned so that large_weeks[0] belongs to the newest year reported,
 * shifting older years out. Returns the slot for `year`, or -1 when it is too old to keep. */
static int32_t slot_for_year(esta_employer_state* employer, int32_t year) {
    if (employer->headcount_year == 0) employer->headcount_year = year;
    while (employer->headcount_year < year) {
        for (int32_t i = ESTA_HEADCOUNT_YEARS - 1; i > 0; --i) {
            employer->large_weeks[i] = employer->large_weeks[i - 1];
        }
        employer->large_weeks[0] = 0;
        ++employer->headcount_year;
    }
    const int32_t age = employer->headcount_year - year;
    return age < ESTA_HEADCOUNT_YEARS ? age : -1;
}

void esta_record_headcount(const esta_ruleset* ruleset, esta_employer_state* employer,
                           int32_t week_date, int32_t headcount) {
    const int32_t year = esta_civil_from_days(week_date).year;
    const int32_t slot = slot_for_year(employer, year);
    if (slot >= 0) {
        /* A week is named by the day of the year it starts on; a second report for the same
         * week replaces the first (a correction), so a bit is cleared as well as set. */
        const uint64_t bit = (uint64_t)1 << (esta_day_of_year(week_date) / 7);
        if (headcount > ruleset->small_max_employees) {
            employer->large_weeks[slot] |= bit;
        } else {
            employer->large_weeks[slot] &= ~bit;
        }
    }
    employer->last_headcount = headcount;
}

void esta_note_first_employee(esta_employer_state* employer, int32_t date) {
    if (date == ESTA_NO_DATE) return;
    if (employer->first_employee_date == ESTA_NO_DATE || date < employer->first_employee_date) {
        employer->first_employee_date = date;
    }
}

void esta_employer_init(esta_employer_state* employer) {
    employer->version = ESTA_STATE_VERSION;
    employer->headcount_year = 0;
    for (int32_t i = 0; i < ESTA_HEADCOUNT_YEARS; ++i)
        employer->large_weeks[i] = 0;
    employer->first_employee_date = ESTA_NO_DATE;
    employer->last_headcount = 0;
}

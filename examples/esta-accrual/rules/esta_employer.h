/* Internal: employer facts (A-1 size, A-2 first hire) used by esta_rules.c. */
#ifndef ESTA_EMPLOYER_H
#define ESTA_EMPLOYER_H

#include "esta_rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Workweeks of `year` with more than small_max_employees employees, as far as reported. */
int32_t esta_qualifying_weeks(const esta_employer_state* employer, int32_t year);

/* Records one weekly headcount; keeps ESTA_HEADCOUNT_YEARS calendar years. */
void esta_record_headcount(const esta_ruleset* ruleset, esta_employer_state* employer,
                           int32_t week_date, int32_t headcount);

/* The employer had an employee on `date` (ESTA_NO_DATE: nothing to record). */
void esta_note_first_employee(esta_employer_state* employer, int32_t date);

#ifdef __cplusplus
}
#endif

#endif /* ESTA_EMPLOYER_H */

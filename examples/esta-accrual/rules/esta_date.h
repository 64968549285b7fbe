/* Civil-date arithmetic for the ESTA rules (REQUIREMENTS A-6, T-2).
 *
 * A business date is a day number: days since 1970-01-01 in the proleptic Gregorian calendar.
 * Dates come from events, never from a clock. Everything here is pure integer arithmetic with
 * no libc, so it compiles freestanding for wasm32 as well as natively.
 */
#ifndef ESTA_DATE_H
#define ESTA_DATE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "No date": distinct from every valid day number (valid years are 1900..2199). */
#define ESTA_NO_DATE INT32_MIN
#define ESTA_MIN_YEAR 1900
#define ESTA_MAX_YEAR 2199

/* The day number of a civil date as a constant expression (for static tables); the same
 * arithmetic as esta_days_from_civil. */
#define ESTA_SHIFTED_YEAR_(y, m) ((m) <= 2 ? (y)-1 : (y))
#define ESTA_CIVIL_DAY(y, m, d)                                                           \
    ((ESTA_SHIFTED_YEAR_(y, m) / 400) * 146097 + (ESTA_SHIFTED_YEAR_(y, m) % 400) * 365 + \
     (ESTA_SHIFTED_YEAR_(y, m) % 400) / 4 - (ESTA_SHIFTED_YEAR_(y, m) % 400) / 100 +      \
     (153 * ((m) > 2 ? (m)-3 : (m) + 9) + 2) / 5 + (d)-1 - 719468)

typedef struct esta_civil {
    int32_t year;
    int32_t month; /* 1..12 */
    int32_t day;   /* 1..31 */
} esta_civil;

bool esta_is_leap_year(int32_t year);
int32_t esta_days_in_month(int32_t year, int32_t month);

/* True when year/month/day names a real calendar day within ESTA_MIN_YEAR..ESTA_MAX_YEAR. */
bool esta_civil_valid(int32_t year, int32_t month, int32_t day);

/* Day number of a civil date. The caller checks validity first (esta_civil_valid). */
int32_t esta_days_from_civil(int32_t year, int32_t month, int32_t day);
esta_civil esta_civil_from_days(int32_t days);

/* The same month and day `years` later; 29 February becomes 28 February in a common year. */
int32_t esta_add_years(int32_t days, int32_t years);

/* Ordinal day within its calendar year, 0 for 1 January. */
int32_t esta_day_of_year(int32_t days);

/* First day of the benefit year containing `days`, for a benefit year starting every year on
 * start_month/start_day. The start must be a valid day in a common year (no 29 Feb). */
int32_t esta_benefit_year_start(int32_t days, int32_t start_month, int32_t start_day);

/* First day of the benefit year that follows the one starting on `year_start`. */
int32_t esta_next_benefit_year_start(int32_t year_start);

#ifdef __cplusplus
}
#endif

#endif /* ESTA_DATE_H */

/* Civil-date arithmetic; see esta_date.h. */
#include "esta_date.h"

bool esta_is_leap_year(int32_t year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int32_t esta_days_in_month(int32_t year, int32_t month) {
    static const int8_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && esta_is_leap_year(year)) return 29;
    return kDays[month - 1];
}

bool esta_civil_valid(int32_t year, int32_t month, int32_t day) {
    if (year < ESTA_MIN_YEAR || year > ESTA_MAX_YEAR) return false;
    if (month < 1 || month > 12) return false;
    return day >= 1 && day <= esta_days_in_month(year, month);
}

/* Count days in 400-year eras starting on 1 March, so the leap day is the last day of a
 * "year" and the month lengths before it follow a fixed pattern (153 days per 5 months).
 * Years are >= 1900 here, so every division is on non-negative numbers. */
int32_t esta_days_from_civil(int32_t year, int32_t month, int32_t day) {
    const int32_t y = month <= 2 ? year - 1 : year;
    const int32_t era = y / 400;
    const int32_t year_of_era = y - era * 400;
    const int32_t shifted_month = month > 2 ? month - 3 : month + 9; /* March = 0 */
    const int32_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    const int32_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    const int32_t kDaysFromYear0ToEpoch = 719468; /* 0000-03-01 .. 1970-01-01 */
    return era * 146097 + day_of_era - kDaysFromYear0ToEpoch;
}

esta_civil esta_civil_from_days(int32_t days) {
    const int32_t z = days + 719468; /* positive for every supported year */
    const int32_t era = z / 146097;
    const int32_t day_of_era = z - era * 146097;
    const int32_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const int32_t day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const int32_t shifted_month = (5 * day_of_year + 2) / 153;
    esta_civil civil;
    civil.day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    civil.month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
    civil.year = year_of_era + era * 400 + (civil.month <= 2 ? 1 : 0);
    return civil;
}

int32_t esta_add_years(int32_t days, int32_t years) {
    const esta_civil c = esta_civil_from_days(days);
    const int32_t year = c.year + years;
    const int32_t last_day = esta_days_in_month(year, c.month);
    return esta_days_from_civil(year, c.month, c.day > last_day ? last_day : c.day);
}

int32_t esta_day_of_year(int32_t days) {
    const esta_civil c = esta_civil_from_days(days);
    return days - esta_days_from_civil(c.year, 1, 1);
}

int32_t esta_benefit_year_start(int32_t days, int32_t start_month, int32_t start_day) {
    const esta_civil c = esta_civil_from_days(days);
    const int32_t this_year = esta_days_from_civil(c.year, start_month, start_day);
    return this_year <= days ? this_year : esta_days_from_civil(c.year - 1, start_month, start_day);
}

int32_t esta_next_benefit_year_start(int32_t year_start) {
    return esta_add_years(year_start, 1);
}

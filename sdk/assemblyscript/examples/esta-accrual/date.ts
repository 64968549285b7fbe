// Civil-date arithmetic (docs/ESTA.md): a business date is a day number, days since
// 1970-01-01 in the proleptic Gregorian calendar. Integer arithmetic only; every division is
// on non-negative numbers for the supported years (1900..2199).

export const NO_DATE: i32 = i32.MIN_VALUE;
export const MIN_YEAR: i32 = 1900;
export const MAX_YEAR: i32 = 2199;

export function isLeapYear(year: i32): bool {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

const DAYS_IN_MONTH: StaticArray<i32> = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: i32, month: i32): i32 {
  if (month == 2 && isLeapYear(year)) return 29;
  return DAYS_IN_MONTH[month - 1];
}

/** A real calendar day within MIN_YEAR..MAX_YEAR. */
export function civilValid(year: i32, month: i32, day: i32): bool {
  if (year < MIN_YEAR || year > MAX_YEAR) return false;
  if (month < 1 || month > 12) return false;
  return day >= 1 && day <= daysInMonth(year, month);
}

/** Days counted in 400-year eras starting on 1 March, so the leap day ends a "year". */
export function daysFromCivil(year: i32, month: i32, day: i32): i32 {
  const y = month <= 2 ? year - 1 : year;
  const era = y / 400;
  const yearOfEra = y - era * 400;
  const shiftedMonth = month > 2 ? month - 3 : month + 9;
  const dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1;
  const dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

export class Civil {
  constructor(public year: i32, public month: i32, public day: i32) {}
}

/** The calendar year of a day number (civilFromDays(days).year without an object). */
export function yearOfDays(days: i32): i32 {
  const z = days + 719468;
  const era = z / 146097;
  const dayOfEra = z - era * 146097;
  const yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
  const dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
  const shiftedMonth = (5 * dayOfYear + 2) / 153;
  return yearOfEra + era * 400 + (shiftedMonth >= 10 ? 1 : 0);
}

export function civilFromDays(days: i32): Civil {
  const z = days + 719468;
  const era = z / 146097;
  const dayOfEra = z - era * 146097;
  const yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
  const dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
  const shiftedMonth = (5 * dayOfYear + 2) / 153;
  const day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return new Civil(yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day);
}

/** The same month and day `years` later; 29 February becomes 28 February. */
export function addYears(days: i32, years: i32): i32 {
  const c = civilFromDays(days);
  const year = c.year + years;
  const lastDay = daysInMonth(year, c.month);
  return daysFromCivil(year, c.month, c.day > lastDay ? lastDay : c.day);
}

/** 0 for 1 January. */
export function dayOfYear(days: i32): i32 {
  return days - daysFromCivil(yearOfDays(days), 1, 1);
}

/** The first day of the benefit year containing `days`. */
export function benefitYearStart(days: i32, startMonth: i32, startDay: i32): i32 {
  const c = civilFromDays(days);
  const thisYear = daysFromCivil(c.year, startMonth, startDay);
  return thisYear <= days ? thisYear : daysFromCivil(c.year - 1, startMonth, startDay);
}

export function nextBenefitYearStart(yearStart: i32): i32 {
  return addYears(yearStart, 1);
}

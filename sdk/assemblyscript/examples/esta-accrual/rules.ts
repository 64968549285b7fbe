// The Michigan ESTA decision procedure (docs/ESTA.md, REQUIREMENTS A-1..A-8): one event and
// the two states in, one decision with the new states out. Integer minutes only, dates
// from the event (never a clock); the statutory numbers come from a versioned ruleset chosen
// by the event's business date. The same procedure as the C rules
// (examples/esta-accrual/rules/), written again for AssemblyScript; the e2e test
// A8_AssemblyScriptModuleMatchesC checks that both decide every event alike.

import {
  addYears, benefitYearStart, civilValid, dayOfYear, daysFromCivil,
  MAX_YEAR, MIN_YEAR, nextBenefitYearStart, NO_DATE, yearOfDays,
} from "./date";
import {
  EmployeeState, EmployerState, HEADCOUNT_YEARS, METHOD_ACCRUAL, METHOD_FRONTLOAD, Policy, STATE_VERSION,
} from "./state";

// ---- Ruleset: the statute as data (A-2..A-5, V-1). -------------------------------------

export class Ruleset {
  version: string = "";
  effectiveFrom: i32 = 0;
  largeEffective: i32 = 0;
  smallEffective: i32 = 0;
  smallMaxEmployees: i32 = 0;
  largeMinWorkweeks: i32 = 0;
  newBusinessCutoff: i32 = 0;
  newBusinessExemptYears: i32 = 0;
  accrualEarnedMinutes: i32 = 0;
  accrualWorkedMinutes: i32 = 0;
  largeCapMinutes: i32 = 0;
  smallCapMinutes: i32 = 0;
  maxWaitingDays: i32 = 0;
  waitingAppliesFrom: i32 = 0;
  maxMinutesPerDay: i32 = 0;
}

/** The 2025 amended act; the next amendment is a new entry with a later effectiveFrom. */
function builtinRulesets(): Ruleset[] {
  const r = new Ruleset();
  r.version = "MI-ESTA-2025.1";
  r.effectiveFrom = daysFromCivil(1900, 1, 1);
  r.largeEffective = daysFromCivil(2025, 2, 21);
  r.smallEffective = daysFromCivil(2025, 10, 1);
  r.smallMaxEmployees = 10;
  r.largeMinWorkweeks = 20;
  r.newBusinessCutoff = daysFromCivil(2022, 2, 21);
  r.newBusinessExemptYears = 3;
  r.accrualEarnedMinutes = 1;
  r.accrualWorkedMinutes = 30;
  r.largeCapMinutes = 72 * 60;
  r.smallCapMinutes = 40 * 60;
  r.maxWaitingDays = 120;
  r.waitingAppliesFrom = daysFromCivil(2025, 2, 21);
  r.maxMinutesPerDay = 1440;
  return [r];
}

const RULESETS: Ruleset[] = builtinRulesets();

/** The last ruleset whose effectiveFrom is on or before `date`, or null. */
export function selectRuleset(date: i32): Ruleset | null {
  let selected: Ruleset | null = null;
  for (let i = 0; i < RULESETS.length; ++i) {
    if (RULESETS[i].effectiveFrom <= date) selected = RULESETS[i];
  }
  return selected;
}

function isFlag(value: u8): bool {
  return value == 0 || value == 1;
}

export function policyValid(rs: Ruleset, p: Policy): bool {
  if (p.method != METHOD_ACCRUAL && p.method != METHOD_FRONTLOAD) return false;
  if (p.waitingDays < 0 || p.waitingDays > rs.maxWaitingDays) return false;
  if (!isFlag(p.useCap) || !isFlag(p.accrualCap) || !isFlag(p.unlimitedCarryover) || !isFlag(p.frontloadProrate)) {
    return false;
  }
  // The benefit year must start on a day every year has (2001 is a common year).
  return civilValid(2001, <i32>p.yearStartMonth, <i32>p.yearStartDay);
}

// ---- Events and decisions. --------------------------------------------------------------

export const EVENT_HIRE: i32 = 1;
export const EVENT_HOURS_WORKED: i32 = 2;
export const EVENT_USE_REQUEST: i32 = 3;
export const EVENT_YEAR_END: i32 = 4;
export const EVENT_HEADCOUNT: i32 = 5;

export class Event {
  kind: i32 = 0;
  date: i32 = NO_DATE;
  processedOn: i32 = NO_DATE;
  minutes: i32 = 0;
  headcount: i32 = 0;
  employerFirstHire: i32 = NO_DATE;
  policy: Policy = new Policy();
}

export const SIZE_SMALL: i32 = 1;
export const SIZE_LARGE: i32 = 2;

export namespace DecisionKind {
  export const ACCRUED: i32 = 1;
  export const RECORDED: i32 = 2;
  export const APPROVED: i32 = 3;
  export const DENIED: i32 = 4;
  export const REJECTED: i32 = 5;
  export const NOT_EFFECTIVE: i32 = 6;
  export const EXEMPT: i32 = 7;
  export const HIRED: i32 = 8;
  export const ROLLED_OVER: i32 = 9;
  export const HEADCOUNT: i32 = 10;
}

export namespace Reason {
  export const NONE: i32 = 0;
  export const WAITING_PERIOD: i32 = 1;
  export const INSUFFICIENT_BALANCE: i32 = 2;
  export const USE_CAP: i32 = 3;
  export const NEGATIVE_MINUTES: i32 = 4;
  export const OVER_24_HOURS: i32 = 5;
  export const FUTURE_DATE: i32 = 6;
  export const BEFORE_HIRE: i32 = 7;
  export const NOT_HIRED: i32 = 8;
  export const ALREADY_HIRED: i32 = 9;
  export const INVALID_POLICY: i32 = 10;
  export const INVALID_DATE: i32 = 11;
  export const CLOSED_YEAR: i32 = 12;
  export const NOT_POSITIVE: i32 = 13;
  export const YEAR_NOT_ENDED: i32 = 14;
  export const NO_RULESET: i32 = 15;
  export const UNKNOWN_EVENT: i32 = 16;
  export const STATE_VERSION: i32 = 17;
  export const INVALID_HEADCOUNT: i32 = 18;
}

export namespace Section {
  export const INPUT: i32 = 1;
  export const SIZE: i32 = 2;
  export const EFFECTIVE: i32 = 3;
  export const EXEMPT: i32 = 4;
  export const ACCRUAL: i32 = 5;
  export const ACCRUAL_CAP: i32 = 6;
  export const FRONTLOAD: i32 = 7;
  export const WAITING: i32 = 8;
  export const BENEFIT_YEAR: i32 = 9;
  export const USE: i32 = 10;
  export const USE_CAP: i32 = 11;
  export const HIRE: i32 = 12;
}

export namespace Explain {
  export const SIZE_LARGE_CURRENT_YEAR: i32 = 1;
  export const SIZE_LARGE_PRIOR_YEAR: i32 = 2;
  export const SIZE_SMALL: i32 = 3;
  export const WAITING_DAYS_REMAINING: i32 = 4;
  export const EFFECTIVE_DAYS_REMAINING: i32 = 5;
  export const EXEMPT_UNTIL: i32 = 6;
  export const ACCRUAL_CAPPED: i32 = 7;
  export const REMAINDER_CARRIED: i32 = 8;
  export const FRONTLOADED: i32 = 9;
  export const PRORATED: i32 = 10;
  export const YEARS_ROLLED: i32 = 11;
  export const USE_CAP_REMAINING: i32 = 12;
  export const DAY_TOTAL: i32 = 13;
}

export const MAX_EXPLANATIONS: i32 = 6;

export class Decision {
  kind: i32 = DecisionKind.REJECTED;
  reason: i32 = Reason.NONE;
  section: i32 = Section.INPUT;
  rulesetVersion: string | null = null;
  size: i32 = 0;
  accrued: i32 = 0;
  frontloaded: i32 = 0;
  approved: i32 = 0;
  carried: i32 = 0;
  forfeited: i32 = 0;
  balance: i32 = 0;
  usedYear: i32 = 0;
  explainCodes: i32[] = [];
  explainValues: i32[] = [];
  employer: EmployerState;
  employee: EmployeeState;

  constructor(employer: EmployerState, employee: EmployeeState) {
    this.employer = employer;
    this.employee = employee;
  }

  explain(code: i32, value: i32): void {
    if (this.explainCodes.length >= MAX_EXPLANATIONS) return;
    this.explainCodes.push(code);
    this.explainValues.push(value);
  }
}

// ---- The procedure. ---------------------------------------------------------------------

const FIRST_DAY: i32 = daysFromCivil(MIN_YEAR, 1, 1);
const LAST_DAY: i32 = daysFromCivil(MAX_YEAR, 12, 31);
const MAX_HEADCOUNT: i32 = 10000000;

function dateInRange(date: i32): bool {
  return date >= FIRST_DAY && date <= LAST_DAY;
}

function countBits(bits: u64): i32 {
  return <i32>popcnt<u64>(bits);
}

function qualifyingWeeks(er: EmployerState, year: i32): i32 {
  if (er.headcountYear == 0) return 0;
  const age = er.headcountYear - year;
  if (age < 0 || age >= HEADCOUNT_YEARS) return 0;
  return countBits(er.largeWeeks[age]);
}

/** the size on `date`; the explanation that justifies it goes to whyCode/whyValue. */
class SizeAnswer {
  size: i32 = SIZE_SMALL;
  code: i32 = 0;
  value: i32 = 0;
}

function employerSize(rs: Ruleset, er: EmployerState, date: i32): SizeAnswer {
  const year = yearOfDays(date);
  const current = qualifyingWeeks(er, year);
  const prior = qualifyingWeeks(er, year - 1);
  const out = new SizeAnswer();
  if (current >= rs.largeMinWorkweeks) {
    out.size = SIZE_LARGE;
    out.code = Explain.SIZE_LARGE_CURRENT_YEAR;
    out.value = current;
  } else if (prior >= rs.largeMinWorkweeks) {
    out.size = SIZE_LARGE;
    out.code = Explain.SIZE_LARGE_PRIOR_YEAR;
    out.value = prior;
  } else {
    out.code = Explain.SIZE_SMALL;
    out.value = current > prior ? current : prior;
  }
  return out;
}

/** Keeps large_weeks[0] the newest year reported; the slot for `year`, or -1 when too old. */
function slotForYear(er: EmployerState, year: i32): i32 {
  if (er.headcountYear == 0) er.headcountYear = year;
  while (er.headcountYear < year) {
    for (let i = HEADCOUNT_YEARS - 1; i > 0; --i) er.largeWeeks[i] = er.largeWeeks[i - 1];
    er.largeWeeks[0] = 0;
    ++er.headcountYear;
  }
  const age = er.headcountYear - year;
  return age < HEADCOUNT_YEARS ? age : -1;
}

function recordHeadcount(rs: Ruleset, er: EmployerState, weekDate: i32, headcount: i32): void {
  const slot = slotForYear(er, yearOfDays(weekDate));
  if (slot >= 0) {
    // A second report for the same week replaces the first, so a bit is cleared as well.
    const bit = (<u64>1) << <u64>(dayOfYear(weekDate) / 7);
    if (headcount > rs.smallMaxEmployees) {
      er.largeWeeks[slot] |= bit;
    } else {
      er.largeWeeks[slot] &= ~bit;
    }
  }
  er.lastHeadcount = headcount;
}

function noteFirstEmployee(er: EmployerState, date: i32): void {
  if (date == NO_DATE) return;
  if (er.firstEmployeeDate == NO_DATE || date < er.firstEmployeeDate) er.firstEmployeeDate = date;
}

/** The states in `out` are the working copies; `employer`/`employee` the caller's. */
class Context {
  constructor(
    public rs: Ruleset,
    public ev: Event,
    public out: Decision,
    public employerIn: EmployerState,
    public employeeIn: EmployeeState,
  ) {}

  get er(): EmployerState {
    return this.out.employer;
  }

  get e(): EmployeeState {
    return this.out.employee;
  }

  finish(kind: i32, section: i32): void {
    this.out.kind = kind;
    this.out.section = section;
  }

  /** A rejection: the states go back to the caller's, byte for byte. */
  reject(reason: i32): void {
    this.out.employer = this.employerIn.clone();
    this.out.employee = this.employeeIn.clone();
    this.out.reason = reason;
    this.finish(DecisionKind.REJECTED, Section.INPUT);
  }

  capMinutes(size: i32): i32 {
    return size == SIZE_LARGE ? this.rs.largeCapMinutes : this.rs.smallCapMinutes;
  }

  sizeOn(date: i32): i32 {
    return employerSize(this.rs, this.er, date).size;
  }

  /** the day a new business's exemption ends, or NO_DATE. */
  exemptUntil(): i32 {
    const first = this.er.firstEmployeeDate;
    if (first == NO_DATE || first < this.rs.newBusinessCutoff) return NO_DATE;
    return addYears(first, this.rs.newBusinessExemptYears);
  }

  /** the first day the act covers this employee for an employer of `size`. */
  coverageStart(size: i32): i32 {
    let start = size == SIZE_LARGE ? this.rs.largeEffective : this.rs.smallEffective;
    const exemptionEnd = this.exemptUntil();
    if (exemptionEnd != NO_DATE && exemptionEnd > start) start = exemptionEnd;
    if (this.e.hireDate > start) start = this.e.hireDate;
    return start;
  }

  /** false (and the decision finished) when `date` is not covered. */
  checkCoverage(date: i32): bool {
    const exemptionEnd = this.exemptUntil();
    if (exemptionEnd != NO_DATE && date < exemptionEnd) {
      this.out.explain(Explain.EXEMPT_UNTIL, exemptionEnd);
      this.finish(DecisionKind.EXEMPT, Section.EXEMPT);
      return false;
    }
    const effective = this.out.size == SIZE_LARGE ? this.rs.largeEffective : this.rs.smallEffective;
    if (date < effective) {
      this.out.explain(Explain.EFFECTIVE_DAYS_REMAINING, effective - date);
      this.finish(DecisionKind.NOT_EFFECTIVE, Section.EFFECTIVE);
      return false;
    }
    return true;
  }

  /** the frontload of the current benefit year, once, as soon as `date` is covered;
   *  pro-rated (rounded up) for a start after the year began when the policy asks. */
  grantFrontload(date: i32): void {
    const e = this.e;
    if (e.policy.method != METHOD_FRONTLOAD || e.frontloadYear == e.yearStart) return;
    const size = this.sizeOn(date);
    const start = this.coverageStart(size);
    if (date < start) return;
    let amount = <i64>this.capMinutes(size);
    if (e.policy.frontloadProrate != 0 && start > e.yearStart) {
      const nextYear = nextBenefitYearStart(e.yearStart);
      const coveredDays = <i64>(nextYear - start);
      const yearDays = <i64>(nextYear - e.yearStart);
      amount = (amount * coveredDays + yearDays - 1) / yearDays;
      this.out.explain(Explain.PRORATED, <i32>coveredDays);
    }
    e.earnedMinutes += <i32>amount;
    e.frontloadYear = e.yearStart;
    this.out.frontloaded += <i32>amount;
    this.out.explain(Explain.FRONTLOADED, <i32>amount);
  }

  /** closes the benefit year, carrying the unused balance up to the cap of the size on
   *  the year's last day (all of it when unlimited; nothing under frontload). */
  closeBenefitYear(): void {
    const e = this.e;
    const nextYear = nextBenefitYearStart(e.yearStart);
    const balance = e.balance;
    let carried = balance;
    if (e.policy.method == METHOD_FRONTLOAD) {
      carried = 0;
    } else if (e.policy.unlimitedCarryover == 0) {
      const cap = this.capMinutes(this.sizeOn(nextYear - 1));
      if (carried > cap) carried = cap;
    }
    this.out.carried = carried;
    this.out.forfeited += balance - carried;
    e.yearStart = nextYear;
    e.carryoverMinutes = carried;
    e.earnedMinutes = 0;
    e.usedMinutes = 0;
  }

  /** Closes every benefit year that ended before `date`. */
  rollForward(date: i32): void {
    let closed = 0;
    while (nextBenefitYearStart(this.e.yearStart) <= date) {
      this.closeBenefitYear();
      ++closed;
    }
    if (closed > 0) {
      this.out.explain(Explain.YEARS_ROLLED, closed);
      this.grantFrontload(this.e.yearStart);
    }
  }

  checkEmployeeDate(): i32 {
    const ev = this.ev;
    if (this.e.hired == 0) return Reason.NOT_HIRED;
    if (!dateInRange(ev.processedOn)) return Reason.INVALID_DATE;
    if (ev.date > ev.processedOn) return Reason.FUTURE_DATE;
    if (ev.date < this.e.hireDate) return Reason.BEFORE_HIRE;
    if (ev.date < this.e.yearStart) return Reason.CLOSED_YEAR;
    return Reason.NONE;
  }

  /** 0..24 h per entry and per calendar day. */
  checkWorkedMinutes(): i32 {
    const ev = this.ev;
    const e = this.e;
    if (ev.minutes < 0) return Reason.NEGATIVE_MINUTES;
    if (ev.minutes > this.rs.maxMinutesPerDay) return Reason.OVER_24_HOURS;
    if (ev.date == e.lastWorkDate && e.lastWorkDayMinutes + ev.minutes > this.rs.maxMinutesPerDay) {
      this.out.explain(Explain.DAY_TOTAL, e.lastWorkDayMinutes);
      return Reason.OVER_24_HOURS;
    }
    return Reason.NONE;
  }

  /** exact accrual from the running remainder; with the policy's cap, stops at the cap. */
  accrue(): void {
    const e = this.e;
    const rs = this.rs;
    const units = e.workedRemainder + this.ev.minutes * rs.accrualEarnedMinutes;
    let accrued = units / rs.accrualWorkedMinutes;
    e.workedRemainder = units % rs.accrualWorkedMinutes;
    let section = Section.ACCRUAL;
    if (e.policy.accrualCap != 0) {
      const room = this.capMinutes(this.out.size) - e.earnedMinutes;
      const allowed = room > 0 ? room : 0;
      if (accrued > allowed) {
        this.out.explain(Explain.ACCRUAL_CAPPED, accrued - allowed);
        accrued = allowed;
        section = Section.ACCRUAL_CAP;
      }
    }
    e.earnedMinutes += accrued;
    this.out.accrued = accrued;
    if (e.workedRemainder > 0) this.out.explain(Explain.REMAINDER_CARRIED, e.workedRemainder);
    this.finish(DecisionKind.ACCRUED, section);
  }

  hoursWorked(): void {
    const ev = this.ev;
    let reason = this.checkEmployeeDate();
    if (reason == Reason.NONE) reason = this.checkWorkedMinutes();
    if (reason != Reason.NONE) {
      this.reject(reason);
      return;
    }
    const e = this.e;
    if (ev.date != e.lastWorkDate) {
      e.lastWorkDate = ev.date;
      e.lastWorkDayMinutes = 0;
    }
    e.lastWorkDayMinutes += ev.minutes;
    this.rollForward(ev.date);
    if (!this.checkCoverage(ev.date)) return;
    if (e.policy.method == METHOD_FRONTLOAD) {
      this.grantFrontload(ev.date);
      this.finish(DecisionKind.RECORDED, Section.FRONTLOAD);
      return;
    }
    this.accrue();
  }

  /** the end of the waiting period, or NO_DATE when none applies. */
  waitingPeriodEnd(): i32 {
    const e = this.e;
    if (e.policy.method != METHOD_ACCRUAL || e.policy.waitingDays == 0) return NO_DATE;
    if (e.hireDate < this.rs.waitingAppliesFrom) return NO_DATE;
    return e.hireDate + e.policy.waitingDays;
  }

  deny(reason: i32, section: i32): void {
    this.out.reason = reason;
    this.finish(DecisionKind.DENIED, section);
  }

  /** A-7, in this order: waiting period, balance, the year's use cap. */
  useRequest(): void {
    const ev = this.ev;
    let reason = this.checkEmployeeDate();
    if (reason == Reason.NONE && ev.minutes <= 0) reason = Reason.NOT_POSITIVE;
    if (reason != Reason.NONE) {
      this.reject(reason);
      return;
    }
    const e = this.e;
    this.rollForward(ev.date);
    if (!this.checkCoverage(ev.date)) return;
    this.grantFrontload(ev.date);
    const usableFrom = this.waitingPeriodEnd();
    if (usableFrom != NO_DATE && ev.date < usableFrom) {
      this.out.explain(Explain.WAITING_DAYS_REMAINING, usableFrom - ev.date);
      this.deny(Reason.WAITING_PERIOD, Section.WAITING);
      return;
    }
    if (ev.minutes > e.balance) {
      this.deny(Reason.INSUFFICIENT_BALANCE, Section.USE);
      return;
    }
    if (e.policy.useCap != 0) {
      const cap = this.capMinutes(this.out.size);
      if (e.usedMinutes + ev.minutes > cap) {
        const left = cap - e.usedMinutes;
        this.out.explain(Explain.USE_CAP_REMAINING, left > 0 ? left : 0);
        this.deny(Reason.USE_CAP, Section.USE_CAP);
        return;
      }
    }
    e.usedMinutes += ev.minutes;
    this.out.approved = ev.minutes;
    this.finish(DecisionKind.APPROVED, Section.USE);
  }

  /** dated on the last day of the benefit year being closed, or later. */
  yearEnd(): void {
    const ev = this.ev;
    const e = this.e;
    let reason = Reason.NONE;
    if (e.hired == 0) {
      reason = Reason.NOT_HIRED;
    } else if (!dateInRange(ev.processedOn)) {
      reason = Reason.INVALID_DATE;
    } else if (ev.date > ev.processedOn) {
      reason = Reason.FUTURE_DATE;
    } else if (ev.date < e.yearStart) {
      reason = Reason.CLOSED_YEAR;
    } else if (ev.date + 1 < nextBenefitYearStart(e.yearStart)) {
      reason = Reason.YEAR_NOT_ENDED;
    }
    if (reason != Reason.NONE) {
      this.reject(reason);
      return;
    }
    this.rollForward(ev.date + 1);
    this.finish(DecisionKind.ROLLED_OVER, Section.BENEFIT_YEAR);
  }

  /** A-1 first in every explanation list: the fact that picked caps and dates. */
  explainSize(): void {
    const why = employerSize(this.rs, this.er, this.ev.date);
    this.out.size = why.size;
    this.out.explain(why.code, why.value);
  }

  hire(): void {
    const ev = this.ev;
    if (this.e.hired != 0) {
      this.reject(Reason.ALREADY_HIRED);
      return;
    }
    if (!policyValid(this.rs, ev.policy)) {
      this.reject(Reason.INVALID_POLICY);
      return;
    }
    // A hire bounds the first-hire date once that date is known at all.
    noteFirstEmployee(this.er, ev.employerFirstHire);
    if (this.er.firstEmployeeDate != NO_DATE) noteFirstEmployee(this.er, ev.date);
    const e = new EmployeeState();
    e.hired = 1;
    e.hireDate = ev.date;
    e.policy.copyFrom(ev.policy);
    e.yearStart = benefitYearStart(ev.date, <i32>ev.policy.yearStartMonth, <i32>ev.policy.yearStartDay);
    this.out.employee = e;
    this.finish(DecisionKind.HIRED, Section.HIRE);
    this.explainSize();
    // Coverage is explained, not enforced: the hire itself is always recorded.
    const start = this.coverageStart(this.out.size);
    if (start > ev.date) {
      const exemptionEnd = this.exemptUntil();
      if (exemptionEnd != NO_DATE && exemptionEnd == start) {
        this.out.explain(Explain.EXEMPT_UNTIL, exemptionEnd);
      } else {
        this.out.explain(Explain.EFFECTIVE_DAYS_REMAINING, start - ev.date);
      }
    }
    this.grantFrontload(ev.date);
  }

  headcount(): void {
    const ev = this.ev;
    let reason = Reason.NONE;
    if (ev.headcount < 0 || ev.headcount > MAX_HEADCOUNT) {
      reason = Reason.INVALID_HEADCOUNT;
    } else if (!dateInRange(ev.processedOn)) {
      reason = Reason.INVALID_DATE;
    } else if (ev.date > ev.processedOn) {
      reason = Reason.FUTURE_DATE;
    }
    if (reason != Reason.NONE) {
      this.reject(reason);
      return;
    }
    noteFirstEmployee(this.er, ev.employerFirstHire);
    recordHeadcount(this.rs, this.er, ev.date, ev.headcount);
    this.finish(DecisionKind.HEADCOUNT, Section.SIZE);
  }
}

/** Decides one event. Pure: `employer` and `employee` are not modified; the decision holds
 *  the new states (copies of these when the event is rejected). */
export function decide(employer: EmployerState, employee: EmployeeState, ev: Event): Decision {
  const out = new Decision(employer.clone(), employee.clone());
  const ctx = new Context(new Ruleset(), ev, out, employer, employee);
  if (employer.version > STATE_VERSION || employee.version > STATE_VERSION) {
    ctx.reject(Reason.STATE_VERSION);
  } else if (!dateInRange(ev.date)) {
    ctx.reject(Reason.INVALID_DATE);
  } else {
    const rs = selectRuleset(ev.date);
    if (rs == null) {
      ctx.reject(Reason.NO_RULESET);
    } else {
      ctx.rs = rs;
      out.rulesetVersion = rs.version;
      if (ev.kind == EVENT_HIRE) {
        ctx.hire();
      } else if (ev.kind == EVENT_HEADCOUNT) {
        ctx.headcount();
        if (out.kind == DecisionKind.HEADCOUNT) ctx.explainSize();
      } else if (ev.kind == EVENT_HOURS_WORKED) {
        ctx.explainSize();
        ctx.hoursWorked();
      } else if (ev.kind == EVENT_USE_REQUEST) {
        ctx.explainSize();
        ctx.useRequest();
      } else if (ev.kind == EVENT_YEAR_END) {
        ctx.explainSize();
        ctx.yearEnd();
      } else {
        ctx.reject(Reason.UNKNOWN_EVENT);
      }
    }
  }
  out.balance = out.employee.balance;
  out.usedYear = out.employee.usedMinutes;
  return out;
}

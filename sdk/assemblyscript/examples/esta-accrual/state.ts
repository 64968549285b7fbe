// Policy and states (docs/ESTA.md, "State"), stored in the key-value driver as the same
// bytes the C module writes (state version 1: 40 bytes per employer, 56 per employee,
// little-endian, fixed offsets), so either module can take over the other's keys.

import { NO_DATE } from "./date";

export const STATE_VERSION: u32 = 1;
export const EMPLOYER_STATE_SIZE: i32 = 40;
export const EMPLOYEE_STATE_SIZE: i32 = 56;
export const HEADCOUNT_YEARS: i32 = 3;

export const METHOD_ACCRUAL: u8 = 1;
export const METHOD_FRONTLOAD: u8 = 2;

/** The employer's choices, recorded at hire. */
export class Policy {
  method: u8 = METHOD_ACCRUAL;
  useCap: u8 = 0;
  accrualCap: u8 = 0;
  unlimitedCarryover: u8 = 0;
  frontloadProrate: u8 = 0;
  yearStartMonth: u8 = 1;
  yearStartDay: u8 = 1;
  reserved: u8 = 0;
  waitingDays: i32 = 0;

  copyFrom(o: Policy): void {
    this.method = o.method;
    this.useCap = o.useCap;
    this.accrualCap = o.accrualCap;
    this.unlimitedCarryover = o.unlimitedCarryover;
    this.frontloadProrate = o.frontloadProrate;
    this.yearStartMonth = o.yearStartMonth;
    this.yearStartDay = o.yearStartDay;
    this.reserved = o.reserved;
    this.waitingDays = o.waitingDays;
  }
}

/** Weekly headcounts of three calendar years as bitmaps of qualifying workweeks, and
 *  the first-hire date. */
export class EmployerState {
  version: u32 = STATE_VERSION;
  headcountYear: i32 = 0;
  largeWeeks: StaticArray<u64> = new StaticArray<u64>(HEADCOUNT_YEARS);
  firstEmployeeDate: i32 = NO_DATE;
  lastHeadcount: i32 = 0;

  clone(): EmployerState {
    const c = new EmployerState();
    c.version = this.version;
    c.headcountYear = this.headcountYear;
    for (let i = 0; i < HEADCOUNT_YEARS; ++i) c.largeWeeks[i] = this.largeWeeks[i];
    c.firstEmployeeDate = this.firstEmployeeDate;
    c.lastHeadcount = this.lastHeadcount;
    return c;
  }

  encode(): Uint8Array {
    const out = new Uint8Array(EMPLOYER_STATE_SIZE);
    const at = out.dataStart;
    store<u32>(at, this.version);
    store<i32>(at, this.headcountYear, 4);
    for (let i = 0; i < HEADCOUNT_YEARS; ++i) store<u64>(at + 8 + <usize>(8 * i), this.largeWeeks[i]);
    store<i32>(at, this.firstEmployeeDate, 32);
    store<i32>(at, this.lastHeadcount, 36);
    return out;
  }

  static decode(bytes: Uint8Array): EmployerState {
    const s = new EmployerState();
    const at = bytes.dataStart;
    s.version = load<u32>(at);
    s.headcountYear = load<i32>(at, 4);
    for (let i = 0; i < HEADCOUNT_YEARS; ++i) s.largeWeeks[i] = load<u64>(at + 8 + <usize>(8 * i));
    s.firstEmployeeDate = load<i32>(at, 32);
    s.lastHeadcount = load<i32>(at, 36);
    return s;
  }
}

/** One employee; balance = carryover + earned - used, in minutes. */
export class EmployeeState {
  version: u32 = STATE_VERSION;
  hired: u32 = 0;
  hireDate: i32 = NO_DATE;
  policy: Policy = new Policy();
  yearStart: i32 = NO_DATE;
  carryoverMinutes: i32 = 0;
  earnedMinutes: i32 = 0;
  usedMinutes: i32 = 0;
  workedRemainder: i32 = 0;
  frontloadYear: i32 = NO_DATE;
  lastWorkDate: i32 = NO_DATE;
  lastWorkDayMinutes: i32 = 0;

  get balance(): i32 {
    return this.carryoverMinutes + this.earnedMinutes - this.usedMinutes;
  }

  clone(): EmployeeState {
    const c = new EmployeeState();
    c.version = this.version;
    c.hired = this.hired;
    c.hireDate = this.hireDate;
    c.policy.copyFrom(this.policy);
    c.yearStart = this.yearStart;
    c.carryoverMinutes = this.carryoverMinutes;
    c.earnedMinutes = this.earnedMinutes;
    c.usedMinutes = this.usedMinutes;
    c.workedRemainder = this.workedRemainder;
    c.frontloadYear = this.frontloadYear;
    c.lastWorkDate = this.lastWorkDate;
    c.lastWorkDayMinutes = this.lastWorkDayMinutes;
    return c;
  }

  encode(): Uint8Array {
    const out = new Uint8Array(EMPLOYEE_STATE_SIZE);
    const at = out.dataStart;
    const p = this.policy;
    store<u32>(at, this.version);
    store<u32>(at, this.hired, 4);
    store<i32>(at, this.hireDate, 8);
    store<u8>(at, p.method, 12);
    store<u8>(at, p.useCap, 13);
    store<u8>(at, p.accrualCap, 14);
    store<u8>(at, p.unlimitedCarryover, 15);
    store<u8>(at, p.frontloadProrate, 16);
    store<u8>(at, p.yearStartMonth, 17);
    store<u8>(at, p.yearStartDay, 18);
    store<u8>(at, p.reserved, 19);
    store<i32>(at, p.waitingDays, 20);
    store<i32>(at, this.yearStart, 24);
    store<i32>(at, this.carryoverMinutes, 28);
    store<i32>(at, this.earnedMinutes, 32);
    store<i32>(at, this.usedMinutes, 36);
    store<i32>(at, this.workedRemainder, 40);
    store<i32>(at, this.frontloadYear, 44);
    store<i32>(at, this.lastWorkDate, 48);
    store<i32>(at, this.lastWorkDayMinutes, 52);
    return out;
  }

  static decode(bytes: Uint8Array): EmployeeState {
    const s = new EmployeeState();
    const at = bytes.dataStart;
    const p = s.policy;
    s.version = load<u32>(at);
    s.hired = load<u32>(at, 4);
    s.hireDate = load<i32>(at, 8);
    p.method = load<u8>(at, 12);
    p.useCap = load<u8>(at, 13);
    p.accrualCap = load<u8>(at, 14);
    p.unlimitedCarryover = load<u8>(at, 15);
    p.frontloadProrate = load<u8>(at, 16);
    p.yearStartMonth = load<u8>(at, 17);
    p.yearStartDay = load<u8>(at, 18);
    p.reserved = load<u8>(at, 19);
    p.waitingDays = load<i32>(at, 20);
    s.yearStart = load<i32>(at, 24);
    s.carryoverMinutes = load<i32>(at, 28);
    s.earnedMinutes = load<i32>(at, 32);
    s.usedMinutes = load<i32>(at, 36);
    s.workedRemainder = load<i32>(at, 40);
    s.frontloadYear = load<i32>(at, 44);
    s.lastWorkDate = load<i32>(at, 48);
    s.lastWorkDayMinutes = load<i32>(at, 52);
    return s;
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): bool {
  return a.length == b.length && memory.compare(a.dataStart, b.dataStart, <usize>a.length) == 0;
}

// The event and decision JSON lines, format v1 (docs/ESTA.md): a flat object per line,
// integers only. Strings are byte ranges of the input (escapes left as written), so ids
// reach the keys and the decision exactly as they were sent.

import { civilFromDays, civilValid, daysFromCivil, NO_DATE } from "./date";
import { Decision, Event, EVENT_HEADCOUNT, EVENT_HIRE, Explain, SIZE_LARGE, SIZE_SMALL } from "./rules";
import { METHOD_ACCRUAL, METHOD_FRONTLOAD, Policy } from "./state";

export const FORMAT_VERSION: i32 = 1;

export const JSON_OK: i32 = 0;
export const JSON_SYNTAX: i32 = -1;
export const JSON_NEWER_VERSION: i32 = -2;
export const JSON_MISSING_FIELD: i32 = -3;
export const JSON_BAD_VALUE: i32 = -4;

/** A byte range of the input line. */
export class Text {
  constructor(public start: i32 = 0, public length: i32 = 0) {}

  set(other: Text): void {
    this.start = other.start;
    this.length = other.length;
  }
}

export class EventRecord {
  formatVersion: i32 = 0;
  id: Text = new Text();
  employer: Text = new Text();
  employee: Text = new Text();
  event: Event = new Event();
}

const STRING: i32 = 0;
const NUMBER: i32 = 1;
const TRUE: i32 = 2;
const FALSE: i32 = 3;
const NULL: i32 = 4;

const EVENT_NAMES: StaticArray<string> = ["", "hire", "hours_worked", "use_request", "year_end", "headcount"];

class Parser {
  pos: i32 = 0;
  valueType: i32 = STRING;
  valueString: Text = new Text();
  valueNumber: i32 = 0;
  key: Text = new Text();

  constructor(public line: Uint8Array) {}

  at(i: i32): i32 {
    return <i32>this.line[i];
  }

  equals(text: Text, literal: string): bool {
    if (text.length != literal.length) return false;
    for (let i = 0; i < text.length; ++i) {
      if (this.at(text.start + i) != literal.charCodeAt(i)) return false;
    }
    return true;
  }

  skipSpace(): void {
    while (this.pos < this.line.length) {
      const ch = this.at(this.pos);
      if (ch != 0x20 && ch != 0x09 && ch != 0x0d && ch != 0x0a) break;
      ++this.pos;
    }
  }

  consume(expected: i32): bool {
    this.skipSpace();
    if (this.pos >= this.line.length || this.at(this.pos) != expected) return false;
    ++this.pos;
    return true;
  }

  /** A string's content up to the closing quote; escapes are skipped, not decoded. */
  readString(out: Text): bool {
    if (!this.consume(0x22)) return false;
    out.start = this.pos;
    while (this.pos < this.line.length && this.at(this.pos) != 0x22) {
      if (this.at(this.pos) == 0x5c) ++this.pos;
      ++this.pos;
    }
    if (this.pos >= this.line.length) return false;
    out.length = this.pos - out.start;
    ++this.pos;
    return true;
  }

  /** An integer that fits in i32; fractions and exponents are refused (exact minutes). */
  readNumber(): bool {
    let negative = false;
    if (this.pos < this.line.length && this.at(this.pos) == 0x2d) {
      negative = true;
      ++this.pos;
    }
    let value: i64 = 0;
    let digits = 0;
    while (this.pos < this.line.length && this.at(this.pos) >= 0x30 && this.at(this.pos) <= 0x39) {
      value = value * 10 + <i64>(this.at(this.pos) - 0x30);
      if (value > 2147483648) return false;
      ++this.pos;
      ++digits;
    }
    if (digits == 0) return false;
    if (negative) value = -value;
    if (value > 2147483647) return false;
    this.valueNumber = <i32>value;
    return true;
  }

  readLiteral(word: string): bool {
    for (let i = 0; i < word.length; ++i, ++this.pos) {
      if (this.pos >= this.line.length || this.at(this.pos) != word.charCodeAt(i)) return false;
    }
    return true;
  }

  readValue(): bool {
    this.valueString.start = 0;
    this.valueString.length = 0;
    this.valueNumber = 0;
    this.skipSpace();
    if (this.pos >= this.line.length) return false;
    const ch = this.at(this.pos);
    if (ch == 0x22) {
      this.valueType = STRING;
      return this.readString(this.valueString);
    }
    if (ch == 0x74) {
      this.valueType = TRUE;
      return this.readLiteral("true");
    }
    if (ch == 0x66) {
      this.valueType = FALSE;
      return this.readLiteral("false");
    }
    if (ch == 0x6e) {
      this.valueType = NULL;
      return this.readLiteral("null");
    }
    this.valueType = NUMBER;
    return this.readNumber();
  }

  digitsValue(start: i32, count: i32): i32 {
    let value = 0;
    for (let i = 0; i < count; ++i) {
      const ch = this.at(start + i);
      if (ch < 0x30 || ch > 0x39) return -1;
      value = value * 10 + (ch - 0x30);
    }
    return value;
  }

  /** "YYYY-MM-DD"; NO_DATE unless it names a real day in the supported range. */
  date(text: Text): i32 {
    const s = text.start;
    if (text.length != 10 || this.at(s + 4) != 0x2d || this.at(s + 7) != 0x2d) return NO_DATE;
    const year = this.digitsValue(s, 4);
    const month = this.digitsValue(s + 5, 2);
    const day = this.digitsValue(s + 8, 2);
    if (!civilValid(year, month, day)) return NO_DATE;
    return daysFromCivil(year, month, day);
  }

  eventKind(name: Text): i32 {
    for (let kind = EVENT_HIRE; kind <= EVENT_HEADCOUNT; ++kind) {
      if (this.equals(name, EVENT_NAMES[kind])) return kind;
    }
    return 0;
  }

  isBool(): bool {
    return this.valueType == TRUE || this.valueType == FALSE;
  }

  /** Policy fields of a hire; false for a known key with a bad value. */
  policyField(key: Text, policy: Policy): bool {
    const flag = this.isBool() ? (this.valueType == TRUE ? <u8>1 : <u8>0) : <u8>255;
    if (this.equals(key, "use_cap")) {
      policy.useCap = flag;
      return flag != 255;
    }
    if (this.equals(key, "accrual_cap")) {
      policy.accrualCap = flag;
      return flag != 255;
    }
    if (this.equals(key, "unlimited_carryover")) {
      policy.unlimitedCarryover = flag;
      return flag != 255;
    }
    if (this.equals(key, "prorate")) {
      policy.frontloadProrate = flag;
      return flag != 255;
    }
    if (this.equals(key, "method")) {
      if (this.valueType != STRING) return false;
      if (this.equals(this.valueString, "accrual")) {
        policy.method = METHOD_ACCRUAL;
      } else if (this.equals(this.valueString, "frontload")) {
        policy.method = METHOD_FRONTLOAD;
      } else {
        return false;
      }
      return true;
    }
    if (this.equals(key, "waiting_days")) {
      if (this.valueType != NUMBER) return false;
      policy.waitingDays = this.valueNumber;
      return true;
    }
    if (this.equals(key, "year_start")) {
      const t = this.valueString;
      if (this.valueType != STRING || t.length != 5 || this.at(t.start + 2) != 0x2d) return false;
      const month = this.digitsValue(t.start, 2);
      const day = this.digitsValue(t.start + 3, 2);
      if (month < 0 || day < 0) return false;
      policy.yearStartMonth = <u8>month;
      policy.yearStartDay = <u8>day;
      return true;
    }
    return true; // not a policy field
  }
}

/** Parses one event line: JSON_OK or a JSON_* status (< 0). */
export function parseEvent(line: Uint8Array, out: EventRecord): i32 {
  const p = new Parser(line);
  const ev = out.event;
  let seenVersion = false;
  let seenType = false;
  let seenDate = false;
  let seenProcessed = false;
  if (!p.consume(0x7b)) return JSON_SYNTAX;
  let first = true;
  while (!p.consume(0x7d)) {
    if (!first && !p.consume(0x2c)) return JSON_SYNTAX;
    first = false;
    const key = p.key;
    if (!p.readString(key) || !p.consume(0x3a) || !p.readValue()) return JSON_SYNTAX;
    const isString = p.valueType == STRING;
    let ok = true;
    if (p.equals(key, "v")) {
      seenVersion = true;
      out.formatVersion = p.valueNumber;
      ok = p.valueType == NUMBER;
    } else if (p.equals(key, "type")) {
      seenType = true;
      ev.kind = isString ? p.eventKind(p.valueString) : 0;
      ok = ev.kind != 0;
    } else if (p.equals(key, "id")) {
      if (isString) out.id.set(p.valueString);
      ok = isString;
    } else if (p.equals(key, "employer")) {
      if (isString) out.employer.set(p.valueString);
      ok = isString;
    } else if (p.equals(key, "employee")) {
      if (isString) out.employee.set(p.valueString);
      ok = isString;
    } else if (p.equals(key, "date")) {
      seenDate = true;
      ev.date = isString ? p.date(p.valueString) : NO_DATE;
      ok = isString;
    } else if (p.equals(key, "processed")) {
      seenProcessed = true;
      ev.processedOn = isString ? p.date(p.valueString) : NO_DATE;
      ok = isString;
    } else if (p.equals(key, "first_employee")) {
      if (p.valueType != NULL) {
        ev.employerFirstHire = isString ? p.date(p.valueString) : NO_DATE;
        ok = isString;
      }
    } else if (p.equals(key, "minutes")) {
      if (p.valueType == NUMBER) ev.minutes = p.valueNumber;
      ok = p.valueType == NUMBER;
    } else if (p.equals(key, "headcount")) {
      if (p.valueType == NUMBER) ev.headcount = p.valueNumber;
      ok = p.valueType == NUMBER;
    } else {
      ok = p.policyField(key, ev.policy);
    }
    if (!ok) return JSON_BAD_VALUE;
  }
  p.skipSpace();
  if (p.pos != line.length) return JSON_SYNTAX;
  if (!seenVersion || !seenType || !seenDate) return JSON_MISSING_FIELD;
  if (out.formatVersion > FORMAT_VERSION) return JSON_NEWER_VERSION;
  if (!seenProcessed) ev.processedOn = ev.date;
  return JSON_OK;
}

// ---- Writing. ---------------------------------------------------------------------------

const KIND_NAMES: StaticArray<string> = [
  "unknown", "accrued", "recorded", "approved", "denied", "rejected", "not_effective",
  "exempt", "hired", "rolled_over", "headcount",
];
const REASON_NAMES: StaticArray<string> = [
  "none", "waiting_period", "insufficient_balance", "use_cap", "negative_minutes",
  "over_24_hours", "future_date", "before_hire", "not_hired", "already_hired",
  "invalid_policy", "invalid_date", "closed_year", "not_positive", "year_not_ended",
  "no_ruleset", "unknown_event", "state_version", "invalid_headcount",
];
const SECTION_NAMES: StaticArray<string> = [
  "unknown", "input", "size", "effective", "exempt", "accrual", "accrual_cap", "frontload",
  "waiting_period", "benefit_year", "use", "use_cap", "hire",
];
const SECTION_REQUIREMENTS: StaticArray<string> = [
  "unknown", "A-7", "A-1", "A-2", "A-2", "A-3", "A-3", "A-4", "A-5", "A-6", "A-7", "A-7", "A-8",
];
const EXPLAIN_NAMES: StaticArray<string> = [
  "unknown", "size_large_current_year", "size_large_prior_year", "size_small",
  "waiting_days_remaining", "effective_days_remaining", "exempt_until", "accrual_capped",
  "remainder_carried", "frontloaded", "prorated_days", "years_rolled", "use_cap_remaining",
  "day_total",
];

function nameOf(table: StaticArray<string>, index: i32): string {
  return index >= 0 && index < table.length ? table[index] : "unknown";
}

/** Bytes into a fixed capacity; `overflow` once something did not fit. */
export class LineWriter {
  buffer: Uint8Array;
  length: i32 = 0;
  overflow: bool = false;

  constructor(capacity: i32) {
    this.buffer = new Uint8Array(capacity);
  }

  byte(ch: i32): void {
    if (this.length >= this.buffer.length) {
      this.overflow = true;
      return;
    }
    this.buffer[this.length++] = <u8>ch;
  }

  bytes(from: Uint8Array, start: i32, n: i32): void {
    if (n > this.buffer.length - this.length) {
      this.overflow = true;
      return;
    }
    memory.copy(this.buffer.dataStart + <usize>this.length, from.dataStart + <usize>start, <usize>n);
    this.length += n;
  }

  /** ASCII text. */
  ascii(text: string): void {
    for (let i = 0; i < text.length; ++i) this.byte(text.charCodeAt(i));
  }

  int(value: i32): void {
    let magnitude = <i64>value;
    if (magnitude < 0) {
      this.byte(0x2d);
      magnitude = -magnitude;
    }
    let scale: i64 = 1;
    while (scale * 10 <= magnitude) scale *= 10;
    do {
      this.byte(0x30 + <i32>((magnitude / scale) % 10));
      scale /= 10;
    } while (scale != 0);
  }

  /** "YYYY-MM-DD" */
  date(days: i32): void {
    const c = civilFromDays(days);
    this.fixed(c.year, 4);
    this.byte(0x2d);
    this.fixed(c.month, 2);
    this.byte(0x2d);
    this.fixed(c.day, 2);
  }

  private fixed(value: i32, width: i32): void {
    let scale = 1;
    for (let i = 1; i < width; ++i) scale *= 10;
    for (; scale != 0; scale /= 10) this.byte(0x30 + (value / scale) % 10);
  }

  /** The bytes written (a view). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

function key(w: LineWriter, name: string): void {
  w.ascii(",\"");
  w.ascii(name);
  w.ascii("\":");
}

function stringField(w: LineWriter, name: string, value: string): void {
  key(w, name);
  w.byte(0x22);
  w.ascii(value);
  w.byte(0x22);
}

function textField(w: LineWriter, name: string, line: Uint8Array, value: Text): void {
  key(w, name);
  w.byte(0x22);
  w.bytes(line, value.start, value.length);
  w.byte(0x22);
}

function intField(w: LineWriter, name: string, value: i32): void {
  key(w, name);
  w.int(value);
}

/** The decision line (no newline) into `w`; false when it did not fit. */
export function writeDecision(w: LineWriter, line: Uint8Array, record: EventRecord, d: Decision): bool {
  w.ascii("{\"v\":1");
  textField(w, "event", line, record.id);
  textField(w, "employer", line, record.employer);
  textField(w, "employee", line, record.employee);
  stringField(w, "type", record.event.kind > 0 && record.event.kind < EVENT_NAMES.length ? EVENT_NAMES[record.event.kind] : "unknown");
  stringField(w, "kind", nameOf(KIND_NAMES, d.kind));
  stringField(w, "reason", nameOf(REASON_NAMES, d.reason));
  key(w, "rule");
  w.byte(0x22);
  const version = d.rulesetVersion;
  w.ascii(version != null ? version : "none");
  w.byte(0x2f);
  w.ascii(nameOf(SECTION_NAMES, d.section));
  w.byte(0x22);
  stringField(w, "requirement", nameOf(SECTION_REQUIREMENTS, d.section));
  stringField(w, "size", d.size == SIZE_LARGE ? "large" : d.size == SIZE_SMALL ? "small" : "unknown");
  intField(w, "accrued", d.accrued);
  intField(w, "frontloaded", d.frontloaded);
  intField(w, "approved", d.approved);
  intField(w, "carried", d.carried);
  intField(w, "forfeited", d.forfeited);
  intField(w, "balance", d.balance);
  intField(w, "used_year", d.usedYear);
  key(w, "explain");
  w.byte(0x5b);
  for (let i = 0; i < d.explainCodes.length; ++i) {
    if (i > 0) w.byte(0x2c);
    w.ascii("{\"code\":\"");
    w.ascii(nameOf(EXPLAIN_NAMES, d.explainCodes[i]));
    w.ascii("\",\"value\":");
    if (d.explainCodes[i] == Explain.EXEMPT_UNTIL) {
      w.byte(0x22);
      w.date(d.explainValues[i]);
      w.byte(0x22);
    } else {
      w.int(d.explainValues[i]);
    }
    w.byte(0x7d);
  }
  w.byte(0x5d);
  w.byte(0x7d);
  return !w.overflow;
}

// The ESTA accrual application's event and decision lines, format v1 (docs/ESTA.md), for
// `client.invoke<EstaDecision>("accrual", event)`.

export type EstaEventType = "hire" | "hours_worked" | "use_request" | "year_end" | "headcount";

export interface EstaEvent {
  v: 1;
  id?: string;
  type: EstaEventType;
  employer?: string;
  employee?: string;
  /** YYYY-MM-DD, the business date. */
  date: string;
  /** YYYY-MM-DD, the processing date (default: date). */
  processed?: string;
  minutes?: number;
  headcount?: number;
  first_employee?: string | null;
  method?: "accrual" | "frontload";
  waiting_days?: number;
  use_cap?: boolean;
  accrual_cap?: boolean;
  unlimited_carryover?: boolean;
  prorate?: boolean;
  /** MM-DD */
  year_start?: string;
}

export interface EstaDecision {
  v: 1;
  event?: string;
  employer?: string;
  employee?: string;
  type?: EstaEventType;
  kind: string;
  reason: string;
  /** The malformed-event detail, when the line was not a v1 event. */
  detail?: string;
  rule: string;
  requirement: string;
  size?: "large" | "small" | "unknown";
  accrued?: number;
  frontloaded?: number;
  approved?: number;
  carried?: number;
  forfeited?: number;
  balance?: number;
  used_year?: number;
  explain?: { code: string; value: number | string }[];
  /** The SHA-256 of the module that decided (V-2). */
  module_sha256?: string;
}

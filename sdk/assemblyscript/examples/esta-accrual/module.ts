// esta_accrual_as.wasm: the ESTA accrual rules as a reactive kernel module written with the
// AssemblyScript SDK; the same contract as the C module (docs/ESTA.md, "The reactive
// module"): the same messages, grants, key layout, state bytes, decision lines and audit
// records, so the two are interchangeable and the e2e test compares them line for line.
//
// Per AccrualRequest (0x0010, one event line): parse; load both states with one MGET from
// the grant "state"; decide; append the compliance record through "audit"; store each
// state whose bytes changed; send the decision (0x0011) to "decisions" and reply with it to
// a caller. Nothing is kept between messages: everything lives in the handler's objects.

import {
  audit, KeyValue, lookup, MessageType, receive, reply, runHandler, send, Status, ValueWriter,
} from "../../assembly/index";
import { EMPLOYEE_STATE_SIZE, EMPLOYER_STATE_SIZE, EmployeeState, EmployerState, bytesEqual } from "./state";
import { decide, EVENT_HEADCOUNT } from "./rules";
import {
  EventRecord, JSON_BAD_VALUE, JSON_MISSING_FIELD, JSON_NEWER_VERSION, JSON_OK, LineWriter,
  parseEvent, Text, writeDecision,
} from "./json";

const ACCRUAL_REQUEST: i32 = 0x0010;
const ACCRUAL_RESPONSE: i32 = 0x0011;
const EVENT_CAPACITY: i32 = 8192;
const DECISION_CAPACITY: i32 = 2048;
const KEY_CAPACITY: i32 = 1024;
const KV_TIMEOUT_MS: i64 = 5000;
// Room for an MGET of two states; a longer value under our prefix is not ours.
const STATE_REPLY_CAPACITY: i32 = 256;

// ---- Keys (relative to the grant's prefix). --------------------------------------------

/** "er/<employer>": the id's bytes as written. */
function employerKey(line: Uint8Array, r: EventRecord): LineWriter {
  const w = new LineWriter(KEY_CAPACITY);
  w.ascii("er/");
  w.bytes(line, r.employer.start, r.employer.length);
  return w;
}

/** "ee/<employer length>/<employer>/<employee>": unambiguous when an id holds '/'. */
function employeeKey(line: Uint8Array, r: EventRecord): LineWriter {
  const w = new LineWriter(KEY_CAPACITY);
  w.ascii("ee/");
  w.int(r.employer.length);
  w.ascii("/");
  w.bytes(line, r.employer.start, r.employer.length);
  w.ascii("/");
  w.bytes(line, r.employee.start, r.employee.length);
  return w;
}

// ---- Output. ----------------------------------------------------------------------------

/** The compliance record (A-8, V-2): event, decision and the states it started from. */
function appendAudit(event: Uint8Array, decision: Uint8Array, employerBefore: Uint8Array, employeeBefore: Uint8Array | null): i32 {
  const w = new ValueWriter(event.length + decision.length + 256);
  w.putMap(4);
  w.putKey("event");
  w.putBytes(event);
  w.putKey("decision");
  w.putBytes(decision);
  w.putKey("employer_before");
  w.putBytes(employerBefore);
  w.putKey("employee_before");
  if (employeeBefore != null) {
    w.putBytes(employeeBefore);
  } else {
    w.putNull();
  }
  const id = audit("esta.decision", w.finish());
  return id < 0 ? <i32>id : 0;
}

/** To "decisions", and back to a caller; NOT_FOUND from reply: nobody waits. */
function sendDecision(decision: Uint8Array): i32 {
  const decisions = lookup("decisions");
  if (decisions < 0) return decisions;
  const sent = send(decisions, ACCRUAL_RESPONSE, decision);
  if (sent < 0) return <i32>sent;
  const replied = reply(ACCRUAL_RESPONSE, decision);
  return replied < 0 && replied != -Status.NOT_FOUND ? replied : 0;
}

/** A rejection the rules never saw (not a v1 event, too long, ids that cannot be keys). */
function rejectMalformed(event: Uint8Array, detail: string): i32 {
  const w = new LineWriter(256);
  w.ascii("{\"v\":1,\"kind\":\"rejected\",\"reason\":\"malformed_event\",\"detail\":\"");
  w.ascii(detail);
  w.ascii("\",\"rule\":\"input\",\"requirement\":\"A-7\"}");
  const decision = w.finish();
  const audited = appendAudit(event, decision, new EmployerState().encode(), null);
  if (audited < 0) return audited;
  return sendDecision(decision);
}

function jsonStatusName(status: i32): string {
  if (status == JSON_NEWER_VERSION) return "newer_version";
  if (status == JSON_MISSING_FIELD) return "missing_field";
  if (status == JSON_BAD_VALUE) return "bad_value";
  return "syntax";
}

// ---- The handler. -----------------------------------------------------------------------

function decideEvent(line: Uint8Array): i32 {
  const record = new EventRecord();
  const parsed = parseEvent(line, record);
  if (parsed != JSON_OK) return rejectMalformed(line, jsonStatusName(parsed));
  const perEmployee = record.event.kind != EVENT_HEADCOUNT;

  const erKey = employerKey(line, record);
  const eeKey = perEmployee ? employeeKey(line, record) : new LineWriter(0);
  if (erKey.overflow || eeKey.overflow) return rejectMalformed(line, "id_too_long");

  const handle = lookup("state");
  if (handle < 0) return handle;
  const kv = new KeyValue(handle, KV_TIMEOUT_MS, STATE_REPLY_CAPACITY);
  const keys: Uint8Array[] = [erKey.finish()];
  if (perEmployee) keys.push(eeKey.finish());
  const got = kv.mget(keys);
  // INVALID_ARGS: the driver refused the keys (not UTF-8), or a stored value is not a state.
  if (got.status == Status.INVALID_ARGS) return rejectMalformed(line, "bad_id");
  if (!got.ok) return -got.status;
  const storedEmployer = got.values[0];
  const storedEmployee = perEmployee ? got.values[1] : null;
  if (storedEmployer != null && storedEmployer.length != EMPLOYER_STATE_SIZE) return rejectMalformed(line, "bad_id");
  if (storedEmployee != null && storedEmployee.length != EMPLOYEE_STATE_SIZE) return rejectMalformed(line, "bad_id");
  const employer = storedEmployer != null ? EmployerState.decode(storedEmployer) : new EmployerState();
  const employee = storedEmployee != null ? EmployeeState.decode(storedEmployee) : new EmployeeState();
  const employerBefore = employer.encode();
  const employeeBefore = employee.encode();

  const result = decide(employer, employee, record.event);
  const w = new LineWriter(DECISION_CAPACITY);
  if (!writeDecision(w, line, record, result)) return -Status.BUFFER_TOO_SMALL;
  const decision = w.finish();

  // The record first: a decision whose record could not be written is not made.
  const audited = appendAudit(line, decision, employerBefore, perEmployee ? employeeBefore : null);
  if (audited < 0) return audited;
  const employerAfter = result.employer.encode();
  if (!bytesEqual(employerAfter, employerBefore)) {
    const stored = kv.set(keys[0], employerAfter);
    if (stored < 0) return stored;
  }
  if (perEmployee) {
    const employeeAfter = result.employee.encode();
    if (!bytesEqual(employeeAfter, employeeBefore)) {
      const stored = kv.set(keys[1], employeeAfter);
      if (stored < 0) return stored;
    }
  }
  return sendDecision(decision);
}

/** Built with `--runtime minimal`: the SDK collects after each message. */
export function estalogic_handle(): i32 {
  return runHandler(handle);
}

function handle(): i32 {
  const message = receive(EVENT_CAPACITY);
  if (message.status == Status.BUFFER_TOO_SMALL) return rejectMalformed(new Uint8Array(0), "too_long");
  if (!message.ok) return -message.status;
  if (message.type == MessageType.SYSTEM_SHUTDOWN) return 0;
  if (message.type != ACCRUAL_REQUEST) return -Status.INVALID_ARGS;
  return decideEvent(message.payload);
}

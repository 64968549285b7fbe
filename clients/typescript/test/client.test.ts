// The client against a running `estalogic run --serve` node (test/node.toml), started by
// test/e2e.sh, which passes its URL and token in ESTALOGIC_URL and ESTALOGIC_TOKEN.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  BadRequestError,
  ClientError,
  DeadlineExceededError,
  EstalogicClient,
  EstalogicError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  PayloadTooLargeError,
  ServerError,
  UnauthorizedError,
  UnprocessableError,
  type EstaDecision,
  type EstaEvent,
} from "../src/index.js";

const url = process.env.ESTALOGIC_URL;
const token = process.env.ESTALOGIC_TOKEN;
if (url === undefined || token === undefined) throw new Error("ESTALOGIC_URL and ESTALOGIC_TOKEN must be set (test/e2e.sh)");

const client = new EstalogicClient({ baseUrl: url, token });

function headcount(i: number): EstaEvent {
  return { v: 1, id: `ts-${i}`, type: "headcount", employer: `ER-TS-${i}`, date: "2025-03-03", headcount: 5 + (i % 20), first_employee: "2001-01-01" };
}

async function rejection<E extends EstalogicError>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, got a decision`);
}

describe("EstalogicClient against a serving node", () => {
  it("returns the decision, its trace id and its audit record id", async () => {
    const answer = await client.invoke<EstaDecision>("accrual", headcount(1));
    assert.equal(answer.decision.kind, "headcount");
    assert.equal(answer.decision.event, "ts-1");
    assert.equal(answer.decision.rule, "MI-ESTA-2025.1/size");
    assert.match(answer.decision.module_sha256 ?? "", /^[0-9a-f]{64}$/);
    assert.match(answer.traceId, /^[0-9a-f]{32}$/);
    assert.equal(answer.traceparent.split("-")[1], answer.traceId);
    assert.ok(Number.isSafeInteger(answer.auditRecordId) && answer.auditRecordId > 0);
    assert.deepEqual(JSON.parse(answer.raw), answer.decision);
  });

  it("continues the caller's trace", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const answer = await client.invoke("accrual", headcount(2), { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    assert.equal(answer.traceId, traceId);
    assert.notEqual(answer.traceparent.split("-")[2], "00f067aa0ba902b7");
  });

  it("gives concurrent requests each their own decision and audit record", async () => {
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => client.invoke<EstaDecision>("accrual", headcount(100 + i), { deadlineMs: 8000 })));
    answers.forEach((answer, i) => assert.equal(answer.decision.event, `ts-${100 + i}`));
    assert.equal(new Set(answers.map((a) => a.auditRecordId)).size, 16);
    assert.equal(new Set(answers.map((a) => a.traceId)).size, 16);
  });

  it("decides a line sent as a string exactly as sent", async () => {
    const line = '{"v":1,"id":"ts-raw","type":"headcount","employer":"ER-TS-RAW","date":"2025-03-03","headcount":30}';
    const answer = await client.invoke<EstaDecision>("accrual", line);
    assert.equal(answer.decision.event, "ts-raw");
  });

  it("answers a line the module cannot read with its rejection", async () => {
    const answer = await client.invoke<EstaDecision>("accrual", "not json");
    assert.equal(answer.decision.reason, "malformed_event");
    assert.equal(answer.decision.detail, "syntax");
  });

  it("is refused without the bearer token (401)", async () => {
    const anonymous = new EstalogicClient({ baseUrl: url });
    const error = await rejection(anonymous.invoke("accrual", headcount(3)), UnauthorizedError);
    assert.equal(error.status, 401);
    assert.ok(error instanceof ClientError);
    await rejection(client.invoke("accrual", headcount(3), { token: "wrong" }), UnauthorizedError);
  });

  it("is refused, and audited, for a process the ingress holds no route to (403)", async () => {
    const error = await rejection(client.invoke("relay", headcount(4)), ForbiddenError);
    assert.equal(error.status, 403);
    assert.match(error.serverMessage, /no capability for process relay/);
    assert.ok(error.auditRecordId !== undefined && error.auditRecordId > 0);
    assert.equal(error.retryable, false);
  });

  it("reports an unknown route (404)", async () => {
    const error = await rejection(client.invoke("nowhere", headcount(5)), NotFoundError);
    assert.equal(error.status, 404);
  });

  it("gives up at the request's deadline when no decision comes (504)", async () => {
    const started = Date.now();
    const error = await rejection(client.invoke("silent", headcount(6), { deadlineMs: 300 }), DeadlineExceededError);
    assert.equal(error.status, 504);
    assert.ok(error.retryable);
    assert.match(error.traceId ?? "", /^[0-9a-f]{32}$/);
    assert.ok(Date.now() - started < 5000, "the node answered at the deadline, not later");
  });

  it("gives up on its own when the server does not answer in time", async () => {
    // Never answers; the timer stands for the open socket that keeps a real request alive.
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        const socket = setTimeout(() => reject(new Error("the client did not give up")), 10_000);
        init?.signal?.addEventListener("abort", () => {
          clearTimeout(socket);
          reject(init.signal?.reason);
        });
      });
    const stalled = new EstalogicClient({ baseUrl: url, fetch: hanging, graceMs: 1 });
    const error = await rejection(stalled.invoke("accrual", headcount(7), { deadlineMs: 50 }), DeadlineExceededError);
    assert.equal(error.status, 0);
  });

  it("reports a message the process fails (422)", async () => {
    await rejection(client.invoke("wrong_type", headcount(8)), UnprocessableError);
  });

  it("refuses a deadline beyond the node's and an empty body (400)", async () => {
    const error = await rejection(client.invoke("accrual", headcount(9), { deadlineMs: 3_600_000 }), BadRequestError);
    assert.match(error.serverMessage, /Estalogic-Deadline-Ms/);
    await rejection(client.invoke("accrual", ""), BadRequestError);
  });

  it("refuses a body over 8 KiB (413)", async () => {
    await rejection(client.invoke("accrual", "x".repeat(9000)), PayloadTooLargeError);
  });

  it("reports an unreachable node as a network error", async () => {
    const nobody = new EstalogicClient({ baseUrl: "http://127.0.0.1:1" });
    const error = await rejection(nobody.invoke("accrual", headcount(10)), NetworkError);
    assert.equal(error.status, 0);
    assert.ok(error.retryable);
  });

  it("checks its arguments before sending anything", async () => {
    assert.throws(() => new EstalogicClient({ baseUrl: "ftp://example" }), RangeError);
    await assert.rejects(client.invoke("../admin", {}), RangeError);
    await assert.rejects(client.invoke("accrual", {}, { deadlineMs: 0 }), RangeError);
    assert.ok(new ServerError("x", { status: 500, route: "r", serverMessage: "" }) instanceof EstalogicError);
  });
});

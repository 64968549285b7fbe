// A small client for estalogic's HTTP ingress: POST /v1/invoke/{route} asks the route's
// process for a decision synchronously (docs/OPERATIONS.md, "Ingress"). Node 20 or later
// (the global fetch); no dependencies.

import {
  DeadlineExceededError,
  EstalogicError,
  InvalidResponseError,
  NetworkError,
  errorForStatus,
} from "./errors.js";

export interface ClientOptions {
  /** The ingress, e.g. "https://decisions.internal:8443". */
  baseUrl: string;
  /** The bearer token for routes that require one. */
  token?: string;
  /** The default deadline of an invocation in milliseconds (at most the node's
   *  --deadline-ms). Unset: the node's. */
  deadlineMs?: number;
  /** How much longer than the deadline the client waits for the HTTP answer itself before
   *  giving up (the node answers 504 at the deadline). Default 2000. */
  graceMs?: number;
  /** A fetch implementation (tests, proxies); default the global fetch. */
  fetch?: typeof fetch;
}

export interface InvokeOptions {
  /** This invocation's deadline in milliseconds. */
  deadlineMs?: number;
  /** A W3C traceparent to continue the caller's trace. */
  traceparent?: string;
  /** A token for this call instead of the client's. */
  token?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** A decision and where to find it again. */
export interface Invocation<Decision> {
  /** The process's answer, parsed. */
  decision: Decision;
  /** The answer as the node sent it (one JSON line, no newline). */
  raw: string;
  /** The W3C trace id of the request (32 hex digits). */
  traceId: string;
  /** The ingress's span, as a traceparent header value. */
  traceparent: string;
  /** The id of the ingress.decision record in the node's audit log. */
  auditRecordId: number;
}

const ROUTE_NAME = /^[A-Za-z0-9_.-]+$/;
const TRACE_ID = /^[0-9a-f]{32}$/;

function positiveInteger(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, not ${value}`);
  return value;
}

function auditId(text: string | null): number | undefined {
  if (text === null || !/^\d+$/.test(text)) return undefined;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : undefined;
}

/** The server's message: the JSON body's `error`, or the text itself. */
function serverMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === "object" && "error" in parsed && typeof parsed.error === "string") {
      return parsed.error;
    }
  } catch {
    // Not JSON (the server's 401 and 404 are plain text).
  }
  return body.trim();
}

export class EstalogicClient {
  private readonly baseUrl: string;
  private readonly token?: string;
  private readonly deadlineMs?: number;
  private readonly graceMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    const url = new URL(options.baseUrl); // throws on a malformed URL
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new RangeError(`baseUrl must be http or https, not ${url.protocol}`);
    }
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.token = options.token;
    this.deadlineMs = positiveInteger(options.deadlineMs, "deadlineMs");
    this.graceMs = positiveInteger(options.graceMs, "graceMs") ?? 2000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** Sends `message` (a string as it is, anything else as JSON) to the route and returns the
   *  process's decision. Throws an EstalogicError subclass for every other outcome. */
  async invoke<Decision = unknown>(route: string, message: unknown, options: InvokeOptions = {}): Promise<Invocation<Decision>> {
    if (!ROUTE_NAME.test(route)) throw new RangeError(`not a route name: ${JSON.stringify(route)}`);
    const deadlineMs = positiveInteger(options.deadlineMs, "deadlineMs") ?? this.deadlineMs;
    const headers: Record<string, string> = { "content-type": "application/json" };
    const token = options.token ?? this.token;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (deadlineMs !== undefined) headers["estalogic-deadline-ms"] = String(deadlineMs);
    if (options.traceparent !== undefined) headers.traceparent = options.traceparent;
    const body = typeof message === "string" ? message : JSON.stringify(message);

    // The client's own limit: the node answers 504 at the deadline, so waiting much longer
    // means the node or the network is gone.
    const signals = [AbortSignal.timeout((deadlineMs ?? 30000) + this.graceMs)];
    if (options.signal !== undefined) signals.push(options.signal);
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(`${this.baseUrl}/v1/invoke/${route}`, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.any(signals),
      });
      text = await response.text();
    } catch (error) {
      const details = { status: 0, route, serverMessage: "", cause: error };
      if (error instanceof Error && error.name === "TimeoutError") {
        throw new DeadlineExceededError(`estalogic ${route}: no answer within ${(deadlineMs ?? 30000) + this.graceMs} ms`, details);
      }
      if (error instanceof Error && error.name === "AbortError") throw error;
      throw new NetworkError(`estalogic ${route}: ${describe(error)}`, details);
    }

    const traceId = response.headers.get("estalogic-trace-id") ?? undefined;
    const auditRecordId = auditId(response.headers.get("estalogic-audit-record"));
    if (response.status !== 200) {
      throw errorForStatus({ status: response.status, route, serverMessage: serverMessage(text), traceId, auditRecordId });
    }
    const raw = text.replace(/\r?\n$/, "");
    const invalid = (why: string): EstalogicError =>
      new InvalidResponseError(`estalogic ${route}: ${why}`, { status: 200, route, serverMessage: raw, traceId, auditRecordId });
    const traceparent = response.headers.get("traceparent");
    if (traceId === undefined || !TRACE_ID.test(traceId) || traceparent === null) throw invalid("no trace id in the answer");
    if (auditRecordId === undefined) throw invalid("no audit record id in the answer");
    let decision: Decision;
    try {
      decision = JSON.parse(raw) as Decision;
    } catch (error) {
      throw invalid(`the decision is not JSON: ${(error as Error).message}`);
    }
    return { decision, raw, traceId, traceparent, auditRecordId };
  }
}

// fetch reports every network failure as "fetch failed" and keeps the reason (refused,
// reset, closed) in `cause`; the message carries both, so a log line says what happened.
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return `${error.message} (${typeof code === "string" ? `${code}: ` : ""}${cause.message})`;
  }
  return error.message;
}

// Typed errors for the ingress's answers (docs/OPERATIONS.md, "Ingress"). Every failure of
// EstalogicClient.invoke is one of these; `instanceof` picks the case, and `status`, the
// server's message and the trace id are on every one.

export interface ErrorDetails {
  status: number;
  route: string;
  /** The server's message (the JSON body's `error`, or its text). */
  serverMessage: string;
  /** The request's trace id, when the server sent one. */
  traceId?: string;
  /** The id of the audit record the server wrote about the refusal (403). */
  auditRecordId?: number;
  cause?: unknown;
}

/** Any failure of an invocation. */
export class EstalogicError extends Error {
  readonly status: number;
  readonly route: string;
  readonly serverMessage: string;
  readonly traceId?: string;
  readonly auditRecordId?: number;

  constructor(message: string, details: ErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status;
    this.route = details.route;
    this.serverMessage = details.serverMessage;
    this.traceId = details.traceId;
    this.auditRecordId = details.auditRecordId;
  }

  /** Whether sending the same request again may succeed (503, 504, 408, network). */
  get retryable(): boolean {
    return false;
  }
}

/** Any 4xx: the request itself is wrong; do not retry it unchanged. */
export class ClientError extends EstalogicError {}

/** 400: an empty body or a bad deadline. */
export class BadRequestError extends ClientError {}

/** 401: the route needs a bearer token and this one is missing or wrong. */
export class UnauthorizedError extends ClientError {}

/** 403: the ingress holds no capability for that process; the refusal is audited. */
export class ForbiddenError extends ClientError {}

/** 404: no such route. */
export class NotFoundError extends ClientError {}

/** 413: the body is over the ingress's limit (8 KiB). */
export class PayloadTooLargeError extends ClientError {}

/** 422: the process failed the message (it is in the node's dead letters). */
export class UnprocessableError extends ClientError {}

/** 408 or 504, or no answer before the client's own deadline: no decision in time. The
 *  message may still be decided later; an idempotency key in the message makes a retry
 *  safe. */
export class DeadlineExceededError extends EstalogicError {
  override get retryable(): boolean {
    return true;
  }
}

/** Any 5xx but 504. */
export class ServerError extends EstalogicError {}

/** 503: the node is stopping or the process's mailbox is full; retry later. */
export class UnavailableError extends ServerError {
  override get retryable(): boolean {
    return true;
  }
}

/** The server could not be reached (status 0). */
export class NetworkError extends EstalogicError {
  override get retryable(): boolean {
    return true;
  }
}

/** A 200 whose body is not the JSON decision the route promises. */
export class InvalidResponseError extends EstalogicError {}

/** The error for an HTTP status other than 200. */
export function errorForStatus(details: ErrorDetails): EstalogicError {
  const text = `estalogic ${details.route}: HTTP ${details.status}: ${details.serverMessage}`;
  switch (details.status) {
    case 400:
      return new BadRequestError(text, details);
    case 401:
      return new UnauthorizedError(text, details);
    case 403:
      return new ForbiddenError(text, details);
    case 404:
      return new NotFoundError(text, details);
    case 408:
    case 504:
      return new DeadlineExceededError(text, details);
    case 413:
      return new PayloadTooLargeError(text, details);
    case 422:
      return new UnprocessableError(text, details);
    case 503:
      return new UnavailableError(text, details);
  }
  if (details.status >= 400 && details.status < 500) return new ClientError(text, details);
  return new ServerError(text, details);
}

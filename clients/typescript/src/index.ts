// @estalogic/client: a typed client for estalogic's HTTP ingress.
export { EstalogicClient } from "./client.js";
export type { ClientOptions, InvokeOptions, Invocation } from "./client.js";
export * from "./errors.js";
export type { EstaDecision, EstaEvent } from "./esta.js";

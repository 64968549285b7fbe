// estalogic SDK for AssemblyScript: the ABI v1.0 (docs/ABI.md) for modules written in
// AssemblyScript. Import what you need:
//
//   import { receive, reply, lookup, KeyValue, audit, ValueWriter } from "estalogic-sdk/assembly";
//
// A reactive module exports `estalogic_handle(): i32` (0 = done, < 0 = -status); an actor
// exports `_start`. Build with `asc --use abort=<this package>/assembly/index/estalogicAbort`
// so a failed assertion logs and traps instead of importing env.abort, which the kernel does
// not offer (README.md).

export * from "./abi";
export * from "./value";
export * from "./message";
export * from "./kv";
export * from "./audit";

import * as abi from "./abi";
import { LogLevel } from "./abi";
import { log } from "./message";

/** AssemblyScript's abort, routed to the kernel's log: the message, then a trap (the
 *  supervisor's policy applies). */
export function estalogicAbort(message: string | null, file: string | null, line: u32, column: u32): void {
  const text = "abort: " + (message != null ? message : "") + " at " + (file != null ? file : "?") + ":" + line.toString() + ":" + column.toString();
  log(LogLevel.FATAL, text);
  unreachable();
}

/** The ABI version this SDK speaks. */
export const SDK_ABI: string = abi.ABI_VERSION_MAJOR.toString() + "." + abi.ABI_VERSION_MINOR.toString();

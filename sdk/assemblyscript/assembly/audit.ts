// The integrity-chained audit log (docs/AUDIT.md): a compliance record of a kind, written
// through the grant the kernel finds under "audit" (WRITE). The kernel adds who wrote it;
// the host stamps the module's SHA-256.

import * as abi from "./imports";
import { nameBytes, utf8Length, ValueWriter } from "./value";

/** Appends `record` (usually value-encoded) as a record of `kind`: its id in the log, or
 *  -status. */
export function audit(kind: string, record: Uint8Array): i64 {
  return abi.audit(nameBytes(kind), utf8Length(kind), record.dataStart, record.length);
}

/** The same for what a ValueWriter holds. */
export function auditValue(kind: string, record: ValueWriter): i64 {
  return audit(kind, record.finish());
}

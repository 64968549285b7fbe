// Runs the value encoding self-test (value_selftest.ts, built by e2e.sh) under node.
//   node value_selftest.mjs value_selftest.wasm
import { readFileSync } from "node:fs";

const bytes = readFileSync(process.argv[2]);
const messages = [];
const { instance } = await WebAssembly.instantiate(bytes, {
  // Only estalogicAbort's log can be imported; it must never be reached here.
  estalogic: { log: (level, ptr, len) => (messages.push({ level, ptr, len }), 0) },
});
const failed = instance.exports.run();
if (failed !== 0 || messages.length > 0) {
  console.error(`value_selftest: check ${failed} failed${messages.length ? " (aborted)" : ""}`);
  process.exit(1);
}
console.log("value_selftest: the value encoding matches docs/ABI.md and rejects malformed input");

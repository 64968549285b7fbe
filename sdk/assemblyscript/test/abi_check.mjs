// Checks the SDK's hand-written ABI against docs/ABI.md (generated from the kernel's table):
// every function of the table is imported by assembly/imports.ts under the same name with
// the same wasm signature, nothing else is imported, and the status codes, key-value ops
// and value tags of assembly/abi.ts carry the table's numbers.
//
//   node test/abi_check.mjs path/to/docs/ABI.md
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const abiMd = readFileSync(process.argv[2] ?? join(here, "../../../docs/ABI.md"), "utf8");
const imports = readFileSync(join(here, "../assembly/imports.ts"), "utf8");
const constants = readFileSync(join(here, "../assembly/abi.ts"), "utf8");
const problems = [];

// ---- Functions. ------------------------------------------------------------------------
const documented = new Map();
for (const m of abiMd.matchAll(/^\| \[`(\w+)`\]\(#\w+\) \| `\(([^)]*)\) -> ([^`]+)` \|/gm)) {
  documented.set(m[1], `(${m[2]}) -> ${m[3]}`);
}
if (documented.size < 10) problems.push(`found only ${documented.size} functions in ABI.md`);

const wasmType = { usize: "i32", i32: "i32", u32: "i32", i64: "i64", f64: "f64", void: "()" };
const declared = new Map();
const pattern = /@external\("estalogic", "(\w+)"\)\s*export declare function \w+\(([^)]*)\): (\w+);/g;
for (const m of imports.matchAll(pattern)) {
  const params = m[2].trim() === "" ? [] : m[2].split(",").map((p) => p.split(":")[1].trim());
  const mapped = params.map((p) => wasmType[p] ?? `?${p}`);
  declared.set(m[1], `(${mapped.join(", ")}) -> ${wasmType[m[3]] ?? `?${m[3]}`}`);
}
for (const [name, signature] of documented) {
  if (!declared.has(name)) problems.push(`imports.ts lacks ${name} ${signature}`);
  else if (declared.get(name) !== signature)
    problems.push(`${name}: ABI.md says ${signature}, imports.ts ${declared.get(name)}`);
}
for (const name of declared.keys()) {
  if (!documented.has(name)) problems.push(`imports.ts imports ${name}, which ABI.md does not list`);
}

// ---- Numbers: a table section of ABI.md against a namespace of abi.ts. ------------------
function section(title) {
  const start = abiMd.indexOf(title);
  if (start < 0) {
    problems.push(`ABI.md has no section "${title}"`);
    return "";
  }
  const end = abiMd.indexOf("\n## ", start + title.length);
  return abiMd.slice(start, end < 0 ? undefined : end);
}

function namespace(name) {
  const m = constants.match(new RegExp(`export namespace ${name} \\{([^}]*)\\}`));
  const values = new Map();
  if (!m) {
    problems.push(`abi.ts has no namespace ${name}`);
    return values;
  }
  for (const c of m[1].matchAll(/export const (\w+): \w+ = (0x[0-9a-fA-F]+|\d+);/g)) {
    values.set(c[1], Number(c[2]));
  }
  return values;
}

function compare(label, documentedValues, ns) {
  const values = namespace(ns);
  if (documentedValues.size === 0) problems.push(`no ${label} found in ABI.md`);
  for (const [name, value] of documentedValues) {
    if (values.get(name) !== value) problems.push(`${ns}.${name}: ABI.md says ${value}, abi.ts ${values.get(name)}`);
  }
  for (const name of values.keys()) {
    if (!documentedValues.has(name)) problems.push(`${ns}.${name} is not in ABI.md`);
  }
}

const statuses = new Map();
for (const m of section("## Status codes").matchAll(/^\| (\d+) \| `(\w+)` \|/gm)) statuses.set(m[2], Number(m[1]));
compare("status codes", statuses, "Status");

const kvOps = new Map();
for (const m of section("### key-value").matchAll(/^\| (\d+) \| `ESTA_KV_(\w+)` \|/gm)) kvOps.set(m[2], Number(m[1]));
compare("key-value ops", kvOps, "KvOp");

const tags = new Map();
for (const m of section("## Value encoding").matchAll(/^\| (\d+) \| `ESTA_VALUE_(\w+)` \|/gm)) tags.set(m[2], Number(m[1]));
compare("value tags", tags, "Tag");

if (problems.length > 0) {
  for (const p of problems) console.error(`abi_check: ${p}`);
  process.exit(1);
}
console.log(`abi_check: ${documented.size} functions, ${statuses.size} status codes, ${kvOps.size} key-value ops and ${tags.size} value tags agree with ABI.md`);

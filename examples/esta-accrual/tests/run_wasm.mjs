// Runs esta_rules.wasm over event JSON lines with node's WebAssembly, keeping the states as
// byte strings by id exactly as the key-value driver will, and prints the decision lines.
// Usage: node run_wasm.mjs esta_rules.wasm events.jsonl > decisions.jsonl
import fs from "node:fs";

const [wasmPath, eventsPath] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), {});
const x = instance.exports;
const memory = () => new Uint8Array(x.memory.buffer);
const eventAt = x.esta_host_event();
const decisionAt = x.esta_host_decision();
const employerAt = x.esta_host_employer();
const employeeAt = x.esta_host_employee();
const employerSize = x.esta_host_employer_size();
const employeeSize = x.esta_host_employee_size();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const employers = new Map();
const employees = new Map();
const out = [];
for (const line of fs.readFileSync(eventsPath, "utf8").split("\n")) {
  if (line === "") continue;
  const event = JSON.parse(line);
  const employerKey = event.employer ?? "";
  const employeeKey = employerKey + "/" + (event.employee ?? "");
  const perEmployee = event.type !== "headcount";
  if (employers.has(employerKey)) memory().set(employers.get(employerKey), employerAt);
  else x.esta_host_reset_employer();
  if (perEmployee && employees.has(employeeKey)) memory().set(employees.get(employeeKey), employeeAt);
  else x.esta_host_reset_employee();
  const bytes = encoder.encode(line);
  memory().set(bytes, eventAt);
  const length = x.esta_host_decide(bytes.length);
  if (length < 0) {
    console.error(`run_wasm: status ${length} for ${line}`);
    process.exit(1);
  }
  employers.set(employerKey, memory().slice(employerAt, employerAt + employerSize));
  const hired = new DataView(x.memory.buffer).getUint32(employeeAt + 4, true);
  if (perEmployee && hired !== 0) {
    employees.set(employeeKey, memory().slice(employeeAt, employeeAt + employeeSize));
  }
  out.push(decoder.decode(memory().subarray(decisionAt, decisionAt + length)));
}
fs.writeSync(1, out.join("\n") + "\n");

// Runs a wasm32-wasi command module under node's V8 with node's WASI preview 1, passing
// the remaining arguments: the V8 baseline of bench/run-programs.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [, , modulePath, ...args] = process.argv;
const wasi = new WASI({ version: 'preview1', args: [modulePath, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(modulePath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);

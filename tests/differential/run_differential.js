// Differential test: random modules from binaryen's translate-to-fuzz (wasm-opt -ttf) run
// in V8 (this node process) and in estalogic (diff_runner); both print one line per call,
// log and outcome, and the transcripts must be identical.
//
// usage: node run_differential.js DIFF_RUNNER WORK_DIR REGRESSION_DIR SEED...
// Exit 0 when every seed agrees, 1 otherwise (disagreeing modules are copied to
// REGRESSION_DIR/differential_<seed>.wasm).
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

// Features of WebAssembly 2.0 that estalogic implements without SIMD or reference types
// (reference-typed exports could not be compared through JS anyway).
const FEATURES = [
  '--mvp-features', '--enable-sign-ext', '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int', '--enable-bulk-memory', '--enable-multivalue',
];
const RANDOM_BYTES = 4096;

// Deterministic bytes: SHA-256 in counter mode, so a seed means the same module everywhere.
function randomBytes(seed) {
  const blocks = [];
  for (let counter = 0; blocks.length * 32 < RANDOM_BYTES; ++counter) {
    blocks.push(crypto.createHash('sha256').update(`estalogic-diff:${seed}:${counter}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, RANDOM_BYTES);
}

const f32View = new Float32Array(1);
const u32View = new Uint32Array(f32View.buffer);
const f64View = new Float64Array(1);
const u64View = new BigUint64Array(f64View.buffer);

// Same spelling as diff_runner's format_value: raw bits in decimal, NaN as "nan".
function formatValue(type, value) {
  switch (type) {
    case 'i32': return `i32:${value >>> 0}`;
    case 'i64': return `i64:${BigInt.asUintN(64, BigInt(value))}`;
    case 'f32':
      if (Number.isNaN(value)) return 'f32:nan';
      f32View[0] = value;
      return `f32:${u32View[0]}`;
    case 'f64':
      if (Number.isNaN(value)) return 'f64:nan';
      f64View[0] = value;
      return `f64:${u64View[0]}`;
  }
  throw new Error(`unexpected type ${type}`);
}

// Runs the exports listed by `diff_runner sig` in V8 and returns the transcript.
function runInV8(bytes, signatures) {
  const lines = [];
  const logger = (type) => (value) => { lines.push(`log ${formatValue(type, value)}`); };
  let module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (error) {
    return ['compile-error'];  // Both engines rejecting a module is agreement.
  }
  let instance;
  try {
    instance = new WebAssembly.Instance(module, {
      'fuzzing-support': {
        'log-i32': logger('i32'), 'log-i64': logger('i64'),
        'log-f32': logger('f32'), 'log-f64': logger('f64'),
      },
    });
  } catch (error) {
    // Same words as diff_runner: a trap in the start function or a failed link.
    return [...lines, error instanceof WebAssembly.RuntimeError ? 'start-trap' : 'link-error'];
  }
  for (const { name, params, results } of signatures) {
    lines.push(`call ${name}`);
    const args = params.map((type) => (type === 'i64' ? 0n : 0));
    try {
      const returned = instance.exports[name](...args);
      const values = results.length === 1 ? [returned] : (results.length === 0 ? [] : returned);
      let line = 'result';
      results.forEach((type, i) => { line += ` ${formatValue(type, values[i])}`; });
      lines.push(line);
    } catch (error) {
      // RuntimeError is a wasm trap; RangeError is V8's stack overflow, a trap in estalogic.
      if (error instanceof WebAssembly.RuntimeError || error instanceof RangeError) {
        lines.push('trap');
      } else {
        throw error;
      }
    }
  }
  return lines;
}

function parseSignatures(text) {
  const list = (field) => (field === '-' ? [] : field.split(','));
  return text.split('\n').filter((line) => line.startsWith('func ')).map((line) => {
    const [, name, params, results] = line.split(' ');
    return { name, params: list(params), results: list(results) };
  });
}

function main() {
  const [runner, workDir, regressionDir, ...seeds] = process.argv.slice(2);
  fs.mkdirSync(workDir, { recursive: true });
  let agreed = 0;
  const disagreed = [];
  for (const seed of seeds) {
    const randomPath = path.join(workDir, `random_${seed}.dat`);
    const modulePath = path.join(workDir, `module_${seed}.wasm`);
    fs.writeFileSync(randomPath, randomBytes(seed));
    execFileSync('wasm-opt', [randomPath, '-ttf', ...FEATURES, '-o', modulePath],
                 { stdio: ['ignore', 'ignore', 'ignore'] });
    const signatureText = execFileSync(runner, ['sig', modulePath], { encoding: 'utf8' });
    const estalogic = execFileSync(runner, ['run', modulePath],
                                   { encoding: 'utf8', maxBuffer: 1 << 28 }).trimEnd().split('\n');
    // When estalogic rejects the module, `sig` prints that outcome and no signatures, and
    // V8 must reach the same outcome.
    const v8 = runInV8(fs.readFileSync(modulePath), parseSignatures(signatureText));
    const firstDifference = estalogic.findIndex((line, i) => line !== v8[i]);
    if (firstDifference === -1 && estalogic.length === v8.length) {
      ++agreed;
      continue;
    }
    const at = firstDifference === -1 ? Math.min(estalogic.length, v8.length) : firstDifference;
    disagreed.push(seed);
    fs.mkdirSync(regressionDir, { recursive: true });
    fs.copyFileSync(modulePath, path.join(regressionDir, `differential_${seed}.wasm`));
    console.log(`seed ${seed}: transcripts differ at line ${at + 1}`);
    console.log(`  estalogic: ${estalogic[at] ?? '(end)'}`);
    console.log(`  v8:        ${v8[at] ?? '(end)'}`);
  }
  console.log(`differential: ${agreed} of ${seeds.length} seeds agree` +
              (disagreed.length ? `; disagreeing: ${disagreed.join(' ')}` : ''));
  process.exit(disagreed.length ? 1 : 0);
}

main();

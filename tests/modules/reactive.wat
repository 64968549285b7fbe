;; A reactive module for the module CLI tests: it reads the kernel's time and is done.
(module
  (import "estalogic" "now" (func $now (result i64)))
  (memory (export "memory") 1)
  (func (export "estalogic_handle") (result i32)
    (drop (call $now))
    (i32.const 0)))

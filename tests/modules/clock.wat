;; A module that reads the host clock through WASI: nondeterministic, outside the ABI.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "estalogic_handle") (result i32) (i32.const 0)))

;; The runner must be able to fail: this script holds 3 true and 4 false assertions plus one
;; text-only module, and tests/spec/CMakeLists.txt expects exactly that tally.
(module
  (func (export "sub") (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
  (func (export "nan") (result f64) (f64.div (f64.const 0) (f64.const 0)))
  (func (export "rem") (param i32) (result i32) (i32.rem_u (i32.const 7) (local.get 0))))
(assert_return (invoke "sub" (i32.const 5) (i32.const 7)) (i32.const -2))
(assert_return (invoke "nan") (f64.const nan:arithmetic))
(assert_trap (invoke "rem" (i32.const 0)) "integer divide by zero")
(assert_return (invoke "sub" (i32.const 5) (i32.const 7)) (i32.const 2))
(assert_return (invoke "rem" (i32.const 4)) (i32.const 4))
(assert_trap (invoke "rem" (i32.const 1)) "integer divide by zero")
(assert_invalid (module (func (result i32) (i32.const 1))) "type mismatch")
(assert_malformed (module quote "(func (result i32) (i32.const))") "unexpected token")

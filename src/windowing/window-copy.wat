;; The window copy of src/windowing/window-arena.ts, compiled into the bytes there (a test compiles this
;; file with wabt and checks that they match). copyWindows copies `n` blocks of `len` bytes, the k-th from
;; `src + k * step` to `dst + k * len`: the inputs of `n` consecutive windows into a batch, in one call.
(module
  (memory (export "memory") 1)
  (func (export "copyWindows") (param $src i32) (param $dst i32) (param $n i32) (param $len i32) (param $step i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (memory.copy (local.get $dst) (local.get $src) (local.get $len))
        (local.set $dst (i32.add (local.get $dst) (local.get $len)))
        (local.set $src (i32.add (local.get $src) (local.get $step)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))))

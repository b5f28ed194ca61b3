(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (result i32 i64 f64)))
  (type (;3;) (func (param i32)))
  (type (;4;) (func (param i32) (result i32 i32)))
  (type (;5;) (func (param i32) (result i32 i64)))
  (type (;6;) (func (param i32) (result i32 f64)))
  (type (;7;) (func (param i32 i32) (result i32)))
  (type (;8;) (func (param i32 i64) (result i32)))
  (type (;9;) (func (param i32 i64 f64) (result i32 i64 f64)))
  (type (;10;) (func (param i32 f64) (result i32)))
  (type (;11;) (func (param i64 f64 i32) (result i32 i64 f64)))
  (import "env" "sleep_i32" (func $sleep_i32 (;0;) (type 1)))
  (memory (;0;) 1)
  (global $__asyncify_state (;0;) (mut i32) i32.const 0)
  (global $__asyncify_data (;1;) (mut i32) i32.const 0)
  (export "main" (func 1))
  (export "asyncify_start_unwind" (func $asyncify_start_unwind))
  (export "asyncify_stop_unwind" (func $asyncify_stop_unwind))
  (export "asyncify_start_rewind" (func $asyncify_start_rewind))
  (export "asyncify_stop_rewind" (func $asyncify_stop_rewind))
  (export "asyncify_get_state" (func $asyncify_get_state))
  (func (;1;) (type 9) (param i32 i64 f64) (result i32 i64 f64)
    (local i32)
    global.get $__asyncify_state
    i32.const 2
    i32.eq
    if ;; label = @1
      i32.const 20
      call $__rewind_pop_i64_1
      local.set 1
      call $__rewind_restore_f64_1
      local.set 2
      call $__rewind_restore_i32_1
      local.set 0
      drop
    end
    block ;; label = @1
      block (type 2) (result i32 i64 f64) ;; label = @2
        call $sleep_i32
        global.get $__asyncify_state
        br_if 1 (;@1;)
        local.set 3
        local.get 1
        local.get 2
        local.get 0
        local.get 3
        i32.add
        local.tee 0
        call $pack
      end
      return
    end
    i32.const 20
    local.get 1
    call $__rewind_push_i64_1
    local.get 2
    call $__rewind_save_f64_1
    local.get 0
    call $__rewind_save_i32_1
    drop
    i32.const 0
    i64.const 0
    f64.const 0x0p+0 (;=0;)
  )
  (func $__rewind_push_i64_1 (;2;) (type 8) (param i32 i64) (result i32)
    (local i32 i32)
    global.get $__asyncify_data
    local.tee 2
    i32.load
    local.set 3
    local.get 2
    i32.load offset=4
    local.get 3
    i32.sub
    local.get 0
    i32.lt_u
    local.get 2
    i32.load offset=4
    local.get 3
    i32.lt_u
    i32.or
    if ;; label = @1
      call $__asyncify_save_stack_overflow
      unreachable
    end
    local.get 2
    local.get 3
    local.get 0
    i32.add
    i32.store
    local.get 3
    local.set 0
    local.get 0
    local.get 1
    i64.store
    local.get 0
    i32.const 8
    i32.add
  )
  (func $__rewind_pop_i64_1 (;3;) (type 5) (param i32) (result i32 i64)
    (local i32 i32)
    global.get $__asyncify_data
    local.tee 1
    local.get 1
    i32.load
    local.get 0
    i32.sub
    local.tee 2
    i32.store
    local.get 2
    local.set 0
    local.get 0
    i32.const 8
    i32.add
    local.get 0
    i64.load
  )
  (func $asyncify_start_unwind (;4;) (type 3) (param i32)
    i32.const 1
    global.set $__asyncify_state
    local.get 0
    global.set $__asyncify_data
    global.get $__asyncify_data
    i32.load
    global.get $__asyncify_data
    i32.load offset=4
    i32.gt_u
    if ;; label = @1
      unreachable
    end
  )
  (func $asyncify_start_rewind (;5;) (type 3) (param i32)
    i32.const 2
    global.set $__asyncify_state
    local.get 0
    global.set $__asyncify_data
    global.get $__asyncify_data
    i32.load
    global.get $__asyncify_data
    i32.load offset=4
    i32.gt_u
    if ;; label = @1
      unreachable
    end
  )
  (func $asyncify_stop_unwind (;6;) (type 0)
    i32.const 0
    global.set $__asyncify_state
    global.get $__asyncify_data
    i32.load
    global.get $__asyncify_data
    i32.load offset=4
    i32.gt_u
    if ;; label = @1
      unreachable
    end
  )
  (func $asyncify_stop_rewind (;7;) (type 0)
    i32.const 0
    global.set $__asyncify_state
    global.get $__asyncify_data
    i32.load
    global.get $__asyncify_data
    i32.load offset=4
    i32.gt_u
    if ;; label = @1
      unreachable
    end
  )
  (func $__rewind_save_f64_1 (;8;) (type 10) (param i32 f64) (result i32)
    local.get 0
    local.get 1
    f64.store
    local.get 0
    i32.const 8
    i32.add
  )
  (func $__rewind_save_i32_1 (;9;) (type 7) (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.store
    local.get 0
    i32.const 4
    i32.add
  )
  (func $__rewind_restore_f64_1 (;10;) (type 6) (param i32) (result i32 f64)
    local.get 0
    i32.const 8
    i32.add
    local.get 0
    f64.load
  )
  (func $__rewind_restore_i32_1 (;11;) (type 4) (param i32) (result i32 i32)
    local.get 0
    i32.const 4
    i32.add
    local.get 0
    i32.load
  )
  (func $__asyncify_save_stack_overflow (;12;) (type 0)
    i32.const 3
    global.set $__asyncify_state
    unreachable
  )
  (func $pack (;13;) (type 11) (param i64 f64 i32) (result i32 i64 f64)
    local.get 2
    local.get 0
    local.get 1
  )
  (func $asyncify_get_state (;14;) (type 1) (result i32)
    global.get $__asyncify_state
  )
  (@producers
    (processed-by "walrus" "0.28.0")
  )
)

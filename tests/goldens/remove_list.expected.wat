(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (param i32)))
  (type (;3;) (func (param i32) (result i32)))
  (import "env" "sleep" (func $sleep (;0;) (type 0)))
  (memory (;0;) 1)
  (global $__asyncify_state (;0;) (mut i32) i32.const 0)
  (global $__asyncify_data (;1;) (mut i32) i32.const 0)
  (export "main" (func $main))
  (export "loud" (func $loud))
  (export "asyncify_start_unwind" (func $asyncify_start_unwind))
  (export "asyncify_stop_unwind" (func $asyncify_stop_unwind))
  (export "asyncify_start_rewind" (func $asyncify_start_rewind))
  (export "asyncify_stop_rewind" (func $asyncify_stop_rewind))
  (export "asyncify_get_state" (func $asyncify_get_state))
  (func $asyncify_start_unwind (;1;) (type 2) (param i32)
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
  (func $asyncify_start_rewind (;2;) (type 2) (param i32)
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
  (func $asyncify_stop_unwind (;3;) (type 0)
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
  (func $asyncify_stop_rewind (;4;) (type 0)
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
  (func $loud (;5;) (type 0)
    block ;; label = @1
      block ;; label = @2
        call $sleep
        global.get $__asyncify_state
        br_if 1 (;@1;)
      end
      return
    end
  )
  (func $__asyncify_save_stack_overflow (;6;) (type 0)
    i32.const 3
    global.set $__asyncify_state
    unreachable
  )
  (func $quiet (;7;) (type 0)
    call $sleep
  )
  (func $main (;8;) (type 3) (param i32) (result i32)
    call $quiet
    local.get 0
  )
  (func $asyncify_get_state (;9;) (type 1) (result i32)
    global.get $__asyncify_state
  )
  (@producers
    (processed-by "walrus" "0.28.0")
  )
)

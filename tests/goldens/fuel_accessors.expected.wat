(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (result i64)))
  (type (;3;) (func (param i32)))
  (type (;4;) (func (param i64)))
  (type (;5;) (func (param i64) (result i64)))
  (import "rewind" "out_of_fuel" (func (;0;) (type 0)))
  (memory (;0;) 1)
  (global $__rewind_fuel (;0;) (mut i64) i64.const 0)
  (global $__asyncify_state (;1;) (mut i32) i32.const 0)
  (global $__asyncify_data (;2;) (mut i32) i32.const 0)
  (global $__rewind_fuel_parked (;3;) (mut i64) i64.const 0)
  (export "grant" (func 2))
  (export "__rewind_fuel" (global $__rewind_fuel))
  (export "asyncify_start_unwind" (func $asyncify_start_unwind))
  (export "asyncify_stop_unwind" (func $asyncify_stop_unwind))
  (export "asyncify_start_rewind" (func $asyncify_start_rewind))
  (export "asyncify_stop_rewind" (func $asyncify_stop_rewind))
  (export "asyncify_get_state" (func $asyncify_get_state))
  (func $asyncify_stop_rewind (;1;) (type 0)
    i32.const 0
    global.set $__asyncify_state
    global.get $__rewind_fuel
    i64.const -4611686018427387904
    i64.le_s
    if ;; label = @1
      global.get $__rewind_fuel_parked
      global.set $__rewind_fuel
    end
    global.get $__asyncify_data
    i32.load
    global.get $__asyncify_data
    i32.load offset=4
    i32.gt_u
    if ;; label = @1
      unreachable
    end
  )
  (func (;2;) (type 5) (param i64) (result i64)
    (local i64)
    global.get $__rewind_fuel
    local.set 1
    block (result i64) ;; label = @1
      local.get 1
      i64.const 16
      i64.sub
      local.set 1
      local.get 1
      global.set $__rewind_fuel
      call $get_fuel
      local.get 0
      i64.add
      call $set_fuel
      call $get_fuel
    end
  )
  (func $asyncify_start_rewind (;3;) (type 3) (param i32)
    i32.const 2
    global.set $__asyncify_state
    local.get 0
    global.set $__asyncify_data
    call $__rewind_park_fuel
    global.get $__asyncify_data
    i32.load
    global.get $__asyncify_data
    i32.load offset=4
    i32.gt_u
    if ;; label = @1
      unreachable
    end
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
  (func $asyncify_stop_unwind (;5;) (type 0)
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
  (func $set_fuel (;6;) (type 4) (param i64)
    global.get $__rewind_fuel
    i64.const -4611686018427387904
    i64.le_s
    if ;; label = @1
      local.get 0
      global.set $__rewind_fuel_parked
    else
      local.get 0
      global.set $__rewind_fuel
    end
  )
  (func $__rewind_park_fuel (;7;) (type 0)
    global.get $__rewind_fuel
    i64.const -4611686018427387904
    i64.gt_s
    if ;; label = @1
      global.get $__rewind_fuel
      global.set $__rewind_fuel_parked
      i64.const -4611686018427387904
      global.set $__rewind_fuel
    end
  )
  (func $get_fuel (;8;) (type 2) (result i64)
    global.get $__rewind_fuel
    i64.const -4611686018427387904
    i64.le_s
    if (result i64) ;; label = @1
      global.get $__rewind_fuel_parked
    else
      global.get $__rewind_fuel
    end
  )
  (func $__asyncify_save_stack_overflow (;9;) (type 0)
    i32.const 3
    global.set $__asyncify_state
    unreachable
  )
  (func $asyncify_get_state (;10;) (type 1) (result i32)
    global.get $__asyncify_state
  )
  (@producers
    (processed-by "walrus" "0.28.0")
  )
)

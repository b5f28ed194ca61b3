(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (param i32)))
  (type (;3;) (func (param i32) (result i32)))
  (type (;4;) (func (param i32) (result i32 i32 i32 i32)))
  (type (;5;) (func (param i32) (result i32 i64)))
  (type (;6;) (func (param i32 i32 i32 i32) (result i32)))
  (type (;7;) (func (param i32 i64) (result i32)))
  (import "rewind" "out_of_fuel" (func (;0;) (type 0)))
  (memory (;0;) 1)
  (global $__rewind_fuel (;0;) (mut i64) i64.const 0)
  (global $__asyncify_state (;1;) (mut i32) i32.const 0)
  (global $__asyncify_data (;2;) (mut i32) i32.const 0)
  (global $__rewind_fuel_parked (;3;) (mut i64) i64.const 0)
  (export "fib" (func $fib))
  (export "__rewind_fuel" (global $__rewind_fuel))
  (export "asyncify_start_unwind" (func $asyncify_start_unwind))
  (export "asyncify_stop_unwind" (func $asyncify_stop_unwind))
  (export "asyncify_start_rewind" (func $asyncify_start_rewind))
  (export "asyncify_stop_rewind" (func $asyncify_stop_rewind))
  (export "asyncify_get_state" (func $asyncify_get_state))
  (func $fib (;1;) (type 3) (param i32) (result i32)
    (local i32 i32 i32 i64)
    global.get $__rewind_fuel
    local.set 4
    block (result i32) ;; label = @1
      global.get $__asyncify_state
      i32.eqz
      if (result i32) ;; label = @2
        block (result i32) ;; label = @3
          block (result i32) ;; label = @4
            block ;; label = @5
              block ;; label = @6
              end
              local.get 4
              i64.const 2
              i64.sub
              local.tee 4
              i64.const 0
              i64.lt_s
              if ;; label = @6
                block ;; label = @7
                  local.get 4
                  global.set $__rewind_fuel
                end
                call 0
                i32.const 0
                global.get $__asyncify_state
                br_if 5 (;@1;)
                drop
                global.get $__rewind_fuel
                local.set 4
              end
            end
            local.get 0
            i32.const 2
            i32.lt_u
            if (result i32) ;; label = @5
              local.get 0
              local.get 4
              global.set $__rewind_fuel
            else
              block ;; label = @6
                block ;; label = @7
                  local.get 4
                  i64.const 13
                  i64.sub
                  local.tee 4
                  global.set $__rewind_fuel
                end
                local.get 0
                i32.const 1
                i32.sub
                call $fib
                i32.const 1
                global.get $__asyncify_state
                br_if 5 (;@1;)
                drop
                local.set 2
              end
              local.get 0
              i32.const 2
              i32.sub
              call $fib
              i32.const 2
              global.get $__asyncify_state
              br_if 4 (;@1;)
              drop
              local.set 3
              local.get 2
              local.get 3
              i32.add
            end
          end
        end
      else
        global.get $__asyncify_state
        i32.const 2
        i32.eq
        if ;; label = @3
          call $__rewind_park_fuel
          i32.const 20
          call $__rewind_pop_i64_1
          local.set 4
          call $__rewind_restore_i32_3
          local.set 1
          local.set 2
          local.set 0
          drop
        end
        block (result i32) ;; label = @3
          block (result i32) ;; label = @4
            block ;; label = @5
              block ;; label = @6
                global.get $__asyncify_state
                if ;; label = @7
                  local.get 1
                  br_table 1 (;@6;) 2 (;@5;) 2 (;@5;) 1 (;@6;)
                end
              end
              local.get 4
              i64.const 2
              i64.sub
              local.tee 4
              i64.const 0
              i64.lt_s
              if ;; label = @6
                block ;; label = @7
                  global.get $__asyncify_state
                  br_if 0 (;@7;)
                  local.get 4
                  global.set $__rewind_fuel
                end
                call 0
                i32.const 0
                global.get $__asyncify_state
                br_if 5 (;@1;)
                drop
                global.get $__rewind_fuel
                local.set 4
              end
            end
            local.get 0
            i32.const 2
            i32.lt_u
            if (result i32) ;; label = @5
              local.get 0
              local.get 4
              global.set $__rewind_fuel
            else
              block ;; label = @6
                block ;; label = @7
                  global.get $__asyncify_state
                  if ;; label = @8
                    local.get 1
                    i32.const 1
                    i32.sub
                    br_table 1 (;@7;) 2 (;@6;) 1 (;@7;)
                  end
                  local.get 4
                  i64.const 13
                  i64.sub
                  local.tee 4
                  global.set $__rewind_fuel
                end
                local.get 0
                i32.const 1
                i32.sub
                call $fib
                i32.const 1
                global.get $__asyncify_state
                br_if 5 (;@1;)
                drop
                local.set 2
              end
              local.get 0
              i32.const 2
              i32.sub
              call $fib
              i32.const 2
              global.get $__asyncify_state
              br_if 4 (;@1;)
              drop
              local.set 3
              local.get 2
              local.get 3
              i32.add
            end
          end
        end
      end
      return
    end
    local.set 1
    i32.const 20
    local.get 4
    call $__rewind_push_i64_1
    local.get 0
    local.get 2
    local.get 1
    call $__rewind_save_i32_3
    drop
    i32.const 0
  )
  (func $__rewind_push_i64_1 (;2;) (type 7) (param i32 i64) (result i32)
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
  (func $asyncify_stop_rewind (;4;) (type 0)
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
  (func $__rewind_save_i32_3 (;5;) (type 6) (param i32 i32 i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.store
    local.get 0
    local.get 2
    i32.store offset=4
    local.get 0
    local.get 3
    i32.store offset=8
    local.get 0
    i32.const 12
    i32.add
  )
  (func $asyncify_start_rewind (;6;) (type 2) (param i32)
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
  (func $asyncify_start_unwind (;7;) (type 2) (param i32)
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
  (func $__rewind_restore_i32_3 (;8;) (type 4) (param i32) (result i32 i32 i32 i32)
    local.get 0
    i32.const 12
    i32.add
    local.get 0
    i32.load
    local.get 0
    i32.load offset=4
    local.get 0
    i32.load offset=8
  )
  (func $asyncify_stop_unwind (;9;) (type 0)
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
  (func $__rewind_park_fuel (;10;) (type 0)
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
  (func $__asyncify_save_stack_overflow (;11;) (type 0)
    i32.const 3
    global.set $__asyncify_state
    unreachable
  )
  (func $asyncify_get_state (;12;) (type 1) (result i32)
    global.get $__asyncify_state
  )
  (@producers
    (processed-by "walrus" "0.28.0")
  )
)

(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (param i32)))
  (type (;3;) (func (param i32) (result i32)))
  (type (;4;) (func (param i32) (result i32 i32 i32)))
  (type (;5;) (func (param i32 i32 i32) (result i32)))
  (type (;6;) (func (param i64)))
  (type (;7;) (func (param i64) (result i32)))
  (import "env" "sleep" (func $sleep (;0;) (type 0)))
  (memory (;0;) 1)
  (tag $e (;0;) (type 2) (param i32))
  (tag $f (;1;) (type 6) (param i64))
  (global $__asyncify_state (;0;) (mut i32) i32.const 0)
  (global $__asyncify_data (;1;) (mut i32) i32.const 0)
  (export "main" (func 1))
  (export "asyncify_start_unwind" (func $asyncify_start_unwind))
  (export "asyncify_stop_unwind" (func $asyncify_stop_unwind))
  (export "asyncify_start_rewind" (func $asyncify_start_rewind))
  (export "asyncify_stop_rewind" (func $asyncify_stop_rewind))
  (export "asyncify_get_state" (func $asyncify_get_state))
  (func (;1;) (type 3) (param i32) (result i32)
    (local i32 i32)
    block (result i32) ;; label = @1
      block (result i32) ;; label = @2
        block (result i32) ;; label = @3
          block ;; label = @4
            block ;; label = @5
              global.get $__asyncify_state
              if ;; label = @6
                i32.const 8
                call $__rewind_pop_i32_2
                local.set 2
                local.set 1
                drop
                local.get 2
                br_table 1 (;@5;) 2 (;@4;) 1 (;@5;)
              end
            end
            block ;; label = @5
              block ;; label = @6
                global.get $__asyncify_state
                br_if 0 (;@6;)
                block (result i32) ;; label = @7
                  try (result i32) ;; label = @8
                    local.get 0
                    throw $e
                  catch $e
                    br 1 (;@7;)
                  catch $f
                    i32.wrap_i64
                  catch_all
                    br 3 (;@5;)
                  end
                  br 4 (;@3;)
                end
                local.set 1
              end
              block (result i32) ;; label = @6
                call $sleep
                i32.const 0
                global.get $__asyncify_state
                br_if 5 (;@1;)
                drop
                local.get 1
              end
              br 2 (;@3;)
            end
          end
          block (result i32) ;; label = @4
            call $sleep
            i32.const 1
            global.get $__asyncify_state
            br_if 3 (;@1;)
            drop
            i32.const 2
          end
        end
      end
      return
    end
    local.set 2
    i32.const 8
    local.get 1
    local.get 2
    call $__rewind_push_i32_2
    drop
    i32.const 0
  )
  (func $__rewind_push_i32_2 (;2;) (type 5) (param i32 i32 i32) (result i32)
    (local i32 i32)
    global.get $__asyncify_data
    local.tee 3
    i32.load
    local.set 4
    local.get 3
    i32.load offset=4
    local.get 4
    i32.sub
    local.get 0
    i32.lt_u
    local.get 3
    i32.load offset=4
    local.get 4
    i32.lt_u
    i32.or
    if ;; label = @1
      call $__asyncify_save_stack_overflow
      unreachable
    end
    local.get 3
    local.get 4
    local.get 0
    i32.add
    i32.store
    local.get 4
    local.set 0
    local.get 0
    local.get 1
    i32.store
    local.get 0
    local.get 2
    i32.store offset=4
    local.get 0
    i32.const 8
    i32.add
  )
  (func $__rewind_pop_i32_2 (;3;) (type 4) (param i32) (result i32 i32 i32)
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
    i32.load
    local.get 0
    i32.load offset=4
  )
  (func $asyncify_start_unwind (;4;) (type 2) (param i32)
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
  (func $asyncify_start_rewind (;5;) (type 2) (param i32)
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
  (func $__asyncify_save_stack_overflow (;8;) (type 0)
    i32.const 3
    global.set $__asyncify_state
    unreachable
  )
  (func $asyncify_get_state (;9;) (type 1) (result i32)
    global.get $__asyncify_state
  )
  (@producers
    (processed-by "walrus" "0.28.0")
  )
)

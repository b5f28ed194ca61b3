(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (param i32)))
  (type (;3;) (func (param i32) (result i32)))
  (type (;4;) (func (param i32) (result i32 i32 i32)))
  (type (;5;) (func (param i32 i32 i32) (result i32)))
  (import "env" "sleep" (func $sleep (;0;) (type 0)))
  (memory (;0;) 1)
  (global $__asyncify_state (;0;) (mut i32) i32.const 0)
  (global $__asyncify_data (;1;) (mut i32) i32.const 0)
  (export "countdown" (func $countdown))
  (export "once" (func $once))
  (export "asyncify_start_unwind" (func $asyncify_start_unwind))
  (export "asyncify_stop_unwind" (func $asyncify_stop_unwind))
  (export "asyncify_start_rewind" (func $asyncify_start_rewind))
  (export "asyncify_stop_rewind" (func $asyncify_stop_rewind))
  (export "asyncify_get_state" (func $asyncify_get_state))
  (func $countdown (;1;) (type 3) (param i32) (result i32)
    (local i32)
    block (result i32) ;; label = @1
      global.get $__asyncify_state
      i32.eqz
      if (result i32) ;; label = @2
        block (result i32) ;; label = @3
          local.get 0
          if (result i32) ;; label = @4
            block ;; label = @5
              block ;; label = @6
              end
              call $sleep
              i32.const 0
              global.get $__asyncify_state
              br_if 4 (;@1;)
              drop
            end
            local.get 0
            i32.const 1
            i32.sub
            call $countdown
            i32.const 1
            global.get $__asyncify_state
            br_if 3 (;@1;)
            drop
          else
            i32.const 7
          end
        end
      else
        global.get $__asyncify_state
        i32.const 2
        i32.eq
        if ;; label = @3
          i32.const 8
          call $__rewind_pop_i32_2
          local.set 1
          local.set 0
          drop
        end
        block (result i32) ;; label = @3
          local.get 0
          if (result i32) ;; label = @4
            block ;; label = @5
              block ;; label = @6
                global.get $__asyncify_state
                if ;; label = @7
                  local.get 1
                  br_table 1 (;@6;) 2 (;@5;) 1 (;@6;)
                end
              end
              call $sleep
              i32.const 0
              global.get $__asyncify_state
              br_if 4 (;@1;)
              drop
            end
            local.get 0
            i32.const 1
            i32.sub
            call $countdown
            i32.const 1
            global.get $__asyncify_state
            br_if 3 (;@1;)
            drop
          else
            i32.const 7
          end
        end
      end
      return
    end
    local.set 1
    i32.const 8
    local.get 0
    local.get 1
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
  (func $once (;8;) (type 1) (result i32)
    block ;; label = @1
      block (result i32) ;; label = @2
        call $sleep
        global.get $__asyncify_state
        br_if 1 (;@1;)
        i32.const 1
      end
      return
    end
    i32.const 0
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

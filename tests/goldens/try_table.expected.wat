(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (result i32 exnref)))
  (type (;3;) (func (param i32)))
  (type (;4;) (func (param i32) (result i32)))
  (type (;5;) (func (param i32) (result i32 i32 i32 i32 i32)))
  (type (;6;) (func (param i32) (result exnref)))
  (type (;7;) (func (param i32 i32 i32 i32 i32) (result i32)))
  (type (;8;) (func (param exnref) (result i32)))
  (import "env" "sleep" (func $sleep (;0;) (type 0)))
  (table $__rewind_refs_0 (;0;) 0 exnref)
  (memory (;0;) 1)
  (tag $e (;0;) (type 3) (param i32))
  (global $__asyncify_state (;0;) (mut i32) i32.const 0)
  (global $__asyncify_data (;1;) (mut i32) i32.const 0)
  (global $__rewind_refs_top_0 (;2;) (mut i32) i32.const 0)
  (export "main" (func 1))
  (export "asyncify_start_unwind" (func $asyncify_start_unwind))
  (export "asyncify_stop_unwind" (func $asyncify_stop_unwind))
  (export "asyncify_start_rewind" (func $asyncify_start_rewind))
  (export "asyncify_stop_rewind" (func $asyncify_stop_rewind))
  (export "asyncify_get_state" (func $asyncify_get_state))
  (func (;1;) (type 4) (param i32) (result i32)
    (local i32 i32 exnref exnref)
    block (result i32) ;; label = @1
      block (result i32) ;; label = @2
        block ;; label = @3
          block ;; label = @4
            global.get $__asyncify_state
            if ;; label = @5
              i32.const 16
              call $__rewind_pop_i32_4
              local.set 1
              local.set 2
              call $__rewind_restore_ref_0
              local.set 3
              local.set 0
              drop
              local.get 1
              br_table 1 (;@4;) 2 (;@3;) 1 (;@4;)
            end
          end
          block (type 2) (result i32 exnref) ;; label = @4
            try_table (catch_ref $e 0 (;@4;)) ;; label = @5
              call $sleep
              i32.const 0
              global.get $__asyncify_state
              br_if 4 (;@1;)
              drop
              local.get 0
              throw $e
            end
            unreachable
          end
          local.set 4
          local.set 2
          local.get 4
          local.set 3
        end
        call $sleep
        i32.const 1
        global.get $__asyncify_state
        br_if 1 (;@1;)
        drop
        local.get 2
        drop
        block (result i32) ;; label = @3
          try_table (catch $e 0 (;@3;)) ;; label = @4
            local.get 3
            throw_ref
          end
          unreachable
        end
      end
      return
    end
    local.set 1
    i32.const 16
    call $__rewind_frame_push
    local.get 0
    local.get 3
    call $__rewind_save_ref_0
    local.get 2
    local.get 1
    call $__rewind_save_i32_4
    drop
    i32.const 0
  )
  (func $__rewind_restore_ref_0 (;2;) (type 6) (param i32) (result exnref)
    (local exnref)
    local.get 0
    i32.const -1
    i32.eq
    if ;; label = @1
      ref.null exn
      return
    end
    local.get 0
    table.get $__rewind_refs_0
    local.set 1
    local.get 0
    ref.null exn
    table.set $__rewind_refs_0
    block ;; label = @1
      loop ;; label = @2
        global.get $__rewind_refs_top_0
        i32.eqz
        br_if 1 (;@1;)
        global.get $__rewind_refs_top_0
        i32.const 1
        i32.sub
        table.get $__rewind_refs_0
        ref.is_null
        i32.eqz
        br_if 1 (;@1;)
        global.get $__rewind_refs_top_0
        i32.const 1
        i32.sub
        global.set $__rewind_refs_top_0
        br 0 (;@2;)
      end
    end
    local.get 1
  )
  (func $__rewind_save_ref_0 (;3;) (type 8) (param exnref) (result i32)
    local.get 0
    ref.is_null
    if ;; label = @1
      i32.const -1
      return
    end
    global.get $__rewind_refs_top_0
    table.size $__rewind_refs_0
    i32.ge_u
    if ;; label = @1
      ref.null exn
      table.size $__rewind_refs_0
      i32.const 16
      i32.add
      table.grow $__rewind_refs_0
      i32.const -1
      i32.eq
      if ;; label = @2
        unreachable
      end
    end
    global.get $__rewind_refs_top_0
    local.get 0
    table.set $__rewind_refs_0
    global.get $__rewind_refs_top_0
    global.get $__rewind_refs_top_0
    i32.const 1
    i32.add
    global.set $__rewind_refs_top_0
  )
  (func $__rewind_frame_push (;4;) (type 4) (param i32) (result i32)
    (local i32 i32)
    global.get $__asyncify_data
    local.tee 1
    i32.load
    local.set 2
    local.get 1
    i32.load offset=4
    local.get 2
    i32.sub
    local.get 0
    i32.lt_u
    local.get 1
    i32.load offset=4
    local.get 2
    i32.lt_u
    i32.or
    if ;; label = @1
      call $__asyncify_save_stack_overflow
      unreachable
    end
    local.get 1
    local.get 2
    local.get 0
    i32.add
    i32.store
    local.get 2
  )
  (func $__rewind_pop_i32_4 (;5;) (type 5) (param i32) (result i32 i32 i32 i32 i32)
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
    i32.const 16
    i32.add
    local.get 0
    i32.load
    local.get 0
    i32.load offset=4
    local.get 0
    i32.load offset=8
    local.get 0
    i32.load offset=12
  )
  (func $__rewind_save_i32_4 (;6;) (type 7) (param i32 i32 i32 i32 i32) (result i32)
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
    local.get 4
    i32.store offset=12
    local.get 0
    i32.const 16
    i32.add
  )
  (func $asyncify_start_unwind (;7;) (type 3) (param i32)
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
  (func $asyncify_start_rewind (;8;) (type 3) (param i32)
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
  (func $asyncify_stop_rewind (;10;) (type 0)
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

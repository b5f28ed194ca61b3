(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (param i32)))
  (type (;3;) (func (param i32) (result i32)))
  (type (;4;) (func (param i32) (result i32 i32 i32)))
  (type (;5;) (func (param i32) (result funcref)))
  (type (;6;) (func (param i32 i32 i32) (result i32)))
  (type (;7;) (func (param funcref)))
  (type (;8;) (func (param funcref) (result i32)))
  (import "env" "sleep" (func $sleep (;0;) (type 0)))
  (table $tab (;0;) 1 funcref)
  (table $__rewind_refs_0 (;1;) 0 funcref)
  (memory (;0;) 1)
  (global $__asyncify_state (;0;) (mut i32) i32.const 0)
  (global $__asyncify_data (;1;) (mut i32) i32.const 0)
  (global $__rewind_refs_top_0 (;2;) (mut i32) i32.const 0)
  (export "main" (func 1))
  (export "asyncify_start_unwind" (func $asyncify_start_unwind))
  (export "asyncify_stop_unwind" (func $asyncify_stop_unwind))
  (export "asyncify_start_rewind" (func $asyncify_start_rewind))
  (export "asyncify_stop_rewind" (func $asyncify_stop_rewind))
  (export "asyncify_get_state" (func $asyncify_get_state))
  (elem (;0;) declare func $f)
  (func (;1;) (type 7) (param funcref)
    (local funcref)
    block ;; label = @1
      block ;; label = @2
        block ;; label = @3
          global.get $__asyncify_state
          if ;; label = @4
            i32.const 8
            call $__rewind_pop_i32_2
            call $__rewind_restore_ref_0
            local.set 1
            call $__rewind_restore_ref_0
            local.set 0
            drop
            br 1 (;@3;)
          end
          ref.func $f
          local.set 1
        end
        call $sleep
        global.get $__asyncify_state
        br_if 1 (;@1;)
        local.get 1
        i32.const 0
        local.get 0
        table.set $tab
        drop
      end
      return
    end
    i32.const 8
    call $__rewind_frame_push
    local.get 0
    call $__rewind_save_ref_0
    local.get 1
    call $__rewind_save_ref_0
    call $__rewind_save_i32_2
    drop
  )
  (func $__rewind_restore_ref_0 (;2;) (type 5) (param i32) (result funcref)
    (local funcref)
    local.get 0
    i32.const -1
    i32.eq
    if ;; label = @1
      ref.null func
      return
    end
    local.get 0
    table.get $__rewind_refs_0
    local.set 1
    local.get 0
    ref.null func
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
  (func $__rewind_save_ref_0 (;3;) (type 8) (param funcref) (result i32)
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
      ref.null func
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
  (func $__rewind_frame_push (;4;) (type 3) (param i32) (result i32)
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
  (func $__rewind_pop_i32_2 (;5;) (type 4) (param i32) (result i32 i32 i32)
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
  (func $asyncify_start_unwind (;6;) (type 2) (param i32)
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
  (func $asyncify_start_rewind (;7;) (type 2) (param i32)
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
  (func $__rewind_save_i32_2 (;8;) (type 6) (param i32 i32 i32) (result i32)
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
  (func $f (;12;) (type 0))
  (func $asyncify_get_state (;13;) (type 1) (result i32)
    global.get $__asyncify_state
  )
  (@producers
    (processed-by "walrus" "0.28.0")
  )
)

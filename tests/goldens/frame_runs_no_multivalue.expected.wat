(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (param i32)))
  (type (;3;) (func (param i32) (result i32)))
  (type (;4;) (func (param i32) (result externref)))
  (type (;5;) (func (param i32 i32 i32 i32) (result i32)))
  (type (;6;) (func (param i32 i64 i64) (result i32)))
  (type (;7;) (func (param i32 i64 f64 i32 i64 externref)))
  (type (;8;) (func (param i32 f64) (result i32)))
  (type (;9;) (func (param externref) (result i32)))
  (import "env" "sleep" (func $sleep (;0;) (type 0)))
  (table $__rewind_refs_0 (;0;) 0 externref)
  (memory (;0;) 1)
  (global $out (;0;) (mut i64) i64.const 0)
  (global $__asyncify_state (;1;) (mut i32) i32.const 0)
  (global $__asyncify_data (;2;) (mut i32) i32.const 0)
  (global $__rewind_refs_top_0 (;3;) (mut i32) i32.const 0)
  (export "main" (func 1))
  (export "asyncify_start_unwind" (func $asyncify_start_unwind))
  (export "asyncify_stop_unwind" (func $asyncify_stop_unwind))
  (export "asyncify_start_rewind" (func $asyncify_start_rewind))
  (export "asyncify_stop_rewind" (func $asyncify_stop_rewind))
  (export "asyncify_get_state" (func $asyncify_get_state))
  (func (;1;) (type 7) (param i32 i64 f64 i32 i64 externref)
    (local i32)
    global.get $__asyncify_state
    i32.const 2
    i32.eq
    if ;; label = @1
      i32.const 36
      call $__rewind_frame_pop
      local.tee 6
      i64.load
      local.set 1
      local.get 6
      i64.load offset=8
      local.set 4
      local.get 6
      f64.load offset=16
      local.set 2
      local.get 6
      i32.load offset=24
      local.set 0
      local.get 6
      i32.load offset=28
      local.set 3
      local.get 6
      i32.load offset=32
      call $__rewind_restore_ref_0
      local.set 5
    end
    block ;; label = @1
      block ;; label = @2
        call $sleep
        global.get $__asyncify_state
        br_if 1 (;@1;)
        local.get 1
        local.get 4
        i64.add
        local.get 0
        local.get 3
        i32.add
        i64.extend_i32_u
        local.get 2
        i64.trunc_f64_s
        i64.add
        i64.add
        global.set $out
        local.get 5
        ref.is_null
        drop
      end
      return
    end
    i32.const 36
    local.get 1
    local.get 4
    call $__rewind_push_i64_2
    local.get 2
    call $__rewind_save_f64_1
    local.get 0
    local.get 3
    local.get 5
    call $__rewind_save_ref_0
    call $__rewind_save_i32_3
    drop
  )
  (func $__rewind_push_i64_2 (;2;) (type 6) (param i32 i64 i64) (result i32)
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
    i64.store
    local.get 0
    local.get 2
    i64.store offset=8
    local.get 0
    i32.const 16
    i32.add
  )
  (func $__rewind_restore_ref_0 (;3;) (type 4) (param i32) (result externref)
    (local externref)
    local.get 0
    i32.const -1
    i32.eq
    if ;; label = @1
      ref.null extern
      return
    end
    local.get 0
    table.get $__rewind_refs_0
    local.set 1
    local.get 0
    ref.null extern
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
  (func $__rewind_save_ref_0 (;4;) (type 9) (param externref) (result i32)
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
      ref.null extern
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
  (func $__rewind_save_i32_3 (;5;) (type 5) (param i32 i32 i32 i32) (result i32)
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
  (func $__rewind_frame_pop (;8;) (type 3) (param i32) (result i32)
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
  (func $__rewind_save_f64_1 (;11;) (type 8) (param i32 f64) (result i32)
    local.get 0
    local.get 1
    f64.store
    local.get 0
    i32.const 8
    i32.add
  )
  (func $__asyncify_save_stack_overflow (;12;) (type 0)
    i32.const 3
    global.set $__asyncify_state
    unreachable
  )
  (func $asyncify_get_state (;13;) (type 1) (result i32)
    global.get $__asyncify_state
  )
  (@producers
    (processed-by "walrus" "0.28.0")
  )
)

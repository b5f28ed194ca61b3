(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (param i32)))
  (type (;3;) (func (param i32) (result i32)))
  (type (;4;) (func (param i32) (result i32 i32 i32)))
  (type (;5;) (func (param i32) (result i32 i32 i32 i32)))
  (type (;6;) (func (param i32) (result i32 i64)))
  (type (;7;) (func (param i32 i32) (result i32)))
  (type (;8;) (func (param i32 i32 i32) (result i32)))
  (type (;9;) (func (param i32 i32 i32 i32) (result i32)))
  (type (;10;) (func (param i32 i64) (result i32)))
  (import "env" "log" (func $log (;0;) (type 2)))
  (import "rewind" "out_of_fuel" (func (;1;) (type 0)))
  (memory (;0;) 1)
  (global $__rewind_fuel (;0;) (mut i64) i64.const 0)
  (global $__asyncify_state (;1;) (mut i32) i32.const 0)
  (global $__asyncify_data (;2;) (mut i32) i32.const 0)
  (global $__rewind_fuel_parked (;3;) (mut i64) i64.const 0)
  (export "count" (func $count))
  (export "search" (func $search))
  (export "mix" (func $mix))
  (export "calls" (func $calls))
  (export "__rewind_fuel" (global $__rewind_fuel))
  (export "asyncify_start_unwind" (func $asyncify_start_unwind))
  (export "asyncify_stop_unwind" (func $asyncify_stop_unwind))
  (export "asyncify_start_rewind" (func $asyncify_start_rewind))
  (export "asyncify_stop_rewind" (func $asyncify_stop_rewind))
  (export "asyncify_get_state" (func $asyncify_get_state))
  (func $search (;2;) (type 7) (param i32 i32) (result i32)
    (local i64)
    global.get $__rewind_fuel
    local.set 2
    block ;; label = @1
      block (result i32) ;; label = @2
        block (result i32) ;; label = @3
          block ;; label = @4
            global.get $__asyncify_state
            if ;; label = @5
              call $__rewind_park_fuel
              i32.const 16
              call $__rewind_pop_i64_1
              local.set 2
              call $__rewind_restore_i32_2
              local.set 1
              local.set 0
              drop
              br 1 (;@4;)
            end
            local.get 2
            i64.const 1
            i64.sub
            local.set 2
          end
          block ;; label = @4
            block ;; label = @5
              global.get $__asyncify_state
              br_if 0 (;@5;)
              local.get 2
              i64.const 1
              i64.sub
              local.set 2
            end
            block ;; label = @5
              loop ;; label = @6
                local.get 2
                i64.const 8
                i64.sub
                local.tee 2
                i64.const -6
                i64.lt_s
                if ;; label = @7
                  block ;; label = @8
                    global.get $__asyncify_state
                    br_if 0 (;@8;)
                    local.get 2
                    i64.const 6
                    i64.add
                    global.set $__rewind_fuel
                  end
                  call 1
                  global.get $__asyncify_state
                  br_if 6 (;@1;)
                  global.get $__rewind_fuel
                  i64.const 6
                  i64.sub
                  local.set 2
                end
                block ;; label = @7
                  block ;; label = @8
                    block ;; label = @9
                      local.get 0
                      local.get 1
                      i32.ge_u
                      if ;; label = @10
                        local.get 2
                        i64.const 6
                        i64.add
                        local.set 2
                        br 6 (;@4;)
                      end
                      local.get 2
                      i64.const 3
                      i64.sub
                      local.set 2
                      local.get 0
                      i32.load8_u
                      i32.eqz
                      if ;; label = @10
                        local.get 2
                        i64.const 1
                        i64.sub
                        local.set 2
                        local.get 0
                        local.get 2
                        i64.const 6
                        i64.add
                        local.tee 2
                        global.set $__rewind_fuel
                        return
                      end
                      local.get 2
                      i64.const 2
                      i64.sub
                      local.set 2
                      local.get 0
                      i32.const 1
                      i32.add
                      local.set 0
                      br 0 (;@9;)
                    end
                    local.get 0
                    local.get 1
                    i32.ge_u
                    if ;; label = @9
                      local.get 2
                      i64.const 4
                      i64.add
                      local.set 2
                      br 5 (;@4;)
                    end
                    local.get 2
                    i64.const 3
                    i64.sub
                    local.set 2
                    local.get 0
                    i32.load8_u
                    i32.eqz
                    if ;; label = @9
                      local.get 2
                      i64.const 1
                      i64.sub
                      local.set 2
                      local.get 0
                      local.get 2
                      i64.const 4
                      i64.add
                      local.tee 2
                      global.set $__rewind_fuel
                      return
                    end
                    local.get 2
                    i64.const 2
                    i64.sub
                    local.set 2
                    local.get 0
                    i32.const 1
                    i32.add
                    local.set 0
                    br 0 (;@8;)
                  end
                  local.get 0
                  local.get 1
                  i32.ge_u
                  if ;; label = @8
                    local.get 2
                    i64.const 2
                    i64.add
                    local.set 2
                    br 4 (;@4;)
                  end
                  local.get 2
                  i64.const 3
                  i64.sub
                  local.set 2
                  local.get 0
                  i32.load8_u
                  i32.eqz
                  if ;; label = @8
                    local.get 2
                    i64.const 1
                    i64.sub
                    local.set 2
                    local.get 0
                    local.get 2
                    i64.const 2
                    i64.add
                    local.tee 2
                    global.set $__rewind_fuel
                    return
                  end
                  local.get 2
                  i64.const 2
                  i64.sub
                  local.set 2
                  local.get 0
                  i32.const 1
                  i32.add
                  local.set 0
                  br 0 (;@7;)
                end
                local.get 0
                local.get 1
                i32.ge_u
                br_if 2 (;@4;)
                local.get 2
                i64.const 3
                i64.sub
                local.set 2
                local.get 0
                i32.load8_u
                i32.eqz
                if ;; label = @7
                  local.get 2
                  i64.const 1
                  i64.sub
                  local.set 2
                  local.get 0
                  local.get 2
                  global.set $__rewind_fuel
                  return
                end
                local.get 2
                i64.const 2
                i64.sub
                local.set 2
                local.get 0
                i32.const 1
                i32.add
                local.set 0
                br 0 (;@6;)
              end
            end
          end
          i32.const -1
          local.get 2
          global.set $__rewind_fuel
        end
      end
      return
    end
    i32.const 16
    local.get 2
    call $__rewind_push_i64_1
    local.get 0
    local.get 1
    call $__rewind_save_i32_2
    drop
    i32.const 0
  )
  (func $mix (;3;) (type 3) (param i32) (result i32)
    (local i32 i32 i64)
    global.get $__rewind_fuel
    local.set 3
    block ;; label = @1
      block (result i32) ;; label = @2
        block (result i32) ;; label = @3
          block ;; label = @4
            global.get $__asyncify_state
            if ;; label = @5
              call $__rewind_park_fuel
              i32.const 20
              call $__rewind_pop_i64_1
              local.set 3
              call $__rewind_restore_i32_3
              local.set 2
              local.set 1
              local.set 0
              drop
              br 1 (;@4;)
            end
            local.get 3
            i64.const 1
            i64.sub
            local.set 3
          end
          block ;; label = @4
            block ;; label = @5
              global.get $__asyncify_state
              br_if 0 (;@5;)
              local.get 3
              i64.const 1
              i64.sub
              local.set 3
            end
            block ;; label = @5
              block ;; label = @6
                block ;; label = @7
                  block ;; label = @8
                    loop ;; label = @9
                      local.get 3
                      i64.const 8
                      i64.sub
                      local.tee 3
                      i64.const -6
                      i64.lt_s
                      if ;; label = @10
                        block ;; label = @11
                          global.get $__asyncify_state
                          br_if 0 (;@11;)
                          local.get 3
                          i64.const 6
                          i64.add
                          global.set $__rewind_fuel
                        end
                        call 1
                        global.get $__asyncify_state
                        br_if 9 (;@1;)
                        global.get $__rewind_fuel
                        i64.const 6
                        i64.sub
                        local.set 3
                      end
                      block ;; label = @10
                        local.get 2
                        i32.const 99
                        i32.eq
                        if ;; label = @11
                          local.get 3
                          i64.const 6
                          i64.add
                          local.set 3
                          br 7 (;@4;)
                        end
                        local.get 3
                        i64.const 4
                        i64.sub
                        local.set 3
                        local.get 2
                        local.get 1
                        i32.add
                        local.set 2
                        local.get 1
                        i32.const 1
                        i32.add
                        local.tee 1
                        local.get 0
                        i32.lt_u
                        i32.eqz
                        br_if 2 (;@8;)
                      end
                      block ;; label = @10
                        local.get 2
                        i32.const 99
                        i32.eq
                        if ;; label = @11
                          local.get 3
                          i64.const 4
                          i64.add
                          local.set 3
                          br 7 (;@4;)
                        end
                        local.get 3
                        i64.const 4
                        i64.sub
                        local.set 3
                        local.get 2
                        local.get 1
                        i32.add
                        local.set 2
                        local.get 1
                        i32.const 1
                        i32.add
                        local.tee 1
                        local.get 0
                        i32.lt_u
                        i32.eqz
                        br_if 3 (;@7;)
                      end
                      block ;; label = @10
                        local.get 2
                        i32.const 99
                        i32.eq
                        if ;; label = @11
                          local.get 3
                          i64.const 2
                          i64.add
                          local.set 3
                          br 7 (;@4;)
                        end
                        local.get 3
                        i64.const 4
                        i64.sub
                        local.set 3
                        local.get 2
                        local.get 1
                        i32.add
                        local.set 2
                        local.get 1
                        i32.const 1
                        i32.add
                        local.tee 1
                        local.get 0
                        i32.lt_u
                        i32.eqz
                        br_if 4 (;@6;)
                      end
                      local.get 2
                      i32.const 99
                      i32.eq
                      br_if 5 (;@4;)
                      local.get 3
                      i64.const 4
                      i64.sub
                      local.set 3
                      local.get 2
                      local.get 1
                      i32.add
                      local.set 2
                      local.get 1
                      i32.const 1
                      i32.add
                      local.tee 1
                      local.get 0
                      i32.lt_u
                      br_if 0 (;@9;)
                    end
                    br 3 (;@5;)
                  end
                  local.get 3
                  i64.const 6
                  i64.add
                  local.set 3
                  br 2 (;@5;)
                end
                local.get 3
                i64.const 4
                i64.add
                local.set 3
                br 1 (;@5;)
              end
              local.get 3
              i64.const 2
              i64.add
              local.set 3
            end
          end
          local.get 2
          local.get 3
          global.set $__rewind_fuel
        end
      end
      return
    end
    i32.const 20
    local.get 3
    call $__rewind_push_i64_1
    local.get 0
    local.get 1
    local.get 2
    call $__rewind_save_i32_3
    drop
    i32.const 0
  )
  (func $count (;4;) (type 3) (param i32) (result i32)
    (local i32 i64)
    global.get $__rewind_fuel
    local.set 2
    block ;; label = @1
      block (result i32) ;; label = @2
        block (result i32) ;; label = @3
          block ;; label = @4
            global.get $__asyncify_state
            if ;; label = @5
              call $__rewind_park_fuel
              i32.const 16
              call $__rewind_pop_i64_1
              local.set 2
              call $__rewind_restore_i32_2
              local.set 1
              local.set 0
              drop
              br 1 (;@4;)
            end
            local.get 2
            i64.const 1
            i64.sub
            local.set 2
          end
          block (result i32) ;; label = @4
            loop (result i32) ;; label = @5
              local.get 2
              i64.const 12
              i64.sub
              local.tee 2
              i64.const -9
              i64.lt_s
              if ;; label = @6
                block ;; label = @7
                  global.get $__asyncify_state
                  br_if 0 (;@7;)
                  local.get 2
                  i64.const 9
                  i64.add
                  global.set $__rewind_fuel
                end
                call 1
                global.get $__asyncify_state
                br_if 5 (;@1;)
                global.get $__rewind_fuel
                i64.const 9
                i64.sub
                local.set 2
              end
              block ;; label = @6
                block ;; label = @7
                  block ;; label = @8
                    local.get 1
                    i32.const 1
                    i32.add
                    local.tee 1
                    local.get 1
                    local.get 0
                    i32.lt_u
                    br_if 0 (;@8;)
                    local.get 2
                    i64.const 9
                    i64.add
                    local.set 2
                    br 4 (;@4;)
                  end
                  local.get 1
                  i32.const 1
                  i32.add
                  local.tee 1
                  local.get 1
                  local.get 0
                  i32.lt_u
                  br_if 0 (;@7;)
                  local.get 2
                  i64.const 6
                  i64.add
                  local.set 2
                  br 3 (;@4;)
                end
                local.get 1
                i32.const 1
                i32.add
                local.tee 1
                local.get 1
                local.get 0
                i32.lt_u
                br_if 0 (;@6;)
                local.get 2
                i64.const 3
                i64.add
                local.set 2
                br 2 (;@4;)
              end
              local.get 1
              i32.const 1
              i32.add
              local.tee 1
              local.get 1
              local.get 0
              i32.lt_u
              br_if 0 (;@5;)
            end
          end
          local.get 2
          global.set $__rewind_fuel
        end
      end
      return
    end
    i32.const 16
    local.get 2
    call $__rewind_push_i64_1
    local.get 0
    local.get 1
    call $__rewind_save_i32_2
    drop
    i32.const 0
  )
  (func $calls (;5;) (type 2) (param i32)
    (local i32 i64)
    global.get $__rewind_fuel
    local.set 2
    block (result i32) ;; label = @1
      block ;; label = @2
        block ;; label = @3
          block ;; label = @4
            block ;; label = @5
              global.get $__asyncify_state
              if ;; label = @6
                call $__rewind_park_fuel
                i32.const 16
                call $__rewind_pop_i64_1
                local.set 2
                call $__rewind_restore_i32_2
                local.set 1
                local.set 0
                drop
                local.get 1
                br_table 1 (;@5;) 2 (;@4;) 1 (;@5;)
              end
            end
            local.get 2
            i64.const 1
            i64.sub
            local.tee 2
            i64.const 0
            i64.lt_s
            if ;; label = @5
              block ;; label = @6
                global.get $__asyncify_state
                br_if 0 (;@6;)
                local.get 2
                global.set $__rewind_fuel
              end
              call 1
              i32.const 0
              global.get $__asyncify_state
              br_if 4 (;@1;)
              drop
              global.get $__rewind_fuel
              local.set 2
            end
          end
          loop ;; label = @4
            local.get 2
            i64.const 7
            i64.sub
            local.tee 2
            i64.const 0
            i64.lt_s
            if ;; label = @5
              block ;; label = @6
                global.get $__asyncify_state
                br_if 0 (;@6;)
                local.get 2
                global.set $__rewind_fuel
              end
              call 1
              i32.const 1
              global.get $__asyncify_state
              br_if 4 (;@1;)
              drop
              global.get $__rewind_fuel
              local.set 2
            end
            local.get 0
            local.get 2
            global.set $__rewind_fuel
            call $log
            global.get $__rewind_fuel
            local.set 2
            local.get 0
            i32.const 1
            i32.sub
            local.tee 0
            br_if 0 (;@4;)
          end
          local.get 2
          global.set $__rewind_fuel
        end
      end
      return
    end
    local.set 1
    i32.const 16
    local.get 2
    call $__rewind_push_i64_1
    local.get 0
    local.get 1
    call $__rewind_save_i32_2
    drop
  )
  (func $__rewind_push_i64_1 (;6;) (type 10) (param i32 i64) (result i32)
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
  (func $__rewind_pop_i64_1 (;7;) (type 6) (param i32) (result i32 i64)
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
  (func $asyncify_stop_rewind (;8;) (type 0)
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
  (func $__rewind_save_i32_3 (;9;) (type 9) (param i32 i32 i32 i32) (result i32)
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
  (func $asyncify_start_rewind (;10;) (type 2) (param i32)
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
  (func $asyncify_start_unwind (;11;) (type 2) (param i32)
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
  (func $__rewind_save_i32_2 (;12;) (type 8) (param i32 i32 i32) (result i32)
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
  (func $__rewind_restore_i32_3 (;13;) (type 5) (param i32) (result i32 i32 i32 i32)
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
  (func $asyncify_stop_unwind (;14;) (type 0)
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
  (func $__rewind_park_fuel (;15;) (type 0)
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
  (func $__rewind_restore_i32_2 (;16;) (type 4) (param i32) (result i32 i32 i32)
    local.get 0
    i32.const 8
    i32.add
    local.get 0
    i32.load
    local.get 0
    i32.load offset=4
  )
  (func $__asyncify_save_stack_overflow (;17;) (type 0)
    i32.const 3
    global.set $__asyncify_state
    unreachable
  )
  (func $asyncify_get_state (;18;) (type 1) (result i32)
    global.get $__asyncify_state
  )
  (@producers
    (processed-by "walrus" "0.28.0")
  )
)

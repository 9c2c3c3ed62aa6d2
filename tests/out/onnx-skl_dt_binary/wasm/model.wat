(module $timber_model
  (type (;0;) (func (param i32 i32)))
  (type (;1;) (func (param i32 i32 i32) (result i32)))
  (memory (;0;) 1)
  (global $io_base (;0;) i32 i32.const 640)
  (global $n_features (;1;) i32 i32.const 5)
  (global $n_outputs (;2;) i32 i32.const 2)
  (export "memory" (memory 0))
  (export "predict" (func $predict))
  (export "io_base" (global $io_base))
  (export "n_features" (global $n_features))
  (export "n_outputs" (global $n_outputs))
  (func $infer_row (;0;) (type 0) (param $in i32) (param $out i32)
    (local $t i32) (local $steps i32) (local $word i32) (local $g i32) (local $n i32) (local $v i32) (local $best i32) (local $lane0 i32) (local $lane1 i32) (local $lane2 i32) (local $lane3 i32) (local $x f32) (local $m f32) (local $wmax f32) (local $s f32) (local $acc f32) (local $wsum f64)
    i32.const 0
    local.set $g
    loop ;; label = @1
      local.get $g
      f32.const 0x0p+0 (;=0;)
      f32.store offset=624
      local.get $g
      i32.const 4
      i32.add
      local.tee $g
      i32.const 8
      i32.ne
      br_if 0 (;@1;)
    end
    i32.const 8
    local.set $t
    loop ;; label = @1
      local.get $t
      i32.load offset=4
      local.set $lane0
      local.get $t
      i32.load offset=8
      local.set $lane1
      local.get $t
      i32.load offset=12
      local.set $lane2
      local.get $t
      i32.load offset=16
      local.set $lane3
      local.get $t
      i32.load
      local.set $steps
      block ;; label = @2
        loop ;; label = @3
          local.get $steps
          i32.eqz
          br_if 1 (;@2;)
          local.get $lane0
          i32.load offset=48
          local.set $word
          local.get $in
          local.get $word
          i32.const 536870911
          i32.and
          i32.const 2
          i32.shl
          i32.add
          f32.load
          local.set $x
          local.get $lane0
          i32.load offset=52
          local.get $lane0
          i32.load offset=56
          local.get $word
          i32.const 30
          i32.shr_u
          i32.const 1
          i32.and
          local.get $x
          local.get $lane0
          f32.load offset=44
          f32.le
          local.get $x
          local.get $x
          f32.ne
          select
          select
          local.set $lane0
          local.get $lane1
          i32.load offset=48
          local.set $word
          local.get $in
          local.get $word
          i32.const 536870911
          i32.and
          i32.const 2
          i32.shl
          i32.add
          f32.load
          local.set $x
          local.get $lane1
          i32.load offset=52
          local.get $lane1
          i32.load offset=56
          local.get $word
          i32.const 30
          i32.shr_u
          i32.const 1
          i32.and
          local.get $x
          local.get $lane1
          f32.load offset=44
          f32.le
          local.get $x
          local.get $x
          f32.ne
          select
          select
          local.set $lane1
          local.get $lane2
          i32.load offset=48
          local.set $word
          local.get $in
          local.get $word
          i32.const 536870911
          i32.and
          i32.const 2
          i32.shl
          i32.add
          f32.load
          local.set $x
          local.get $lane2
          i32.load offset=52
          local.get $lane2
          i32.load offset=56
          local.get $word
          i32.const 30
          i32.shr_u
          i32.const 1
          i32.and
          local.get $x
          local.get $lane2
          f32.load offset=44
          f32.le
          local.get $x
          local.get $x
          f32.ne
          select
          select
          local.set $lane2
          local.get $lane3
          i32.load offset=48
          local.set $word
          local.get $in
          local.get $word
          i32.const 536870911
          i32.and
          i32.const 2
          i32.shl
          i32.add
          f32.load
          local.set $x
          local.get $lane3
          i32.load offset=52
          local.get $lane3
          i32.load offset=56
          local.get $word
          i32.const 30
          i32.shr_u
          i32.const 1
          i32.and
          local.get $x
          local.get $lane3
          f32.load offset=44
          f32.le
          local.get $x
          local.get $x
          f32.ne
          select
          select
          local.set $lane3
          local.get $steps
          i32.const 1
          i32.sub
          local.set $steps
          br 0 (;@3;)
        end
      end
      local.get $t
      i32.load offset=20
      local.set $g
      local.get $lane0
      i32.load offset=44
      local.tee $v
      i32.load offset=460
      local.set $n
      loop ;; label = @2
        local.get $v
        i32.const 4
        i32.add
        local.set $v
        local.get $g
        local.get $g
        f32.load offset=624
        local.get $v
        f32.load offset=460
        f32.add
        f32.store offset=624
        local.get $g
        i32.const 4
        i32.add
        local.set $g
        local.get $n
        i32.const 1
        i32.sub
        local.tee $n
        br_if 0 (;@2;)
      end
      local.get $t
      i32.load offset=24
      local.set $g
      local.get $lane1
      i32.load offset=44
      local.tee $v
      i32.load offset=460
      local.set $n
      loop ;; label = @2
        local.get $v
        i32.const 4
        i32.add
        local.set $v
        local.get $g
        local.get $g
        f32.load offset=624
        local.get $v
        f32.load offset=460
        f32.add
        f32.store offset=624
        local.get $g
        i32.const 4
        i32.add
        local.set $g
        local.get $n
        i32.const 1
        i32.sub
        local.tee $n
        br_if 0 (;@2;)
      end
      local.get $t
      i32.load offset=28
      local.set $g
      local.get $lane2
      i32.load offset=44
      local.tee $v
      i32.load offset=460
      local.set $n
      loop ;; label = @2
        local.get $v
        i32.const 4
        i32.add
        local.set $v
        local.get $g
        local.get $g
        f32.load offset=624
        local.get $v
        f32.load offset=460
        f32.add
        f32.store offset=624
        local.get $g
        i32.const 4
        i32.add
        local.set $g
        local.get $n
        i32.const 1
        i32.sub
        local.tee $n
        br_if 0 (;@2;)
      end
      local.get $t
      i32.load offset=32
      local.set $g
      local.get $lane3
      i32.load offset=44
      local.tee $v
      i32.load offset=460
      local.set $n
      loop ;; label = @2
        local.get $v
        i32.const 4
        i32.add
        local.set $v
        local.get $g
        local.get $g
        f32.load offset=624
        local.get $v
        f32.load offset=460
        f32.add
        f32.store offset=624
        local.get $g
        i32.const 4
        i32.add
        local.set $g
        local.get $n
        i32.const 1
        i32.sub
        local.tee $n
        br_if 0 (;@2;)
      end
      local.get $t
      i32.const 36
      i32.add
      local.tee $t
      i32.const 44
      i32.ne
      br_if 0 (;@1;)
    end
    i32.const 0
    local.set $g
    loop ;; label = @1
      local.get $g
      local.get $g
      f32.load offset=624
      local.get $g
      f32.load
      f32.add
      f32.store offset=624
      local.get $g
      i32.const 4
      i32.add
      local.tee $g
      i32.const 8
      i32.ne
      br_if 0 (;@1;)
    end
    i32.const 0
    local.set $g
    loop ;; label = @1
      local.get $out
      local.get $g
      i32.add
      local.get $g
      f32.load offset=624
      f32.store
      local.get $g
      i32.const 4
      i32.add
      local.tee $g
      i32.const 8
      i32.ne
      br_if 0 (;@1;)
    end
  )
  (func $predict (;1;) (type 1) (param $in i32) (param $n_rows i32) (param $out i32) (result i32)
    (local $p i32) (local $end i32) (local $x f32)
    local.get $in
    i32.const 640
    i32.lt_u
    local.get $in
    i64.extend_i32_u
    local.get $n_rows
    i64.extend_i32_u
    i64.const 20
    i64.mul
    i64.add
    memory.size
    i64.extend_i32_u
    i64.const 16
    i64.shl
    i64.gt_u
    i32.or
    if ;; label = @1
      i32.const 3
      return
    end
    local.get $out
    i32.const 640
    i32.lt_u
    local.get $out
    i64.extend_i32_u
    local.get $n_rows
    i64.extend_i32_u
    i64.const 8
    i64.mul
    i64.add
    memory.size
    i64.extend_i32_u
    i64.const 16
    i64.shl
    i64.gt_u
    i32.or
    if ;; label = @1
      i32.const 3
      return
    end
    block ;; label = @1
      loop ;; label = @2
        local.get $n_rows
        i32.eqz
        br_if 1 (;@1;)
        local.get $in
        local.get $out
        call $infer_row
        local.get $in
        i32.const 20
        i32.add
        local.set $in
        local.get $out
        i32.const 8
        i32.add
        local.set $out
        local.get $n_rows
        i32.const 1
        i32.sub
        local.set $n_rows
        br 0 (;@2;)
      end
    end
    i32.const 0
  )
  (data (;0;) (i32.const 0) "\00\00\80?\00\00\00\00\04\00\00\00\00\00\00\00\90\01\00\00\90\01\00\00\90\01\00\00\00\00\00\00\08\00\00\00\08\00\00\00\08\00\00\00\bf[I\be\00\00\00 \10\00\00\00\a0\00\00\00c\9aM\be\01\00\00  \00\00\00\90\00\00\00\a2\19\87\bf\00\00\00 0\00\00\00`\00\00\005\da\e9\bf\01\00\00 @\00\00\00P\00\00\00\00\00\00\00\00\00\00\00@\00\00\00@\00\00\00\0c\00\00\00\00\00\00\00P\00\00\00P\00\00\00\92\d8\8f\bf\01\00\00 p\00\00\00\80\00\00\00\18\00\00\00\00\00\00\00p\00\00\00p\00\00\00$\00\00\00\00\00\00\00\80\00\00\00\80\00\00\000\00\00\00\00\00\00\00\90\00\00\00\90\00\00\001\06A?\01\00\00 \b0\00\00\00 \01\00\00\00\00\00?\04\00\00 \c0\00\00\00\f0\00\00\00A1\84<\01\00\00 \d0\00\00\00\e0\00\00\00<\00\00\00\00\00\00\00\d0\00\00\00\d0\00\00\00H\00\00\00\00\00\00\00\e0\00\00\00\e0\00\00\00yW1@\03\00\00 \00\01\00\00\10\01\00\00T\00\00\00\00\00\00\00\00\01\00\00\00\01\00\00`\00\00\00\00\00\00\00\10\01\00\00\10\01\00\00\edr>?\00\00\00 0\01\00\00`\01\00\00d\95\f7\bf\02\00\00 @\01\00\00P\01\00\00l\00\00\00\00\00\00\00@\01\00\00@\01\00\00x\00\00\00\00\00\00\00P\01\00\00P\01\00\00#i\d6?\01\00\00 p\01\00\00\80\01\00\00\84\00\00\00\00\00\00\00p\01\00\00p\01\00\00\90\00\00\00\00\00\00\00\80\01\00\00\80\01\00\00\9c\00\00\00\00\00\00\00\90\01\00\00\90\01\00\00\02\00\00\00\00\00\00\bf\00\00\00?\02\00\00\00\00\00\00\80\00\00\00\00\02\00\00\00\00\00\80\bf\00\00\80?\02\00\00\00\cd\cc\0c\bf\cd\cc\0c?\02\00\00\00\00\00\00\80\00\00\00\00\02\00\00\00\e2\e1a\bf\e2\e1a?\02\00\00\00\ab\aa\aa\be\ab\aa\aa>\02\00\00\00cex\bfcex?\02\00\00\00\00\00\00\80\00\00\00\00\02\00\00\00\00\00\80\bf\00\00\80?\02\00\00\00\8c.\ba\bd\8c.\ba=\02\00\00\00\db\b6m\bf\db\b6m?\02\00\00\00\cd\ccL\be\cd\ccL>\01\00\00\00\00\00\00\80")
  (@custom "timber" (after data) "generator=timber 0.1.0\0amodel_sha256=d6b013238d2efe9d2dbffe61df3ca34dccadf22f989be3531d7c452e795e9e2a\0aobjective=ai.onnx.ml:TreeEnsembleClassifier:opset1:binary-one-minus-s\0anan_policy=missing\0a")
)

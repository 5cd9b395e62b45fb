;; PIL-exact bicubic passes (one output row each), WebAssembly SIMD: `vrow` (vertical) and
;; `hrow` (horizontal); and `trow`, the bytes of a row through the normalisation table to float32.
;; Assembled by scripts/build-wasm.mjs (wabt, a build-time tool kept outside the project) into
;; resample-wasm.ts (base64). Same integers as Pillow's ImagingResampleVertical_8bpc:
;;   sum = HALF + Σ_k src[(k)·stride + i] · w[k]   (int32, wrapping like C on the same values)
;;   dst[i] = clip8(sum >> 22)
;; vrow(src, stride, w, n, dst): src = byte offset of the first tap row, stride = row length in
;; bytes, w = byte offset of n int32 weights, dst = byte offset of the output row. Works on
;; 8 bytes at a time: reads up to 7 bytes past each row's end and writes up to 15 past dst's
;; (the caller leaves that slack).
(module
  (memory (export "memory") 1)
  (func (export "vrow") (param $src i32) (param $stride i32) (param $w i32) (param $n i32) (param $dst i32)
    (local $i i32) (local $k i32) (local $p i32) (local $wp i32)
    (local $a v128) (local $b v128) (local $x v128) (local $wv v128)
    (block $done
      (loop $columns
        (br_if $done (i32.ge_u (local.get $i) (local.get $stride)))
        (local.set $a (i32x4.splat (i32.const 2097152)))
        (local.set $b (local.get $a))
        (local.set $p (i32.add (local.get $src) (local.get $i)))
        (local.set $wp (local.get $w))
        (local.set $k (local.get $n))
        (block $taps_done
          (loop $taps
            (br_if $taps_done (i32.eqz (local.get $k)))
            (local.set $wv (i32x4.splat (i32.load (local.get $wp))))
            (local.set $x (v128.load8x8_u (local.get $p)))
            (local.set $a (i32x4.add (local.get $a) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $x)) (local.get $wv))))
            (local.set $b (i32x4.add (local.get $b) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $x)) (local.get $wv))))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $wp (i32.add (local.get $wp) (i32.const 4)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $taps)))
        ;; clip8: >> 22 (arithmetic), then saturating narrows to int16 and to [0, 255].
        (local.set $x (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a) (i32.const 22)) (i32x4.shr_s (local.get $b) (i32.const 22))))
        (v128.store (i32.add (local.get $dst) (local.get $i)) (i8x16.narrow_i16x8_u (local.get $x) (local.get $x)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $columns))))
  ;; hrow(src, cols, bounds, weights, ksize, dst): Pillow's ImagingResampleHorizontal_8bpc for
  ;; one row of interleaved RGB at src: output pixel x (of cols) = clip8(HALF + Σ_k px[xmin+k]·w),
  ;; bounds = int32 pairs (xmin, count) per output pixel, weights = ksize int32 per output pixel.
  ;; The three channels go in three lanes of one i32x4. Reads up to 5 bytes past the last input
  ;; pixel, writes 1 byte past dst's last pixel (the caller leaves that slack).
  (func (export "hrow") (param $src i32) (param $cols i32) (param $bounds i32) (param $weights i32) (param $ksize i32) (param $dst i32)
    (local $x i32) (local $k i32) (local $p i32) (local $wp i32) (local $a v128) (local $v v128)
    (block $done
      (loop $pixels
        (br_if $done (i32.ge_u (local.get $x) (local.get $cols)))
        (local.set $a (i32x4.splat (i32.const 2097152)))
        (local.set $p (i32.add (local.get $src) (i32.mul (i32.load (local.get $bounds)) (i32.const 3))))
        (local.set $k (i32.load offset=4 (local.get $bounds)))
        (local.set $wp (local.get $weights))
        (block $taps_done
          (loop $taps
            (br_if $taps_done (i32.eqz (local.get $k)))
            (local.set $a (i32x4.add (local.get $a)
              (i32x4.mul (i32x4.extend_low_i16x8_u (v128.load8x8_u (local.get $p))) (i32x4.splat (i32.load (local.get $wp))))))
            (local.set $p (i32.add (local.get $p) (i32.const 3)))
            (local.set $wp (i32.add (local.get $wp) (i32.const 4)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $taps)))
        (local.set $v (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a) (i32.const 22)) (i32x4.shr_s (local.get $a) (i32.const 22))))
        (v128.store32_lane 0 (local.get $dst) (i8x16.narrow_i16x8_u (local.get $v) (local.get $v)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 3)))
        (local.set $bounds (i32.add (local.get $bounds) (i32.const 8)))
        (local.set $weights (i32.add (local.get $weights) (i32.shl (local.get $ksize) (i32.const 2))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $pixels))))
;; trow(src, n, table, dst, pix, chan): n interleaved RGB pixels (bytes) at src through the
  ;; normalisation table at `table` (768 float32: 256 per channel) into float32: channel c of
  ;; pixel i goes to dst + i·pix + c·chan (chw: pix 4, chan = plane·4; hwc: pix 12, chan 4).
  ;; A lookup, not arithmetic: the table holds HuggingFace's float32 values exactly.
  (func (export "trow") (param $src i32) (param $n i32) (param $table i32) (param $dst i32) (param $pix i32) (param $chan i32)
    (local $end i32) (local $d1 i32) (local $d2 i32)
    (local.set $end (i32.add (local.get $src) (i32.mul (local.get $n) (i32.const 3))))
    (local.set $d1 (i32.add (local.get $dst) (local.get $chan)))
    (local.set $d2 (i32.add (local.get $d1) (local.get $chan)))
    (block $done
      (loop $pixels
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (f32.store (local.get $dst) (f32.load (i32.add (local.get $table) (i32.shl (i32.load8_u (local.get $src)) (i32.const 2)))))
        (f32.store (local.get $d1) (f32.load offset=1024 (i32.add (local.get $table) (i32.shl (i32.load8_u offset=1 (local.get $src)) (i32.const 2)))))
        (f32.store (local.get $d2) (f32.load offset=2048 (i32.add (local.get $table) (i32.shl (i32.load8_u offset=2 (local.get $src)) (i32.const 2)))))
        (local.set $src (i32.add (local.get $src) (i32.const 3)))
        (local.set $dst (i32.add (local.get $dst) (local.get $pix)))
        (local.set $d1 (i32.add (local.get $d1) (local.get $pix)))
        (local.set $d2 (i32.add (local.get $d2) (local.get $pix)))
        (br $pixels))))
)

// out[i] = x[i] + y[i] for i < n, 1024 elements per program: the README's
// first kernel as add_kernel.trace(x, y, out, n, BLOCK=1024) prints it
// (n not divisible by 16, so the kernel promises nothing about it).
func.func @add_kernel(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %y: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %out: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %n: i32) attributes {kite.kernel} {
  %pid = kite.program_id x : i32
  %c1024 = arith.constant 1024 : i32
  %start = arith.muli %pid, %c1024 : i32
  %r = kite.make_range 0 to 1024 : tensor<1024xi32>
  %s = kite.splat %start : i32 -> tensor<1024xi32>
  %off = arith.addi %s, %r : tensor<1024xi32>
  %ns = kite.splat %n : i32 -> tensor<1024xi32>
  %mask = arith.cmpi slt, %off, %ns : tensor<1024xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %xp = kite.addptr %xs, %off : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  %a = kite.load %xp, %mask : tensor<1024x!kite.ptr<f32>>
  %ys = kite.splat %y : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %yp = kite.addptr %ys, %off : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  %b = kite.load %yp, %mask : tensor<1024x!kite.ptr<f32>>
  %sum = arith.addf %a, %b : tensor<1024xf32>
  %os = kite.splat %out : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %op = kite.addptr %os, %off : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  kite.store %op, %sum, %mask : tensor<1024x!kite.ptr<f32>>
  return
}

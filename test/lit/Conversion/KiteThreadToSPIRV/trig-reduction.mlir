// f32 sin and cos reduce their argument exactly (2/pi from a table of words,
// i64 products) instead of GLSL's Sin/Cos, with the fraction times pi/2 in f64
// when the device has it and f32 otherwise.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv="float64" | FileCheck %s
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv | FileCheck %s --check-prefix=F32

// CHECK-LABEL: spirv.module @sine
// CHECK-NOT: spirv.GL.Sin
// CHECK-DAG: spirv.Constant -1560706194 : i32
// CHECK-DAG: spirv.Constant -28220501 : i32
// CHECK: spirv.IMul %{{.*}} : i64
// CHECK: spirv.ConvertSToF %{{.*}} {no_contraction} : i64 to f64
// CHECK: spirv.FConvert %{{.*}} {no_contraction} : f64 to f32
// F32-LABEL: spirv.module @sine
// F32-NOT: f64
// F32: spirv.ConvertSToF %{{.*}} {no_contraction} : i64 to f32
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @sine() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %x = kitethread.load %p align 4 : i32
    %f = arith.bitcast %x : i32 to f32
    %s = math.sin %f : f32
    %r = arith.bitcast %s : f32 to i32
    kitethread.store %p, %r align 4 : i32
    return
  }
}

// -----

// Vectors too.
// CHECK-LABEL: spirv.module @cosine
// CHECK-NOT: spirv.GL.Cos
// CHECK: spirv.IMul %{{.*}} : vector<4xi64>
// F32-LABEL: spirv.module @cosine
// F32-NOT: spirv.GL.Cos
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @cosine() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %x = kitethread.load %p align 16 : vector<4xf32>
    %c = math.cos %x : vector<4xf32>
    kitethread.store %p, %c align 16 : vector<4xf32>
    return
  }
}

// -----

// f32 atan is a series in f64 where the device has it (rounded once), and
// MLIR's f32 polynomial otherwise.
// CHECK-LABEL: spirv.module @arctangent
// CHECK: spirv.FConvert %{{.*}} {no_contraction} : f32 to f64
// CHECK: spirv.FDiv %{{.*}} {no_contraction} : f64
// CHECK: spirv.FConvert %{{.*}} {no_contraction} : f64 to f32
// F32-LABEL: spirv.module @arctangent
// F32-NOT: f64
// F32: spirv.FMul
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @arctangent() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %x = kitethread.load %p align 4 : f32
    %a = math.atan %x : f32
    kitethread.store %p, %a align 4 : f32
    return
  }
}

#ifndef KITE_BACKENDS_SPIRV_EMITTER_PASSES_TD
#define KITE_BACKENDS_SPIRV_EMITTER_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKiteThreadToSPIRV
    : Pass<"convert-kitethread-to-spirv", "::mlir::ModuleOp"> {
  let summary = "Thread-level IR to a Vulkan compute spirv.module";
  let description = [{
    Turns a module of thread-level IR (one `func.func` marked `kite.kernel`
    in `arith`, `math`, `scf`, `gpu`, `vector`, workgroup `memref` and
    `kitethread`) into a `spirv.module PhysicalStorageBuffer64 GLSL450` for
    Vulkan 1.2 (SPIR-V 1.5). The kernel becomes a GLCompute entry point with
    `LocalSize = kitethread.num-threads`; launch arguments are read from a
    push-constant block (docs/spirv-emitter.md has the ABI). Types the
    target does not enable are reported, with the Vulkan feature they need.
  }];
  let options = [
    Option<"subgroupSize", "subgroup-size", "unsigned", "32",
           "threads per subgroup; gpu.shuffle widths must equal it">,
    Option<"int8", "int8", "bool", "false",
           "i8 is available (shaderInt8, storageBuffer8BitAccess)">,
    Option<"int16", "int16", "bool", "false",
           "i16 is available (shaderInt16, storageBuffer16BitAccess)">,
    Option<"int64", "int64", "bool", "true",
           "i64 is available (shaderInt64, shaderBufferInt64Atomics); "
           "launch arguments need it">,
    Option<"float16", "float16", "bool", "false",
           "f16 is available (shaderFloat16, storageBuffer16BitAccess)">,
    Option<"float64", "float64", "bool", "false",
           "f64 is available (shaderFloat64)">,
    Option<"atomicFloatAdd", "atomic-float-add", "bool", "false",
           "f32 atomic add in hardware (VK_EXT_shader_atomic_float, "
           "shaderBufferFloat32AtomicAdd); otherwise a CAS loop">,
    Option<"signedZeroInfNanPreserveWidths",
           "signed-zero-inf-nan-preserve-widths", "unsigned", "0",
           "The float widths (16 | 32 | 64) for which the module asks the "
           "driver to keep signed zeros, infinities and NaNs "
           "(SignedZeroInfNanPreserve)">,
    Option<"maxComputeSharedMemorySize", "max-compute-shared-memory-size",
           "unsigned", "32768",
           "The device's maxComputeSharedMemorySize: the workgroup memory of "
           "one program, all its buffers together, may not exceed it (32768 "
           "for targets without a device)">,
  ];
  let dependentDialects = ["::mlir::spirv::SPIRVDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect"];
}

def LowerDebugOpsToBuffer
    : Pass<"kitespirv-debug-buffer", "::mlir::ModuleOp"> {
  let summary = "print and assert write records into a debug buffer";
  let description = [{
    Vulkan has no printf Kite can collect, so kitethread.print and
    kitethread.assert (before convert-kitethread-to-spirv) become stores
    into a buffer the runtime passes as one more launch argument (i64,
    appended to `kitethread.arg-types`) and reads after the launch
    (docs/spirv-emitter.md): each record is reserved with an atomic add on
    the buffer's cursor. The module's `kitespirv.debug-records` lists, per
    op, what the runtime needs to print or raise (kind, text, value types,
    file, line). A memory check's assert (`kitethread.memory_check`) writes
    no record but its op index into the header, by a masked store.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect"];
}

def UnrollForLoopBudget
    : Pass<"kitespirv-unroll-for-loop-budget", "::mlir::func::FuncOp"> {
  let summary = "unroll small innermost for loops for a driver's loop budget";
  let description = [{
    For drivers that stop a kernel's loops after a fixed number of
    back-edges (lavapipe: 65,535 in all), unrolls every innermost `scf.for`
    whose body has at most `max-body-ops` operations and whose trip count is
    unknown or at least `min-trips` by `factor` (with an epilogue loop for
    the remainder), so that it runs `factor` iterations per back-edge.
  }];
  let options = [
    Option<"factor", "factor", "unsigned", "8", "iterations per back-edge">,
    Option<"maxBodyOps", "max-body-ops", "unsigned", "64",
           "larger bodies are not copied">,
    Option<"minTrips", "min-trips", "unsigned", "1024",
           "loops of fewer known trips are left alone">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def CheckLoopIterationLimit
    : Pass<"kitespirv-check-loop-iteration-limit", "::mlir::func::FuncOp"> {
  let summary = "loops report when the driver's iteration budget stopped them";
  let description = [{
    For drivers that end a kernel's loops after a fixed number of
    iterations in total per invocation (lavapipe: 65,535 back-edges shared
    by every loop), runs before `kitespirv-debug-buffer`: unless the
    function's loops provably stay within `limit` (constant trip counts),
    every loop becomes an `scf.while` that also yields the negation of its
    last condition, and a `kitethread.assert` (marked
    `kitespirv.driver-limit`) after it fails where the loop did not end on
    its own condition, so the launch raises instead of returning the
    results of a loop cut short.
  }];
  let options = [
    Option<"limit", "limit", "uint32_t", "65535",
           "loop back-edges the driver allows per invocation (0: no limit)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::kitethread::KiteThreadDialect"];
}

#endif // KITE_BACKENDS_SPIRV_EMITTER_PASSES_TD

//===- KiteThreadToSPIRV.h - pieces of the SPIR-V emitter -------*- C++ -*-===//
//
// The pass (ConvertKiteThreadToSPIRV.cpp) checks the module against the
// target (TargetChecks.cpp), then converts it with the upstream pattern sets
// and the kitethread patterns declared here, one file per op family.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_SPIRV_EMITTER_KITETHREADTOSPIRV_H
#define KITE_BACKENDS_SPIRV_EMITTER_KITETHREADTOSPIRV_H

#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"
#include "mlir/Dialect/SPIRV/Transforms/SPIRVConversion.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::kitespirv {

/// What the Vulkan device offers beyond Vulkan 1.2's guarantees.
struct TargetFeatures {
  unsigned subgroupSize = 32;
  bool int8 = false, int16 = false, int64 = true;
  bool float16 = false, float64 = false;
  bool atomicFloatAdd = false;
  /// Float widths (16 | 32 | 64) with SignedZeroInfNanPreserve.
  unsigned signedZeroInfNanPreserveWidths = 0;
  /// Bytes of Workgroup memory one workgroup may use (all buffers).
  unsigned maxComputeSharedMemorySize = 32768;
};

/// SPIR-V 1.5 for Vulkan with the capabilities and extensions `features`
/// allow.
spirv::TargetEnvAttr getVulkanTargetEnv(MLIRContext *context,
                                        const TargetFeatures &features);

/// Lets workgroup buffers of one element width whose live ranges do not
/// overlap share one buffer, sized for the largest (ShareWorkgroupMemory.cpp):
/// each becomes a Workgroup variable, and Vulkan limits their sum.
void shareWorkgroupMemory(ModuleOp module);

/// Reports every type, vector shape and shuffle width in `module` that the
/// target cannot take, naming the Vulkan feature it needs, and workgroup
/// memory beyond the device's maxComputeSharedMemorySize.
LogicalResult checkTarget(ModuleOp module, const TargetFeatures &features);

/// Rewrites the math ops Vulkan's GLSL.std.450 set lacks or rounds too
/// loosely (f16 transcendentals in f32, erf, fma); f64 transcendentals are
/// reported (MathOpsToSPIRV.cpp).
LogicalResult prepareMath(ModuleOp module, const TargetFeatures &features);

/// Decorates NoContraction the SPIR-V instructions that
/// kitethread::rewriteLooseMath's formulas became (MathOpsToSPIRV.cpp), so
/// that drivers keep their roundings.
void markExactOps(Operation *spirvModule);

/// cmpi of an extended integer and a constant that fits its width, in that
/// width (NarrowComparisons.cpp: cheaper, and lavapipe miscompiles the wide
/// form).
void narrowComparisons(ModuleOp module);

/// `remsi` as an unsigned remainder of the magnitudes with the sign of the
/// dividend (SignedRemainder.cpp): MLIR's lowering got INT_MIN's sign wrong.
void remaindersBySign(ModuleOp module);

/// Float add, sub, div and rem with a literal +0.0 operand (and x - -0.0,
/// x % -0.0) as comparisons and selects of their IEEE results
/// (ZeroOperands.cpp): Mesa's NIR folded them as if there were no signed
/// zeros, infinities or NaNs.
void computeZeroOperandsExactly(ModuleOp module);

/// f32 sin and cos as an exact (Payne-Hanek) argument reduction and Taylor
/// polynomials, in f64 where the device has it (TrigReduction.cpp): GLSL's
/// were off by up to 2.0 near 1e9 on lavapipe.
void reduceTrigArguments(ModuleOp module, bool float64);

/// f32 exp/exp2 with subnormal results and log/log2 of subnormal arguments
/// scaled into the normal range (SubnormalMath.cpp): lavapipe flushed them.
void keepSubnormalsInExpAndLog(ModuleOp module);

/// f32 atan, asin and acos computed in f64 and rounded once
/// (InverseTrigInF64.cpp), for devices with float64: MLIR's f32 polynomials
/// were 36 (atan) and 6.8 (asin) ulp off on lavapipe.
void inverseTrigInFloat64(ModuleOp module);

/// math.exp2 -> spirv.GL.Exp2.
void populateMathOpPatterns(const SPIRVTypeConverter &converter,
                            RewritePatternSet &patterns);

/// The byte offset of each launch argument in the packed argument buffer
/// (natural alignment, in order), from `kitethread.arg-types` on the module
/// or else from the kernel's `kitethread.kernel_arg` ops. Reports gaps and
/// disagreeing types.
FailureOr<SmallVector<int64_t>> computeArgOffsets(ModuleOp module);

/// func.func `kite.kernel` -> spirv.func; program_id, num_programs and
/// kernel_arg -> builtins and push constants.
void populateKernelABIPatterns(const SPIRVTypeConverter &converter,
                               ArrayRef<int64_t> argOffsets,
                               RewritePatternSet &patterns);

/// kitethread.load/store -> spirv.Load/Store on PhysicalStorageBuffer.
void populateMemoryOpPatterns(const SPIRVTypeConverter &converter,
                              RewritePatternSet &patterns);

/// kitethread.atomic_rmw/atomic_cas -> spirv.Atomic* or CAS loops.
void populateAtomicOpPatterns(const SPIRVTypeConverter &converter,
                              bool atomicFloatAdd, RewritePatternSet &patterns);

/// kitethread.print/assert -> nothing, with a remark (no debug printf).
void populateDebugOpPatterns(const SPIRVTypeConverter &converter,
                             RewritePatternSet &patterns);

/// A PhysicalStorageBuffer pointer to `type` at the i64 address `addr`.
Value getGlobalPointer(OpBuilder &builder, Location loc, Type type,
                       Value addr);

/// The name of the push-constant variable (docs/spirv-emitter.md).
inline constexpr StringLiteral kPushConstantsName = "__kite_launch";

} // namespace mlir::kitespirv

#endif // KITE_BACKENDS_SPIRV_EMITTER_KITETHREADTOSPIRV_H

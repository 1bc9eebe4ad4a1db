//===- QuantizationUtils.h - scales and f32 for quantization ----*- C++ -*-===//
//
// What kite-quantize-dot and kite-expand-quantization both build: a block-
// scaled scale (or zero point) repeated to its data's shape, and a value in
// f32, the type in which both passes compute.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_TRANSFORMS_QUANTIZATIONUTILS_H
#define KITE_LIB_TRANSFORMS_QUANTIZATIONUTILS_H

#include "mlir/IR/Builders.h"

namespace mlir::kite {

/// `scale` (a scalar or a block-scaled tensor of the data's rank) repeated to
/// `shape`: a scalar is splat; a size-1 dimension broadcasts; a group of G
/// along a dimension becomes expand_dims, broadcast and reshape, which is the
/// repeat-interleave a kernel would write by hand. A scale of `shape` itself
/// is returned as it is.
Value expandToShape(OpBuilder &b, Location loc, Value scale,
                    ArrayRef<int64_t> shape);

/// `value` (a scalar or a tensor) as f32: integers by sitofp (uitofp with
/// `isUnsigned`), 8-bit floats by kite.fp_to_fp, f16/bf16 widened, f64
/// rounded (the arithmetic is f32's). An f32 value is returned as it is.
Value toF32(OpBuilder &b, Location loc, Value value, bool isUnsigned = false);

} // namespace mlir::kite

#endif // KITE_LIB_TRANSFORMS_QUANTIZATIONUTILS_H

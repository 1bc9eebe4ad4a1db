//===- WorkgroupStorage.h - elements in workgroup memory --------*- C++ -*-===//
//-*-===//
//
// The one rule for what an element of a tensor takes in workgroup (shared)
// memory: the layout stage sizes the software pipeliner's slots by it, the
// thread lowering allocates and accounts buffers by it.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_DIALECTS_KITEGPU_WORKGROUPSTORAGE_H
#define KITE_DIALECTS_KITEGPU_WORKGROUPSTORAGE_H

#include "mlir/IR/BuiltinTypes.h"

namespace mlir::kitegpu {

/// bf16 and the fp8 formats (f8E4M3FN, f8E5M2) are "emulated": f32
/// registers holding a value of the format, raw bits in memory
/// (lib/Conversion/KiteGPUToThreads/EmulatedFloats.cpp).
bool isEmulatedFloat(Type type);
/// The integer type of an emulated float's bits in memory (i16, i8).
IntegerType getEmulatedBitsType(Type type);

/// The type an element of a tensor of `element` has in workgroup memory:
/// its own width, not its register's (bf16 and fp8 as their bits), i1 as
/// i32 (SPIR-V has no 1-bit memory), pointers as their i64 addresses.
Type getWorkgroupStorageType(Type element);
/// Bytes of one such element.
int64_t getWorkgroupElementBytes(Type element);

} // namespace mlir::kitegpu

#endif // KITE_DIALECTS_KITEGPU_WORKGROUPSTORAGE_H

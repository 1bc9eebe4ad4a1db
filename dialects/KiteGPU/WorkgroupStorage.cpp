//===- WorkgroupStorage.cpp - how elements are kept in workgroup memory ---===//
#include "dialects/KiteGPU/WorkgroupStorage.h"

#include "dialects/Kite/Float8Formats.h"
#include "dialects/Kite/KiteDialect.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::kitegpu;

bool mlir::kitegpu::isEmulatedFloat(Type type) {
  return type.isBF16() || kite::getFloat8Format(type);
}

IntegerType mlir::kitegpu::getEmulatedBitsType(Type type) {
  return IntegerType::get(type.getContext(), type.getIntOrFloatBitWidth());
}

Type mlir::kitegpu::getWorkgroupStorageType(Type element) {
  if (element.isInteger(1))
    return IntegerType::get(element.getContext(), 32);
  if (isa<kite::PointerType>(element)) // an i64 address in registers
    return IntegerType::get(element.getContext(), 64);
  if (isEmulatedFloat(element))
    return getEmulatedBitsType(element);
  return element;
}

int64_t mlir::kitegpu::getWorkgroupElementBytes(Type element) {
  return std::max<int64_t>(
      1, getWorkgroupStorageType(element).getIntOrFloatBitWidth() / 8);
}

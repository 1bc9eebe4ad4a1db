//===- KiteMemoryOps.cpp - addptr, load, store, atomics -------------------===//
//
// Memory ops print only their pointer type, e.g.
//   %v = kite.load %p, %mask, %other : tensor<128x!kite.ptr<f32>>
// The types of values, masks and results follow from it. Atomics name their
// ordering where it is not the default acq_rel at gpu scope:
//   %o = kite.atomic_rmw xchg release cta, %p, %v : !kite.ptr<i32>
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::kite;

using UnresolvedOperands = SmallVector<OpAsmParser::UnresolvedOperand, 4>;

/// Parses `%a, %b, ... [tensor_map(%map, %c0, ...)] attr-dict : <ptr type>`
/// (the tensor map only where `boxRank` is given: loads and stores), checks
/// the operand count and resolves the operands to `types(ptrType)` (taken
/// in order), then the map (i64) and its box's coordinates (i32). Sets
/// `*boxRank` to the number of coordinates, -1 without a map.
static ParseResult
parsePtrOp(OpAsmParser &parser, OperationState &result, size_t minOperands,
           size_t maxOperands, StringRef operandNames,
           function_ref<SmallVector<Type>(Type ptrType)> types,
           size_t &numOperands, Type &ptrType, int32_t *boxRank = nullptr) {
  UnresolvedOperands operands, map;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseOperandList(operands))
    return failure();
  SMLoc mapLoc = parser.getCurrentLocation();
  if (boxRank && succeeded(parser.parseOptionalKeyword("tensor_map"))) {
    if (parser.parseOperandList(map, OpAsmParser::Delimiter::Paren))
      return failure();
    if (map.size() < 2)
      return parser.emitError(mapLoc) << "tensor_map needs a map and coordinates";
  }
  if (parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseColonType(ptrType))
    return failure();
  if (!getPointeeLike(ptrType))
    return parser.emitError(loc)
           << "expected a !kite.ptr or a tensor of them, got " << ptrType;
  numOperands = operands.size();
  if (numOperands < minOperands || numOperands > maxOperands)
    return parser.emitError(loc) << "expected operands " << operandNames;
  SmallVector<Type> operandTypes = types(ptrType);
  operandTypes.resize(numOperands);
  if (parser.resolveOperands(operands, operandTypes, loc, result.operands))
    return failure();
  if (!boxRank)
    return success();
  *boxRank = int32_t(map.size()) - 1;
  SmallVector<Type> mapTypes(map.size(), parser.getBuilder().getI32Type());
  if (!map.empty())
    mapTypes[0] = parser.getBuilder().getI64Type();
  return parser.resolveOperands(map, mapTypes, mapLoc, result.operands);
}

/// Prints `operands [tensor_map(%map, %c0, ...)] attr-dict : <ptr type>`.
static void printPtrOp(OpAsmPrinter &p, Operation *op, Value ptr,
                       ValueRange operands, Value map = Value(),
                       ValueRange box = {}) {
  p << ' ' << operands;
  if (map) {
    p << " tensor_map(" << map;
    for (Value coordinate : box)
      p << ", " << coordinate;
    p << ')';
  }
  p.printOptionalAttrDict(llvm::to_vector(op->getDiscardableAttrs()));
  p << " : " << ptr.getType();
}

static Type getMaskType(Type ptrType) {
  return getSameShape(ptrType, IntegerType::get(ptrType.getContext(), 1));
}

static bool isAllTrue(Value mask) {
  return mask && matchPattern(mask, m_One());
}
static bool isAllFalse(Value mask) {
  return mask && matchPattern(mask, m_Zero());
}

/// `value` must be shaped like `ptr` and hold its pointee type.
static LogicalResult verifyPointee(Operation *op, Type ptrType, StringRef name,
                                   Type valueType) {
  if (failed(verifySameShape(op, "ptr", ptrType, name, valueType)))
    return failure();
  Type pointee = getElementTypeOrSelf(getPointeeLike(ptrType));
  Type element = getElementTypeOrSelf(valueType);
  if (pointee == element)
    return success();
  return op->emitOpError() << name << " element type " << element
                           << " differs from the pointee type " << pointee;
}

static LogicalResult verifyMask(Operation *op, Type ptrType, Value mask) {
  return success(!mask || succeeded(verifySameShape(op, "ptr", ptrType, "mask",
                                                    mask.getType())));
}

/// A tensor map's box has one coordinate per dimension of `type`.
static LogicalResult verifyTensorMap(Operation *op, Value map, ValueRange box,
                                     Type type) {
  auto shaped = dyn_cast<RankedTensorType>(type);
  if (map && (!shaped || int64_t(box.size()) != shaped.getRank()))
    return op->emitOpError() << "a tensor map's box needs one coordinate per "
                                "dimension of the tensor";
  if (!map && !box.empty())
    return op->emitOpError("box coordinates without a tensor map");
  return success();
}

//===----------------------------------------------------------------------===//
// AddPtrOp
//===----------------------------------------------------------------------===//

LogicalResult AddPtrOp::verify() {
  return verifySameShape(*this, "ptr", getPtr().getType(), "offset",
                         getOffset().getType());
}

OpFoldResult AddPtrOp::fold(FoldAdaptor) {
  if (matchPattern(getOffset(), m_Zero()))
    return getPtr();
  return {};
}

//===----------------------------------------------------------------------===//
// LoadOp
//===----------------------------------------------------------------------===//

ParseResult LoadOp::parse(OpAsmParser &parser, OperationState &result) {
  bool isVolatile = succeeded(parser.parseOptionalKeyword("volatile"));
  size_t n;
  int32_t boxRank;
  Type ptrType;
  auto types = [](Type ptr) -> SmallVector<Type> {
    return {ptr, getMaskType(ptr), getPointeeLike(ptr)};
  };
  if (parsePtrOp(parser, result, 1, 3, "ptr[, mask[, other]]", types, n,
                 ptrType, &boxRank))
    return failure();
  Properties &props = result.getOrAddProperties<Properties>();
  props.operandSegmentSizes = {1, n > 1, n > 2, boxRank >= 0,
                               std::max(boxRank, 0)};
  if (isVolatile)
    props.is_volatile = parser.getBuilder().getUnitAttr();
  result.addTypes(getPointeeLike(ptrType));
  return success();
}

void LoadOp::print(OpAsmPrinter &p) {
  if (getIsVolatile())
    p << " volatile";
  SmallVector<Value> operands{getPtr()};
  for (Value v : {getMask(), getOther()})
    if (v)
      operands.push_back(v);
  printPtrOp(p, *this, getPtr(), operands, getTensorMap(), getBox());
}

LogicalResult LoadOp::verify() {
  Type ptrType = getPtr().getType();
  if (failed(verifyMask(*this, ptrType, getMask())))
    return failure();
  if (getOther() && !getMask())
    return emitOpError("'other' requires a mask");
  if (failed(verifyPointee(*this, ptrType, "result", getType())))
    return failure();
  if (getOther() && getOther().getType() != getType())
    return emitOpError() << "'other' has type " << getOther().getType()
                         << " but the loaded values have type " << getType();
  return verifyTensorMap(*this, getTensorMap(), getBox(), getType());
}

LogicalResult LoadOp::canonicalize(LoadOp op, PatternRewriter &rewriter) {
  if (isAllTrue(op.getMask())) {
    // The box lies inside the tensor: the map still reads the same.
    rewriter.replaceOpWithNewOp<LoadOp>(op, op.getType(), op.getPtr(), Value(),
                                        Value(), op.getTensorMap(), op.getBox(),
                                        op.getIsVolatileAttr());
    return success();
  }
  // No lane reads memory, so even a volatile load is just `other`.
  if (isAllFalse(op.getMask()) && op.getOther()) {
    rewriter.replaceOp(op, op.getOther());
    return success();
  }
  return failure();
}

void LoadOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  effects.emplace_back(MemoryEffects::Read::get(), &getPtrMutable(),
                       SideEffects::DefaultResource::get());
  // A volatile load must not be removed or merged even when unused.
  if (getIsVolatile())
    effects.emplace_back(MemoryEffects::Write::get(),
                         SideEffects::DefaultResource::get());
}

//===----------------------------------------------------------------------===//
// StoreOp
//===----------------------------------------------------------------------===//

ParseResult StoreOp::parse(OpAsmParser &parser, OperationState &result) {
  size_t n;
  int32_t boxRank;
  Type ptrType;
  auto types = [](Type ptr) -> SmallVector<Type> {
    return {ptr, getPointeeLike(ptr), getMaskType(ptr)};
  };
  if (parsePtrOp(parser, result, 2, 3, "ptr, value[, mask]", types, n, ptrType,
                 &boxRank))
    return failure();
  result.getOrAddProperties<Properties>().operandSegmentSizes = {
      1, 1, n > 2, boxRank >= 0, std::max(boxRank, 0)};
  return success();
}

void StoreOp::print(OpAsmPrinter &p) {
  SmallVector<Value> operands{getPtr(), getValue()};
  if (getMask())
    operands.push_back(getMask());
  printPtrOp(p, *this, getPtr(), operands, getTensorMap(), getBox());
}

LogicalResult StoreOp::verify() {
  if (!getPtr())
    return emitOpError("needs a ptr operand");
  Type ptrType = getPtr().getType();
  if (failed(verifyMask(*this, ptrType, getMask())))
    return failure();
  if (failed(verifyPointee(*this, ptrType, "value", getValue().getType())))
    return failure();
  return verifyTensorMap(*this, getTensorMap(), getBox(), getValue().getType());
}

LogicalResult StoreOp::canonicalize(StoreOp op, PatternRewriter &rewriter) {
  if (isAllTrue(op.getMask())) {
    // The box lies inside the tensor: the map still writes the same.
    rewriter.replaceOpWithNewOp<StoreOp>(op, op.getPtr(), op.getValue(),
                                         Value(), op.getTensorMap(),
                                         op.getBox());
    return success();
  }
  if (isAllFalse(op.getMask())) {
    rewriter.eraseOp(op);
    return success();
  }
  return failure();
}

//===----------------------------------------------------------------------===//
// Atomic ordering
//===----------------------------------------------------------------------===//

/// Parses the optional `<sem>` and `<scope>` keywords of an atomic; sets
/// `parsed` when either was there.
template <typename Props>
static ParseResult parseOrdering(OpAsmParser &parser, Props &props,
                                 bool &parsed) {
  parsed = false;
  StringRef keyword;
  SMLoc loc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalKeyword(&keyword))) {
    std::optional<MemSemantic> sem = symbolizeMemSemantic(keyword);
    std::optional<MemScope> scope =
        sem ? std::nullopt : symbolizeMemScope(keyword);
    if (!sem && !scope)
      return parser.emitError(loc)
             << "expected an ordering (relaxed, acquire, release, acq_rel) "
                "or a scope (gpu, cta, sys), got '"
             << keyword << "'";
    parsed = true;
    if (sem)
      props.sem = MemSemanticAttr::get(parser.getContext(), *sem);
    else
      props.scope = MemScopeAttr::get(parser.getContext(), *scope);
    loc = parser.getCurrentLocation();
    if (sem && succeeded(parser.parseOptionalKeyword(&keyword))) {
      scope = symbolizeMemScope(keyword);
      if (!scope)
        return parser.emitError(loc) << "expected a scope (gpu, cta, sys), "
                                        "got '"
                                     << keyword << "'";
      props.scope = MemScopeAttr::get(parser.getContext(), *scope);
    }
  }
  return success();
}

/// ` <sem> <scope>`, each only where it is not the default; whether any was
/// printed.
static bool printOrdering(OpAsmPrinter &p, MemSemantic sem, MemScope scope) {
  bool printed = false;
  if (sem != MemSemantic::AcqRel) {
    p << ' ' << stringifyMemSemantic(sem);
    printed = true;
  }
  if (scope != MemScope::GPU) {
    p << ' ' << stringifyMemScope(scope);
    printed = true;
  }
  return printed;
}

//===----------------------------------------------------------------------===//
// AtomicRMWOp
//===----------------------------------------------------------------------===//

ParseResult AtomicRMWOp::parse(OpAsmParser &parser, OperationState &result) {
  StringRef keyword;
  SMLoc keywordLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<RMWOp> kind = symbolizeRMWOp(keyword);
  if (!kind)
    return parser.emitError(keywordLoc)
           << "unknown atomic_rmw operation '" << keyword << "'";
  Properties &props = result.getOrAddProperties<Properties>();
  bool ordered;
  if (parseOrdering(parser, props, ordered) || parser.parseComma())
    return failure();
  size_t n;
  Type ptrType;
  auto types = [](Type ptr) -> SmallVector<Type> {
    return {ptr, getPointeeLike(ptr), getMaskType(ptr)};
  };
  if (parsePtrOp(parser, result, 2, 3, "ptr, val[, mask]", types, n, ptrType))
    return failure();
  props.operandSegmentSizes = {1, 1, n > 2};
  props.rmw_op = RMWOpAttr::get(parser.getContext(), *kind);
  result.addTypes(getPointeeLike(ptrType));
  return success();
}

void AtomicRMWOp::print(OpAsmPrinter &p) {
  p << ' ' << stringifyRMWOp(getRmwOp());
  printOrdering(p, getSem(), getScope());
  p << ',';
  printPtrOp(p, *this, getPtr(), getOperands());
}

LogicalResult AtomicRMWOp::verify() {
  if (!getPtr())
    return emitOpError("needs a ptr operand");
  Type ptrType = getPtr().getType();
  if (failed(verifyMask(*this, ptrType, getMask())) ||
      failed(verifyPointee(*this, ptrType, "val", getVal().getType())))
    return failure();
  if (getType() != getVal().getType())
    return emitOpError() << "result type " << getType()
                         << " differs from the type of val "
                         << getVal().getType();
  Type element = getElementTypeOrSelf(getVal().getType());
  RMWOp kind = getRmwOp();
  if (kind == RMWOp::Xchg)
    return success();
  bool wantsFloat =
      kind == RMWOp::FAdd || kind == RMWOp::FMax || kind == RMWOp::FMin;
  if (wantsFloat ? isa<FloatType>(element) : isa<IntegerType>(element))
    return success();
  return emitOpError() << "'" << stringifyRMWOp(kind) << "' needs "
                       << (wantsFloat ? "float" : "integer") << " values, got "
                       << element;
}

LogicalResult AtomicRMWOp::canonicalize(AtomicRMWOp op,
                                        PatternRewriter &rewriter) {
  if (!isAllTrue(op.getMask()))
    return failure();
  rewriter.replaceOpWithNewOp<AtomicRMWOp>(op, op.getType(), op.getRmwOpAttr(),
                                           op.getPtr(), op.getVal(), Value(),
                                           op.getSemAttr(), op.getScopeAttr());
  return success();
}

//===----------------------------------------------------------------------===//
// AtomicCASOp
//===----------------------------------------------------------------------===//

ParseResult AtomicCASOp::parse(OpAsmParser &parser, OperationState &result) {
  bool ordered;
  if (parseOrdering(parser, result.getOrAddProperties<Properties>(), ordered) ||
      (ordered && parser.parseComma()))
    return failure();
  size_t n;
  Type ptrType;
  auto types = [](Type ptr) -> SmallVector<Type> {
    return {ptr, getPointeeLike(ptr), getPointeeLike(ptr)};
  };
  if (parsePtrOp(parser, result, 3, 3, "ptr, cmp, val", types, n, ptrType))
    return failure();
  result.addTypes(getPointeeLike(ptrType));
  return success();
}

void AtomicCASOp::print(OpAsmPrinter &p) {
  if (printOrdering(p, getSem(), getScope()))
    p << ',';
  printPtrOp(p, *this, getPtr(), getOperands());
}

LogicalResult AtomicCASOp::verify() {
  Type ptrType = getPtr().getType();
  if (failed(verifyPointee(*this, ptrType, "cmp", getCmp().getType())) ||
      failed(verifyPointee(*this, ptrType, "val", getVal().getType())))
    return failure();
  if (getType() != getVal().getType())
    return emitOpError() << "result type " << getType()
                         << " differs from the type of val "
                         << getVal().getType();
  return success();
}

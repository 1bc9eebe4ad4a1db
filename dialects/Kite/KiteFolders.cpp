//===- KiteFolders.cpp - folders of the shape and cast ops ----------------===//
#include "dialects/Kite/KiteOps.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::kite;

/// A splat constant given the new shape `type`; null if `value` is not one.
static Attribute resizeSplat(Attribute value, Type type) {
  auto splat = dyn_cast_if_present<SplatElementsAttr>(value);
  if (!splat)
    return {};
  return splat.resizeSplat(cast<ShapedType>(type));
}

OpFoldResult SplatOp::fold(FoldAdaptor adaptor) {
  Attribute value = adaptor.getSrc();
  if (isa_and_present<IntegerAttr, FloatAttr>(value))
    return DenseElementsAttr::get(getType(), value);
  return {};
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getSrc().getType() == getType())
    return getSrc();
  if (Attribute splat = resizeSplat(adaptor.getSrc(), getType()))
    return splat;
  // broadcast(broadcast(x)) is one broadcast of x.
  if (auto inner = getSrc().getDefiningOp<BroadcastOp>()) {
    getSrcMutable().assign(inner.getSrc());
    return getResult();
  }
  return {};
}

OpFoldResult ExpandDimsOp::fold(FoldAdaptor adaptor) {
  return resizeSplat(adaptor.getSrc(), getType());
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getSrc().getType() == getType())
    return getSrc();
  if (Attribute splat = resizeSplat(adaptor.getSrc(), getType()))
    return splat;
  if (auto inner = getSrc().getDefiningOp<ReshapeOp>()) {
    getSrcMutable().assign(inner.getSrc());
    return getResult();
  }
  return {};
}

OpFoldResult TransOp::fold(FoldAdaptor adaptor) {
  for (auto [i, dim] : llvm::enumerate(getOrder()))
    if (static_cast<int64_t>(i) != dim)
      return resizeSplat(adaptor.getSrc(), getType());
  return getSrc();
}

OpFoldResult BitcastOp::fold(FoldAdaptor) {
  if (getSrc().getType() == getType())
    return getSrc();
  if (auto inner = getSrc().getDefiningOp<BitcastOp>()) {
    if (inner.getSrc().getType() == getType())
      return inner.getSrc();
    getSrcMutable().assign(inner.getSrc());
    return getResult();
  }
  return {};
}

/// join(split(x)) is x, when it has x's type (at the kitegpu level the
/// layouts must agree too).
OpFoldResult JoinOp::fold(FoldAdaptor) {
  auto split = getLhs().getDefiningOp<SplitOp>();
  if (split && getLhs() == split.getLhs() && getRhs() == split.getRhs() &&
      split.getSrc().getType() == getType())
    return split.getSrc();
  return {};
}

/// split(join(a, b)) is (a, b), when they have the results' types.
LogicalResult SplitOp::fold(FoldAdaptor,
                            SmallVectorImpl<OpFoldResult> &results) {
  auto join = getSrc().getDefiningOp<JoinOp>();
  if (!join || join.getLhs().getType() != getLhs().getType())
    return failure();
  results.push_back(join.getLhs());
  results.push_back(join.getRhs());
  return success();
}

//===- TestAxisInfoPass.cpp - kite-test-axis-info: report axis info -------===//
#include "dialects/Kite/KiteDialect.h"
#include "lib/Analysis/AxisInfo.h"
#include "lib/Analysis/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::kite {
#define GEN_PASS_DEF_KITETESTAXISINFO
#include "lib/Analysis/Passes.h.inc"
} // namespace mlir::kite

using namespace mlir;
using namespace mlir::kite;

namespace {

bool isTracked(Type type) {
  Type element = getElementTypeOrSelf(type);
  return isa<IntegerType, IndexType, PointerType>(element);
}

struct TestAxisInfoPass
    : mlir::kite::impl::KiteTestAxisInfoBase<TestAxisInfoPass> {
  void runOnOperation() override {
    AxisInfoAnalysis analysis(getOperation());
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (auto func = dyn_cast<FunctionOpInterface>(op)) {
        func->emitRemark() << "axis info of @" << func.getName();
        return;
      }
      for (Value result : op->getResults()) {
        if (!isTracked(result.getType()))
          continue;
        InFlightDiagnostic remark = op->emitRemark();
        if (op->getNumResults() > 1)
          remark << "#" << cast<OpResult>(result).getResultNumber() << " ";
        std::string text;
        llvm::raw_string_ostream os(text);
        analysis.getAxisInfo(result).print(os);
        remark << text;
      }
    });
  }
};

} // namespace

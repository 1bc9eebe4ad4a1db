#ifndef KITE_ANALYSIS_PASSES_TD
#define KITE_ANALYSIS_PASSES_TD

include "mlir/Pass/PassBase.td"

def KiteTestAxisInfo : Pass<"kite-test-axis-info", "::mlir::ModuleOp"> {
  let summary = "Report the axis info of every value as remarks (for tests)";
  let description = [{
    Emits one remark per function (`axis info of @name`) and one per result
    of an integer or pointer type: `contiguity = [..], divisibility = [..],
    constancy = [..]` and `constant = c` where known.
  }];
}

#endif // KITE_ANALYSIS_PASSES_TD

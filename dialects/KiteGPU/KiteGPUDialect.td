#ifndef KITEGPU_DIALECT_TD
#define KITEGPU_DIALECT_TD

include "mlir/IR/OpBase.td"

def KiteGPU_Dialect : Dialect {
  let name = "kitegpu";
  let cppNamespace = "::mlir::kitegpu";
  let summary = "Kite tensors spread over the threads of a program";
  let description = [{
    The kitegpu level keeps the kite ops and builtin ranked tensors, and gives
    every tensor a layout as its encoding: which thread, warp and register
    holds which element. It adds `convert_layout` and shared-memory buffers.
    The module carries `kitegpu.num-warps` and `kitegpu.threads-per-warp`.
    See docs/kitegpu-dialect.md.
  }];
  let dependentDialects = ["::mlir::kite::KiteDialect",
                           "::mlir::arith::ArithDialect"];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr ::llvm::StringLiteral getNumWarpsAttrName() {
      return ::llvm::StringLiteral("kitegpu.num-warps");
    }
    static constexpr ::llvm::StringLiteral getThreadsPerWarpAttrName() {
      return ::llvm::StringLiteral("kitegpu.threads-per-warp");
    }
  private:
    void registerAttributes();
    void registerTypes();
  public:
  }];
}

#endif // KITEGPU_DIALECT_TD

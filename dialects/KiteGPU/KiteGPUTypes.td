#ifndef KITEGPU_TYPES_TD
#define KITEGPU_TYPES_TD

include "mlir/IR/AttrTypeBase.td"
include "dialects/KiteGPU/KiteGPUDialect.td"

def KiteGPU_MemDescType : TypeDef<KiteGPU_Dialect, "MemDesc"> {
  let mnemonic = "memdesc";
  let summary = "a buffer in shared memory";
  let description = [{
    `!kitegpu.memdesc<32x64xf16, #shared>`: a statically shaped buffer of the
    program's shared memory, laid out by a `#kitegpu.shared` layout.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        "::mlir::Type":$elementType,
                        "::mlir::kitegpu::SharedLayoutAttr":$encoding);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // KITEGPU_TYPES_TD

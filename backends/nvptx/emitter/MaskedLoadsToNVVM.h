//===- MaskedLoadsToNVVM.h - masked loads as predicated ld.global -*- C++
//-*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_MASKEDLOADSTONVVM_H
#define KITE_BACKENDS_NVPTX_EMITTER_MASKEDLOADSTONVVM_H

namespace mlir {
class ModuleOp;

namespace kitenvptx {
/// A masked kitethread.load as inline PTX: `other` moved into the
/// destination registers, then `@mask ld.global` over them; no branch.
/// Runs before the conversion to LLVM: the asm's operands are integers and
/// vectors, which the LLVM dialect takes as they are.
void predicateMaskedLoads(ModuleOp module);
} // namespace kitenvptx
} // namespace mlir

#endif // KITE_BACKENDS_NVPTX_EMITTER_MASKEDLOADSTONVVM_H

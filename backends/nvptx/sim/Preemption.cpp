//===- Preemption.cpp - loops let other simulated threads run -------------===//
//
// Simulated threads switch only where they call the runtime. A thread that
// loops without doing so (a spin on a plain load of a flag another block
// sets, or a loop that never ends) would keep the OS thread forever: the
// flag's writer never runs and KITE_SIM_TIMEOUT is never checked. So every
// loop back edge counts down the thread's budget and yields when it is
// spent (kite_sim_backedge), as a GPU's warp scheduler interleaves warps.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/Preemption.h"

#include "llvm/IR/Dominators.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

using namespace llvm;

void kite::sim::addPreemptionPoints(Function &function) {
  if (function.isDeclaration())
    return;
  DominatorTree dominators(function);
  SmallVector<std::pair<BasicBlock *, unsigned>> backEdges;
  for (BasicBlock &block : function) {
    Instruction *terminator = block.getTerminator();
    for (unsigned i = 0; i < terminator->getNumSuccessors(); ++i)
      if (dominators.dominates(terminator->getSuccessor(i), &block))
        backEdges.push_back({&block, i});
  }
  if (backEdges.empty())
    return;
  LLVMContext &ctx = function.getContext();
  FunctionCallee backedge = function.getParent()->getOrInsertFunction(
      "kite_sim_backedge", FunctionType::get(Type::getVoidTy(ctx), false));
  // The call goes on the edge itself: in the latch when it has only this
  // successor, else in a block split onto the edge.
  for (auto [block, index] : backEdges) {
    Instruction *terminator = block->getTerminator();
    BasicBlock *header = terminator->getSuccessor(index);
    if (terminator->getNumSuccessors() == 1) {
      IRBuilder<>(terminator).CreateCall(backedge);
      continue;
    }
    BasicBlock *edge =
        BasicBlock::Create(ctx, "sim.backedge", &function, header);
    IRBuilder<> b(edge);
    b.CreateCall(backedge);
    b.CreateBr(header);
    terminator->setSuccessor(index, edge);
    // Phis of the header now come from the new block on that edge.
    for (PHINode &phi : header->phis())
      for (unsigned i = 0; i < phi.getNumIncomingValues(); ++i)
        if (phi.getIncomingBlock(i) == block) {
          phi.setIncomingBlock(i, edge);
          break;
        }
  }
}

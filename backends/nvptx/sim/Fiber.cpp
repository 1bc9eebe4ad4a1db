//===- Fiber.cpp - stack switching for simulated threads ------------------===//
//
// On x86-64 a switch saves the callee-saved registers, the SSE control word
// and the x87 control word on the current stack, stores the stack pointer,
// and loads the other context's (the System V ABI leaves everything else to
// the caller). Elsewhere ucontext does it, more slowly.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/Fiber.h"

#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

using namespace kite::sim;

#if defined(__x86_64__)

extern "C" void kite_sim_switch_stack(void **saveSp, void *loadSp);
extern "C" void kite_sim_fiber_trampoline();

// kite_sim_switch_stack(saveSp = rdi, loadSp = rsi)
asm(R"(
  .text
  .p2align 4
  .globl kite_sim_switch_stack
  .hidden kite_sim_switch_stack
  .type kite_sim_switch_stack,@function
kite_sim_switch_stack:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size kite_sim_switch_stack, .-kite_sim_switch_stack

  .p2align 4
  .globl kite_sim_fiber_trampoline
  .hidden kite_sim_fiber_trampoline
  .type kite_sim_fiber_trampoline,@function
kite_sim_fiber_trampoline:
  movq %r13, %rdi
  callq *%r12
  ud2
  .size kite_sim_fiber_trampoline, .-kite_sim_fiber_trampoline
)");

void Fiber::start(Entry entry, void *arg) {
  // The frame kite_sim_switch_stack pops: control words, r15..rbp, then the
  // return address, the trampoline, which calls entry(arg) with r12 and r13.
  auto *top =
      reinterpret_cast<uint64_t *>(static_cast<char *>(stack) + mappedBytes);
  uint64_t *sp = top - 2; // 16-byte aligned at the trampoline's call
  *--sp = reinterpret_cast<uint64_t>(&kite_sim_fiber_trampoline);
  *--sp = 0;                                 // rbp
  *--sp = 0;                                 // rbx
  *--sp = reinterpret_cast<uint64_t>(entry); // r12
  *--sp = reinterpret_cast<uint64_t>(arg);   // r13
  *--sp = 0;                                 // r14
  *--sp = 0;                                 // r15
  uint32_t mxcsr;
  uint16_t fpucw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpucw));
  *--sp = uint64_t(mxcsr) | (uint64_t(fpucw) << 32);
  savedSp = sp;
}

void Fiber::switchFrom(Fiber &from) {
  kite_sim_switch_stack(&from.savedSp, savedSp);
}

#else
#include <ucontext.h>

namespace {
struct UContextFiber {
  ucontext_t context;
};
} // namespace

void Fiber::start(Entry entry, void *arg) {
  auto *context = new UContextFiber();
  getcontext(&context->context);
  context->context.uc_stack.ss_sp =
      static_cast<char *>(stack) + sysconf(_SC_PAGESIZE);
  context->context.uc_stack.ss_size = mappedBytes - sysconf(_SC_PAGESIZE);
  context->context.uc_link = nullptr;
  makecontext(&context->context, reinterpret_cast<void (*)()>(entry), 1, arg);
  delete static_cast<UContextFiber *>(savedSp);
  savedSp = context;
}

void Fiber::switchFrom(Fiber &from) {
  if (!from.savedSp)
    from.savedSp = new UContextFiber();
  swapcontext(&static_cast<UContextFiber *>(from.savedSp)->context,
              &static_cast<UContextFiber *>(savedSp)->context);
}
#endif

Fiber::Fiber() = default;

Fiber::Fiber(size_t stackBytes) {
  size_t page = sysconf(_SC_PAGESIZE);
  size_t bytes = (stackBytes + page - 1) / page * page + page;
  void *memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED)
    return;
  mprotect(memory, page, PROT_NONE); // the guard page, below the stack
  stack = memory;
  mappedBytes = bytes;
}

Fiber::~Fiber() {
  if (stack)
    munmap(stack, mappedBytes);
#if !defined(__x86_64__)
  delete static_cast<UContextFiber *>(savedSp);
#endif
}

bool Fiber::inGuardPage(uintptr_t address) const {
  uintptr_t begin = reinterpret_cast<uintptr_t>(stack);
  return stack && address >= begin && address < begin + sysconf(_SC_PAGESIZE);
}

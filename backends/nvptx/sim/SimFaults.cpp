//===- SimFaults.cpp - faults of simulated code become launch errors ------===//
#include "backends/nvptx/sim/SimFaults.h"
#include "backends/nvptx/sim/SimScheduler.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sys/mman.h>
#include <unistd.h>

using namespace kite::sim;

namespace {
thread_local Launch *faultingLaunch = nullptr;
struct sigaction previousSegv, previousBus, previousFpe;

size_t pageSize() { return size_t(sysconf(_SC_PAGESIZE)); }

void forward(int signal, siginfo_t *info, void *context) {
  struct sigaction &previous = signal == SIGSEGV  ? previousSegv
                               : signal == SIGBUS ? previousBus
                                                  : previousFpe;
  if (previous.sa_flags & SA_SIGINFO) {
    if (previous.sa_sigaction) {
      previous.sa_sigaction(signal, info, context);
      return;
    }
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal);
    return;
  }
  // Default: die of the signal, as without Kite.
  std::signal(signal, SIG_DFL);
  raise(signal);
}

void onFault(int signal, siginfo_t *info, void *context) {
  Launch *launch = faultingLaunch;
  SimThread *thread = SimThread::current();
  if (!launch || !thread) {
    forward(signal, info, context);
    return;
  }
  char message[512];
  auto address = reinterpret_cast<uintptr_t>(info->si_addr);
  const auto &t = thread->tid;
  const auto &b = thread->cta->ctaid;
  if (signal == SIGFPE)
    snprintf(message, sizeof message,
             "kernel '%s' raised an arithmetic exception in thread (%u, %u, "
             "%u) of block (%u, %u, %u)",
             launch->config.kernelName.c_str(), t[0], t[1], t[2], b[0], b[1],
             b[2]);
  else if (thread->fiber.inGuardPage(address))
    snprintf(message, sizeof message,
             "kernel '%s' overflowed the simulator's stack of a thread "
             "(thread (%u, %u, %u) of block (%u, %u, %u))",
             launch->config.kernelName.c_str(), t[0], t[1], t[2], b[0], b[1],
             b[2]);
  else
    snprintf(message, sizeof message,
             "kernel '%s' accessed address 0x%lx, which is in no tensor of "
             "cuda-sim (an out-of-bounds load or store; thread (%u, %u, %u) "
             "of block (%u, %u, %u))",
             launch->config.kernelName.c_str(), (unsigned long)address, t[0],
             t[1], t[2], b[0], b[1], b[2]);
  if (launch->error.empty())
    launch->error = message;
  siglongjmp(launch->faultReturn, 1);
}

void installHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = onFault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previousSegv);
    sigaction(SIGBUS, &action, &previousBus);
    sigaction(SIGFPE, &action, &previousFpe);
  });
  // A stack overflow needs a stack of its own to run the handler on.
  thread_local struct AltStack {
    AltStack() {
      stack_t current;
      if (sigaltstack(nullptr, &current) == 0 &&
          !(current.ss_flags & SS_DISABLE))
        return; // the thread has one (Python's faulthandler installs one)
      size_t bytes = 64 * 1024;
      memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (memory == MAP_FAILED)
        return;
      stack_t stack{};
      stack.ss_sp = memory;
      stack.ss_size = bytes;
      sigaltstack(&stack, nullptr);
    }
    void *memory = nullptr;
  } altStack;
}
} // namespace

FaultScope::FaultScope(Launch &launch) : previous(faultingLaunch) {
  installHandlers();
  faultingLaunch = &launch;
}

FaultScope::~FaultScope() { faultingLaunch = previous; }

SharedBlock::SharedBlock(size_t bytes) {
  if (!bytes)
    return;
  size_t rounded = (bytes + pageSize() - 1) / pageSize() * pageSize();
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_32BIT
  flags |= MAP_32BIT;
#endif
  // 1 MiB aligned, so that an address's low bits are its offset in the
  // block, as a shared-window address is on a GPU: wgmma's descriptors keep
  // only bits 4-17 of it, and the swizzles of wgmma and TMA act on bits 4-9.
  constexpr size_t kAlign = size_t(1) << 20;
  void *memory =
      mmap(nullptr, rounded + kAlign, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (memory == MAP_FAILED)
    return;
  auto *base = static_cast<uint8_t *>(memory);
  auto *start = reinterpret_cast<uint8_t *>(
      (reinterpret_cast<uintptr_t>(base) + kAlign - 1) & ~(kAlign - 1));
  if (start > base)
    munmap(base, size_t(start - base));
  size_t tail = kAlign - size_t(start - base);
  if (tail)
    munmap(start + rounded, tail);
  data = start;
  mapped = rounded;
}

SharedBlock::SharedBlock(SharedBlock &&other) noexcept
    : data(other.data), mapped(other.mapped) {
  other.data = nullptr;
  other.mapped = 0;
}

SharedBlock::~SharedBlock() {
  if (data)
    munmap(data, mapped);
}

GuardedAllocation GuardedAllocation::allocate(uint64_t bytes) {
  GuardedAllocation allocation;
  size_t page = pageSize();
  uint64_t rounded = (std::max<uint64_t>(bytes, 1) + 255) / 256 * 256;
  uint64_t body = (rounded + page - 1) / page * page;
  size_t total = size_t(body + 2 * page);
  void *memory = mmap(nullptr, total, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED)
    return allocation;
  auto *base = static_cast<uint8_t *>(memory);
  // The allocation ends where the pages end, so that the first byte past
  // its rounded size faults; it starts 256-byte aligned.
  uint8_t *start = base + page + (body - rounded);
  if (mprotect(base + page, size_t(body), PROT_READ | PROT_WRITE) != 0) {
    munmap(memory, total);
    return allocation;
  }
  allocation.mapping = base;
  allocation.mapped = total;
  allocation.data = start;
  return allocation;
}

void GuardedAllocation::release() {
  if (mapping)
    munmap(mapping, mapped);
  mapping = data = nullptr;
}

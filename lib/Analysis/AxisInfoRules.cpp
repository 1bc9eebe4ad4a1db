//===- AxisInfoRules.cpp - how each op transforms axis facts --------------===//
//
// A run that a binary op produces starts at a multiple of its length g
// inside the runs of its operands, so its first element is only known to
// divide by gcd(divisibilities, g).
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "lib/Analysis/AxisInfo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kite;

using OperandInfo = function_ref<AxisInfo(Value)>;

static int64_t capDiv(int64_t value) {
  return std::min(value, AxisInfo::kMaxDivisibility);
}

/// Divisibility of a result of a + b * bScale that has runs of
/// `contiguity` elements of `elementSize` (pointers: bytes per element).
static int64_t runDivisibility(const AxisInfo &a, const AxisInfo &b, unsigned d,
                               int64_t contiguity, int64_t bScale = 1,
                               int64_t elementSize = 1) {
  if (contiguity > 1)
    return std::gcd(
        std::gcd(a.divisibility[d], capDiv(b.divisibility[d] * bScale)),
        contiguity * elementSize);
  return std::gcd(a.getElementDivisibility(d),
                  capDiv(b.getElementDivisibility(d) * bScale));
}

/// x + y, and pointer + offset with the offset scaled by the element size.
static AxisInfo inferAdd(const AxisInfo &l, const AxisInfo &r, int64_t scale,
                         std::optional<int64_t> constant) {
  AxisInfo info = AxisInfo::unknown(l.getRank());
  for (unsigned d = 0; d < l.getRank(); ++d) {
    info.contiguity[d] = std::max(std::gcd(l.contiguity[d], r.constancy[d]),
                                  std::gcd(l.constancy[d], r.contiguity[d]));
    info.constancy[d] = std::gcd(l.constancy[d], r.constancy[d]);
    info.divisibility[d] =
        runDivisibility(l, r, d, info.contiguity[d], scale, scale);
  }
  info.constant = constant;
  info.nonNegative = l.nonNegative && r.nonNegative;
  return info;
}

static AxisInfo inferSub(const AxisInfo &l, const AxisInfo &r) {
  AxisInfo info = AxisInfo::unknown(l.getRank());
  for (unsigned d = 0; d < l.getRank(); ++d) {
    info.contiguity[d] = std::gcd(l.contiguity[d], r.constancy[d]);
    info.constancy[d] = std::gcd(l.constancy[d], r.constancy[d]);
    info.divisibility[d] = runDivisibility(l, r, d, info.contiguity[d]);
  }
  if (l.constant && r.constant)
    info.constant = *l.constant - *r.constant;
  return info;
}

static AxisInfo inferMul(const AxisInfo &l, const AxisInfo &r) {
  if (r.constant == 1)
    return l;
  if (l.constant == 1)
    return r;
  AxisInfo info = AxisInfo::unknown(l.getRank());
  for (unsigned d = 0; d < l.getRank(); ++d) {
    info.constancy[d] = std::gcd(l.constancy[d], r.constancy[d]);
    info.divisibility[d] =
        capDiv(l.getElementDivisibility(d) * r.getElementDivisibility(d));
  }
  if (l.constant && r.constant)
    info.constant = *l.constant * *r.constant;
  info.nonNegative = l.nonNegative && r.nonNegative;
  return info;
}

/// How a division rounds: toward zero, signed (arith.divsi) or unsigned
/// (divui), or up (ceildivsi).
enum class Rounding { TowardZeroSigned, TowardZeroUnsigned, Up };

/// x / c for a positive power-of-two constant c: a run of x that starts at
/// a multiple of c is one quotient, where the division rounds every
/// element of it the same way: down, so x >= 0 toward zero (or unsigned);
/// rounding up (or a negative x toward zero) splits the run after its
/// first element. Elements that are all multiples of c divide exactly in
/// every rounding.
static AxisInfo inferDiv(const AxisInfo &l, const AxisInfo &r,
                         Rounding rounding) {
  AxisInfo info = AxisInfo::unknown(l.getRank());
  std::optional<int64_t> c = r.constant;
  bool flooring = rounding == Rounding::TowardZeroUnsigned ||
                  (rounding == Rounding::TowardZeroSigned && l.nonNegative);
  info.nonNegative = rounding == Rounding::TowardZeroUnsigned
                         ? l.nonNegative
                         : l.nonNegative && r.nonNegative;
  if (c == 1)
    return l;
  for (unsigned d = 0; d < l.getRank(); ++d) {
    info.constancy[d] = std::gcd(l.constancy[d], r.constancy[d]);
    if (!c || *c <= 0 || !llvm::isPowerOf2_64(*c) || l.divisibility[d] % *c ||
        (!flooring && l.contiguity[d] > 1))
      continue;
    info.constancy[d] =
        std::max(info.constancy[d], std::gcd(l.contiguity[d], *c));
    info.divisibility[d] = l.divisibility[d] / *c;
  }
  if (l.constant && c && *c != 0) {
    if (rounding == Rounding::Up)
      info.constant = llvm::divideCeilSigned(*l.constant, *c);
    else if (rounding == Rounding::TowardZeroSigned)
      info.constant = *l.constant / *c;
    else if (*l.constant >= 0 && *c > 0)
      info.constant = *l.constant / *c;
  }
  return info;
}

/// x % c for a positive power-of-two constant c, or x % n for n divisible
/// by the runs' alignment: a run stays a run where it does not wrap around
/// the divisor, which holds for x >= 0 (and unsigned remainders, 2^bits
/// being a multiple of the alignment); a signed remainder of a negative
/// run starting at a multiple of the divisor wraps ([-24, -17] % 24 is
/// 0, -23, ..., -17), so there only what holds element by element.
static AxisInfo inferRem(const AxisInfo &l, const AxisInfo &r, bool isSigned) {
  AxisInfo info = AxisInfo::unknown(l.getRank());
  std::optional<int64_t> c = r.constant;
  info.nonNegative = l.nonNegative || (!isSigned && r.nonNegative);
  bool wholeRuns = !isSigned || l.nonNegative;
  for (unsigned d = 0; d < l.getRank(); ++d) {
    info.constancy[d] = std::gcd(l.constancy[d], r.constancy[d]);
    if (!wholeRuns) {
      // x - n * q: divisible by what divides both.
      info.divisibility[d] =
          std::gcd(l.getElementDivisibility(d), r.getElementDivisibility(d));
      continue;
    }
    if (c && *c > 0 && llvm::isPowerOf2_64(*c)) {
      info.contiguity[d] = std::gcd(l.contiguity[d], *c);
      info.divisibility[d] = std::gcd(l.divisibility[d], *c);
      continue;
    }
    // x % n with n constant along d and divisible by g (Triton's
    // `(pid * BLOCK + arange(0, BLOCK)) % N`, N divisible by 16): a run of g
    // consecutive x starting at a multiple of g does not wrap around n, so
    // it stays a run.
    int64_t g = std::gcd(std::gcd(l.contiguity[d], l.divisibility[d]),
                         r.divisibility[d]);
    // Divisibility is that of a run's first element: runs of g cut from
    // longer ones start at multiples of g only.
    if (r.constancy[d] % g == 0) {
      info.contiguity[d] = g;
      info.divisibility[d] =
          g == l.contiguity[d] || g == 1
              ? std::gcd(l.divisibility[d], r.divisibility[d])
              : g;
    }
  }
  return info;
}

/// x < y and x >= y: a run of x aligned to g compares alike against a y
/// that is constant over it and divisible by g (the result flips between
/// y - 1 and y, at a run's start). Not x <= y or x > y: those flip between y
/// and y + 1, inside a run. With the run on the right, the mirror images.
static AxisInfo inferCompare(arith::CmpIPredicate predicate, const AxisInfo &l,
                             const AxisInfo &r) {
  using P = arith::CmpIPredicate;
  AxisInfo info = AxisInfo::unknown(l.getRank());
  bool runLeft = predicate == P::slt || predicate == P::ult ||
                 predicate == P::sge || predicate == P::uge;
  bool runRight = predicate == P::sgt || predicate == P::ugt ||
                  predicate == P::sle || predicate == P::ule;
  for (unsigned d = 0; d < l.getRank(); ++d) {
    info.constancy[d] = std::gcd(l.constancy[d], r.constancy[d]);
    auto widen = [&](const AxisInfo &run, const AxisInfo &bound) {
      if (run.contiguity[d] > 1 && bound.constancy[d] > 1)
        info.constancy[d] =
            std::max(info.constancy[d],
                     std::gcd(std::gcd(run.contiguity[d], bound.constancy[d]),
                              std::gcd(run.divisibility[d],
                                       bound.getElementDivisibility(d))));
    };
    if (runLeft)
      widen(l, r);
    if (runRight)
      widen(r, l);
  }
  return info;
}

static AxisInfo inferSelect(const AxisInfo &c, const AxisInfo &a,
                            const AxisInfo &b) {
  if (c.constant)
    return *c.constant ? a : b;
  AxisInfo info = AxisInfo::unknown(a.getRank());
  for (unsigned d = 0; d < a.getRank(); ++d) {
    info.constancy[d] =
        std::gcd(c.constancy[d], std::gcd(a.constancy[d], b.constancy[d]));
    info.contiguity[d] = std::min(std::gcd(a.contiguity[d], c.constancy[d]),
                                  std::gcd(b.contiguity[d], c.constancy[d]));
    info.divisibility[d] = runDivisibility(a, b, d, info.contiguity[d]);
  }
  info.nonNegative = a.nonNegative && b.nonNegative;
  return info;
}

static int64_t getElementBytes(Type ptrLike) {
  Type pointee =
      cast<PointerType>(getElementTypeOrSelf(ptrLike)).getPointeeType();
  if (isa<PointerType>(pointee))
    return 8;
  return std::max<int64_t>(1, pointee.getIntOrFloatBitWidth() / 8);
}

static std::optional<int64_t> getConstant(Attribute value) {
  if (auto integer = dyn_cast<IntegerAttr>(value))
    return integer.getValue().getSExtValue();
  if (auto dense = dyn_cast<DenseIntElementsAttr>(value))
    if (dense.isSplat())
      return dense.getSplatValue<APInt>().getSExtValue();
  return std::nullopt;
}

std::optional<AxisInfo> mlir::kite::inferAxisInfo(Operation *op,
                                                  unsigned resultIndex,
                                                  OperandInfo operandInfo) {
  Type type = op->getResult(resultIndex).getType();
  auto in = [&](unsigned i) { return operandInfo(op->getOperand(i)); };
  auto binary = [&](auto rule) { return rule(in(0), in(1)); };
  auto constant2 = [&](auto fn) -> std::optional<int64_t> {
    AxisInfo l = in(0), r = in(1);
    if (l.constant && r.constant)
      return fn(*l.constant, *r.constant);
    return std::nullopt;
  };
  std::optional<AxisInfo> info =
      llvm::TypeSwitch<Operation *, std::optional<AxisInfo>>(op)
          .Case([&](arith::ConstantOp constant) -> std::optional<AxisInfo> {
            if (std::optional<int64_t> c = getConstant(constant.getValue()))
              return AxisInfo::ofConstant(type, *c);
            return std::nullopt;
          })
          .Case([&](MakeRangeOp range) {
            AxisInfo info = AxisInfo::unknown(1);
            info.contiguity[0] = range.getType().getDimSize(0);
            info.divisibility[0] = highestPowerOf2Divisor(range.getStart());
            info.nonNegative = range.getStart() >= 0;
            return info;
          })
          .Case<ProgramIdOp, NumProgramsOp>([&](Operation *) {
            AxisInfo info = AxisInfo::unknown(1);
            info.nonNegative = true;
            return info;
          })
          .Case([&](SplatOp splat) {
            AxisInfo src = in(0);
            AxisInfo info = src.constant
                                ? AxisInfo::ofConstant(type, *src.constant)
                                : AxisInfo::ofConstant(type, 0);
            info.divisibility.assign(info.getRank(), src.divisibility[0]);
            info.constant = src.constant;
            info.nonNegative = src.nonNegative;
            return info;
          })
          .Case([&](BroadcastOp broadcast) {
            AxisInfo info = in(0);
            ArrayRef<int64_t> from = broadcast.getSrc().getType().getShape();
            for (auto [d, size] :
                 llvm::enumerate(broadcast.getType().getShape()))
              if (from[d] == 1 && size > 1) {
                info.contiguity[d] = 1;
                info.constancy[d] = size;
              }
            return info;
          })
          .Case([&](ExpandDimsOp expand) {
            AxisInfo info = in(0);
            int64_t div = AxisInfo::kMaxDivisibility;
            for (unsigned d = 0; d < info.getRank(); ++d)
              div = std::min(div, info.getElementDivisibility(d));
            unsigned axis = expand.getAxis();
            info.contiguity.insert(info.contiguity.begin() + axis, 1);
            info.constancy.insert(info.constancy.begin() + axis, 1);
            info.divisibility.insert(info.divisibility.begin() + axis, div);
            return info;
          })
          .Case([&](TransOp trans) {
            AxisInfo src = in(0), info = src;
            for (auto [i, d] : llvm::enumerate(trans.getOrder())) {
              info.contiguity[i] = src.contiguity[d];
              info.divisibility[i] = src.divisibility[d];
              info.constancy[i] = src.constancy[d];
            }
            return info;
          })
          .Case([&](AddPtrOp add) {
            return inferAdd(in(0), in(1), getElementBytes(add.getType()),
                            std::nullopt);
          })
          .Case([&](arith::AddIOp) {
            return inferAdd(
                in(0), in(1), 1,
                constant2([](int64_t a, int64_t b) { return a + b; }));
          })
          .Case([&](arith::SubIOp) { return binary(inferSub); })
          .Case([&](arith::MulIOp) { return binary(inferMul); })
          .Case([&](arith::DivSIOp) {
            return inferDiv(in(0), in(1), Rounding::TowardZeroSigned);
          })
          .Case([&](arith::DivUIOp) {
            return inferDiv(in(0), in(1), Rounding::TowardZeroUnsigned);
          })
          .Case([&](arith::CeilDivSIOp) {
            return inferDiv(in(0), in(1), Rounding::Up);
          })
          .Case([&](arith::RemSIOp) { return inferRem(in(0), in(1), true); })
          .Case([&](arith::RemUIOp) { return inferRem(in(0), in(1), false); })
          .Case([&](arith::CmpIOp cmp) {
            return inferCompare(cmp.getPredicate(), in(0), in(1));
          })
          .Case(
              [&](arith::SelectOp) { return inferSelect(in(0), in(1), in(2)); })
          .Case<arith::ExtSIOp, arith::IndexCastOp, kitegpu::ConvertLayoutOp>(
              [&](Operation *) { return in(0); })
          .Case<arith::ExtUIOp, arith::TruncIOp, arith::IndexCastUIOp,
                PtrToIntOp, IntToPtrOp, BitcastOp>([&](Operation *op) {
            // Zero-extension makes any value non-negative; the others may
            // change the sign bit.
            AxisInfo info = in(0);
            info.nonNegative = isa<arith::ExtUIOp>(op);
            return info;
          })
          .Case<arith::AndIOp, arith::OrIOp, arith::XOrIOp, arith::MaxSIOp,
                arith::MinSIOp, arith::MaxUIOp, arith::MinUIOp>(
              [&](Operation *op) {
                AxisInfo l = in(0), r = in(1),
                         info = AxisInfo::unknown(l.getRank());
                for (unsigned d = 0; d < l.getRank(); ++d)
                  info.constancy[d] = std::gcd(l.constancy[d], r.constancy[d]);
                // The sign bit: clear in one operand suffices where the result
                // takes it from both or the smaller as unsigned.
                bool either = l.nonNegative || r.nonNegative;
                bool both = l.nonNegative && r.nonNegative;
                info.nonNegative =
                    isa<arith::AndIOp, arith::MaxSIOp, arith::MinUIOp>(op)
                        ? either
                        : both;
                return info;
              })
          .Default([](Operation *) { return std::nullopt; });
  if (info && info->constant && *info->constant >= 0)
    info->nonNegative = true;
  return info;
}

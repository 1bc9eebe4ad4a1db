//===- InlinePtxArith.cpp - PTX arithmetic, logic, moves, conversions -----===//
//
// Integer instructions work on the type's bits (with the carry flag of
// .cc/addc/madc); float instructions on f32/f64, and on f16, bf16 and their
// x2 pairs lane by lane through float. Rounding modifiers set the host's
// rounding mode around the operation.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/InlinePtx.h"
#include "backends/nvptx/sim/PtxFloat.h"

#include "llvm/ADT/StringMap.h"

#include <cfenv>
#include <cmath>

using namespace kite::sim;
using llvm::StringRef;

namespace {

using Ins = PtxInstruction;

uint64_t maskTo(uint64_t v, unsigned bits) {
  return bits >= 64 ? v : v & ((uint64_t(1) << bits) - 1);
}
int64_t signExtend(uint64_t v, unsigned bits) {
  return bits >= 64 ? int64_t(v) : int64_t(v << (64 - bits)) >> (64 - bits);
}

int roundingOf(const Ins &in) {
  if (in.has("rz") || in.has("rzi"))
    return FE_TOWARDZERO;
  if (in.has("rm") || in.has("rmi"))
    return FE_DOWNWARD;
  if (in.has("rp") || in.has("rpi"))
    return FE_UPWARD;
  return FE_TONEAREST;
}

/// Applies a float function to each lane of `type` (f32, f64, f16, bf16,
/// f16x2, bf16x2), with the instruction's rounding, ftz and sat.
template <typename F>
uint64_t floatLanes(const Ins &in, StringRef type, F fn, uint64_t a,
                    uint64_t b = 0, uint64_t c = 0) {
  int saved = std::fegetround();
  std::fesetround(roundingOf(in));
  bool ftz = in.has("ftz"), sat = in.has("sat");
  auto post = [&](double r) {
    if (sat)
      r = std::isnan(r) ? 0.0 : std::fmin(std::fmax(r, 0.0), 1.0);
    return r;
  };
  auto pre = [&](double x, bool single) {
    if (ftz && single && std::fpclassify(float(x)) == FP_SUBNORMAL)
      return std::copysign(0.0, x);
    return x;
  };
  uint64_t result = 0;
  if (type == "f64") {
    volatile double x = bitsToDouble(a), y = bitsToDouble(b),
                    z = bitsToDouble(c);
    result = doubleToBits(post(fn(double(x), double(y), double(z))));
  } else if (type == "f32" || type == "tf32") {
    volatile float x = bitsToFloat(uint32_t(a)), y = bitsToFloat(uint32_t(b)),
                   z = bitsToFloat(uint32_t(c));
    float r = float(post(fn(pre(x, true), pre(y, true), pre(z, true))));
    if (ftz && std::fpclassify(r) == FP_SUBNORMAL)
      r = std::copysign(0.0f, r);
    result = floatToBits(r);
  } else {
    bool bf = type.starts_with("bf");
    unsigned lanes = type.ends_with("x2") ? 2 : 1;
    for (unsigned lane = 0; lane < lanes; ++lane) {
      auto load = [&](uint64_t v) {
        uint16_t h = uint16_t(v >> (16 * lane));
        return bf ? bf16ToFloat(h) : halfToFloat(h);
      };
      float r = float(post(fn(load(a), load(b), load(c))));
      uint16_t h = bf ? floatToBf16(r) : floatToHalf(r);
      result |= uint64_t(h) << (16 * lane);
    }
  }
  std::fesetround(saved);
  return result;
}

void binaryInt(PtxExec &e, const Ins &in, StringRef op) {
  StringRef type = in.type();
  unsigned bits = ptxTypeBits(type);
  uint64_t a = e.get(in.operands[1], bits), b = e.get(in.operands[2], bits);
  uint64_t r = 0;
  bool sgn = isSignedType(type);
  if (op == "add" || op == "addc") {
    unsigned __int128 sum =
        (unsigned __int128)a + b + (op == "addc" ? unsigned(e.carry) : 0u);
    r = uint64_t(sum);
    if (in.has("cc"))
      e.carry = bits >= 64 ? (sum >> 64) != 0 : (r >> bits) & 1;
    if (in.has("sat") && sgn) {
      int64_t s = signExtend(a, bits) + signExtend(b, bits);
      int64_t lo = signExtend(uint64_t(1) << (bits - 1), bits);
      int64_t hi = -(lo + 1);
      r = uint64_t(std::min(std::max(s, lo), hi));
    }
  } else if (op == "sub" || op == "subc") {
    uint64_t borrowIn = op == "subc" ? unsigned(e.carry) : 0u;
    r = a - b - borrowIn;
    if (in.has("cc"))
      e.carry = (unsigned __int128)a < (unsigned __int128)b + borrowIn;
  } else if (op == "mul") {
    if (in.has("hi")) {
      if (sgn)
        r = uint64_t((__int128(signExtend(a, bits)) * signExtend(b, bits)) >>
                     bits);
      else
        r = uint64_t(((unsigned __int128)a * b) >> bits);
    } else if (in.has("wide")) {
      r = sgn ? uint64_t(signExtend(a, bits) * signExtend(b, bits)) : a * b;
      e.set(in.operands[0], r, 2 * bits);
      return;
    } else {
      r = a * b;
    }
  } else if (op == "min" || op == "max") {
    bool less = sgn ? signExtend(a, bits) < signExtend(b, bits) : a < b;
    r = (op == "min") == less ? a : b;
  } else if (op == "div" || op == "rem") {
    if (b == 0) {
      r = op == "div" ? ~uint64_t(0) : a;
    } else if (sgn) {
      int64_t x = signExtend(a, bits), y = signExtend(b, bits);
      if (y == -1)
        r = op == "div" ? uint64_t(-x) : 0;
      else
        r = uint64_t(op == "div" ? x / y : x % y);
    } else {
      r = op == "div" ? a / b : a % b;
    }
  } else if (op == "and") {
    r = a & b;
  } else if (op == "or") {
    r = a | b;
  } else if (op == "xor") {
    r = a ^ b;
  } else if (op == "shl" || op == "shr") {
    uint64_t amount = e.get(in.operands[2], 32);
    if (amount >= bits)
      r = op == "shr" && sgn && (a >> (bits - 1) & 1) ? ~uint64_t(0) : 0;
    else if (op == "shl")
      r = a << amount;
    else
      r = sgn ? uint64_t(signExtend(a, bits) >> amount) : a >> amount;
  }
  e.set(in.operands[0], maskTo(r, bits), bits);
}

void arith(PtxExec &e, const Ins &in) {
  const std::string &op = in.modifiers[0];
  StringRef type = in.type();
  unsigned bits = ptxTypeBits(type);
  if (!bits)
    e.fail(in, "no operand type");
  if (in.operands.size() < 3)
    e.fail(in, "expects three operands");
  if (type == "pred") {
    uint64_t a = e.get(in.operands[1], 1), b = e.get(in.operands[2], 1);
    uint64_t r = op == "and" ? a & b : op == "or" ? a | b : a ^ b;
    e.set(in.operands[0], r, 1);
    return;
  }
  if (!isFloatType(type) || op == "and" || op == "or" || op == "xor")
    return binaryInt(e, in, op);
  uint64_t a = e.get(in.operands[1], bits), b = e.get(in.operands[2], bits);
  uint64_t r;
  if (op == "add")
    r = floatLanes(
        in, type, [](double x, double y, double) { return x + y; }, a, b);
  else if (op == "sub")
    r = floatLanes(
        in, type, [](double x, double y, double) { return x - y; }, a, b);
  else if (op == "mul")
    r = floatLanes(
        in, type, [](double x, double y, double) { return x * y; }, a, b);
  else if (op == "div")
    r = floatLanes(
        in, type, [](double x, double y, double) { return x / y; }, a, b);
  else if (op == "min" || op == "max") {
    bool isMin = op == "min", nanPropagates = in.has("NaN");
    r = floatLanes(
        in, type,
        [=](double x, double y, double) {
          if (std::isnan(x) || std::isnan(y))
            return nanPropagates ? NAN : std::isnan(x) ? y : x;
          if (x == y)
            return isMin ? (std::signbit(x) ? x : y)
                         : (std::signbit(x) ? y : x);
          return isMin ? std::fmin(x, y) : std::fmax(x, y);
        },
        a, b);
  } else
    e.fail(in, "unknown float operation");
  e.set(in.operands[0], r, bits);
}

void multiplyAdd(PtxExec &e, const Ins &in) {
  const std::string &op = in.modifiers[0]; // mad, madc, fma
  StringRef type = in.type();
  unsigned bits = ptxTypeBits(type);
  if (in.operands.size() < 4)
    e.fail(in, "expects four operands");
  uint64_t a = e.get(in.operands[1], bits), b = e.get(in.operands[2], bits),
           c = e.get(in.operands[3], bits);
  if (isFloatType(type)) {
    uint64_t r = floatLanes(
        in, type,
        [](double x, double y, double z) { return std::fma(x, y, z); }, a, b,
        c);
    e.set(in.operands[0], r, bits);
    return;
  }
  bool sgn = isSignedType(type);
  unsigned __int128 product;
  if (sgn)
    product = (unsigned __int128)(__int128(signExtend(a, bits)) *
                                  signExtend(b, bits));
  else
    product = (unsigned __int128)a * b;
  uint64_t part;
  unsigned resultBits = bits;
  if (in.has("hi"))
    part = uint64_t(product >> bits);
  else if (in.has("wide")) {
    part = uint64_t(product);
    resultBits = 2 * bits;
    c = e.get(in.operands[3], resultBits);
  } else
    part = uint64_t(product);
  part = maskTo(part, resultBits);
  unsigned __int128 sum =
      (unsigned __int128)part + c + (op == "madc" ? unsigned(e.carry) : 0u);
  uint64_t r = maskTo(uint64_t(sum), resultBits);
  if (in.has("cc"))
    e.carry =
        resultBits >= 64 ? (sum >> 64) != 0 : (uint64_t(sum) >> resultBits) & 1;
  e.set(in.operands[0], r, resultBits);
}

void unary(PtxExec &e, const Ins &in) {
  const std::string &op = in.modifiers[0];
  StringRef type = in.type();
  unsigned bits = ptxTypeBits(type);
  uint64_t a = e.get(in.operands[1], bits);
  uint64_t r = 0;
  if (op == "not" || op == "cnot") {
    r = op == "not" ? ~a : (a == 0);
  } else if (op == "popc") {
    r = __builtin_popcountll(a);
    bits = 32;
  } else if (op == "clz") {
    r = a == 0 ? bits : __builtin_clzll(a) - (64 - bits);
    bits = 32;
  } else if (op == "brev") {
    for (unsigned i = 0; i < bits; ++i)
      r |= ((a >> i) & 1) << (bits - 1 - i);
  } else if (isFloatType(type)) {
    auto fn = [&](double x) -> double {
      if (op == "neg")
        return -x;
      if (op == "abs")
        return std::fabs(x);
      if (op == "rcp")
        return 1.0 / x;
      if (op == "sqrt")
        return std::sqrt(x);
      if (op == "rsqrt")
        return x == 0 ? std::copysign(INFINITY, x) : 1.0 / std::sqrt(x);
      if (op == "ex2")
        return std::exp2(x);
      if (op == "lg2")
        return std::log2(x);
      if (op == "sin")
        return std::sin(x);
      if (op == "cos")
        return std::cos(x);
      if (op == "tanh")
        return std::tanh(x);
      e.fail(in, "unknown operation");
    };
    // Approximate f32 instructions compute in f32.
    r = floatLanes(
        in, type,
        [&](double x, double, double) {
          return type == "f64" ? fn(x) : double(float(fn(float(x))));
        },
        a);
  } else if (op == "neg") {
    r = uint64_t(-int64_t(a));
  } else if (op == "abs") {
    int64_t s = signExtend(a, bits);
    r = uint64_t(s < 0 ? -s : s);
  } else {
    e.fail(in, "unknown operation");
  }
  e.set(in.operands[0], maskTo(r, bits), bits);
}

void move(PtxExec &e, const Ins &in) {
  unsigned bits = in.typeBits;
  if (in.operands.size() != 2 || !bits)
    e.fail(in, "expects a typed destination and a source");
  e.set(in.operands[0], e.get(in.operands[1], bits), bits);
}

bool compare(StringRef cmp, double x, double y) {
  bool unordered = std::isnan(x) || std::isnan(y);
  if (cmp == "num")
    return !unordered;
  if (cmp == "nan")
    return unordered;
  bool u = cmp.size() == 3 && cmp.back() == 'u';
  StringRef base = u ? cmp.drop_back() : cmp;
  if (unordered)
    return u;
  if (base == "eq")
    return x == y;
  if (base == "ne")
    return x != y;
  if (base == "lt")
    return x < y;
  if (base == "le")
    return x <= y;
  if (base == "gt")
    return x > y;
  return x >= y;
}

void setp(PtxExec &e, const Ins &in) {
  StringRef type = in.type();
  unsigned bits = ptxTypeBits(type);
  StringRef cmp = in.modifiers.size() > 1 ? StringRef(in.modifiers[1]) : "";
  uint64_t a = e.get(in.operands[1], bits), b = e.get(in.operands[2], bits);
  bool r;
  if (type == "f32" || type == "f64" || type == "f16" || type == "bf16") {
    double x, y;
    if (type == "f32")
      x = bitsToFloat(uint32_t(a)), y = bitsToFloat(uint32_t(b));
    else if (type == "f64")
      x = bitsToDouble(a), y = bitsToDouble(b);
    else if (type == "f16")
      x = halfToFloat(uint16_t(a)), y = halfToFloat(uint16_t(b));
    else
      x = bf16ToFloat(uint16_t(a)), y = bf16ToFloat(uint16_t(b));
    r = compare(cmp, x, y);
  } else {
    bool sgn = isSignedType(type);
    int64_t sa = signExtend(a, bits), sb = signExtend(b, bits);
    if (cmp == "eq")
      r = a == b;
    else if (cmp == "ne")
      r = a != b;
    else if (cmp == "lt")
      r = sgn ? sa < sb : a < b;
    else if (cmp == "le")
      r = sgn ? sa <= sb : a <= b;
    else if (cmp == "gt")
      r = sgn ? sa > sb : a > b;
    else if (cmp == "ge")
      r = sgn ? sa >= sb : a >= b;
    else if (cmp == "lo")
      r = a < b;
    else if (cmp == "ls")
      r = a <= b;
    else if (cmp == "hi")
      r = a > b;
    else if (cmp == "hs")
      r = a >= b;
    else
      e.fail(in, "unknown comparison");
  }
  // setp.cmp[.bop] p[|q], a, b[, c]: p = t BOP c, q = !t BOP c.
  auto combine = [&](bool t) {
    if (in.operands.size() <= 3)
      return t;
    bool c = e.get(in.operands[3], 1);
    if (in.has("and"))
      return t && c;
    if (in.has("or"))
      return t || c;
    return t != c;
  };
  const PtxOperand &p = in.operands[0];
  if (p.kind != PtxOperand::Kind::Pair) {
    e.set(p, combine(r), 1);
    return;
  }
  e.set(p.elements[0], combine(r), 1);
  e.set(p.elements[1], combine(!r), 1);
}

void selp(PtxExec &e, const Ins &in) {
  unsigned bits = in.typeBits;
  bool p = e.get(in.operands[3], 1);
  e.set(in.operands[0], e.get(in.operands[p ? 1 : 2], bits), bits);
}

/// A value of float `type` as a double.
double floatValue(StringRef type, uint64_t bits) {
  if (type == "f64")
    return bitsToDouble(bits);
  if (type == "f32" || type == "tf32")
    return bitsToFloat(uint32_t(bits));
  if (type == "f16")
    return halfToFloat(uint16_t(bits));
  return bf16ToFloat(uint16_t(bits));
}

uint64_t floatBits(const Ins &in, StringRef type, double v) {
  bool rz = in.has("rz");
  if (type == "f64")
    return doubleToBits(v);
  if (type == "f32") {
    int saved = std::fegetround();
    std::fesetround(roundingOf(in));
    volatile double x = v;
    float f = float(x);
    std::fesetround(saved);
    return floatToBits(f);
  }
  if (type == "tf32")
    return floatToTf32(float(v));
  if (type == "f16")
    return floatToHalf(float(v), rz);
  return floatToBf16(float(v), rz);
}

void convert(PtxExec &e, const Ins &in) {
  // cvt[.rnd][.ftz][.sat].dtype.atype d, a   (and the packing forms
  // cvt.rn.f16x2.f32 d, a, b: d = {cvt(b) low, cvt(a) high})
  std::vector<StringRef> types;
  for (const std::string &m : in.modifiers)
    if (ptxTypeBits(m))
      types.push_back(m);
  if (types.size() != 2)
    e.fail(in, "expects a destination and a source type");
  StringRef to = types[0], from = types[1];
  unsigned toBits = ptxTypeBits(to), fromBits = ptxTypeBits(from);
  if ((to == "f16x2" || to == "bf16x2") && in.operands.size() == 3) {
    StringRef lane = to == "f16x2" ? "f16" : "bf16";
    double hi = floatValue(from, e.get(in.operands[1], fromBits));
    double lo = floatValue(from, e.get(in.operands[2], fromBits));
    if (in.has("relu"))
      hi = std::isnan(hi) ? hi : std::fmax(hi, 0.0),
      lo = std::isnan(lo) ? lo : std::fmax(lo, 0.0);
    uint64_t r = floatBits(in, lane, lo) | (floatBits(in, lane, hi) << 16);
    e.set(in.operands[0], r, 32);
    return;
  }
  // fp8 pairs, as the intrinsics (NvvmConversions.cpp):
  // cvt.rn.satfinite.{e4m3x2,e5m2x2}.f32 d, a, b (a's code high) and
  // .f16x2 d, a (the high half's code high); cvt.rn.f16x2.{e4m3x2,e5m2x2}
  // d, a (the high byte's value high). No .relu.
  bool fp8To = to == "e4m3x2" || to == "e5m2x2";
  bool fp8From = from == "e4m3x2" || from == "e5m2x2";
  if ((fp8To || (fp8From && to == "f16x2")) && !in.has("relu")) {
    uint64_t a = e.get(in.operands[1], fromBits), r;
    if (fp8From) {
      bool e5m2 = from == "e5m2x2";
      r = uint64_t(fp8ToHalf(uint8_t(a >> 8), e5m2)) << 16 |
          fp8ToHalf(uint8_t(a), e5m2);
    } else {
      float hi, lo;
      if (from == "f32" && in.operands.size() == 3) {
        hi = bitsToFloat(uint32_t(a));
        lo = bitsToFloat(uint32_t(e.get(in.operands[2], 32)));
      } else if (from == "f16x2" && in.operands.size() == 2) {
        hi = halfToFloat(uint16_t(a >> 16));
        lo = halfToFloat(uint16_t(a));
      } else {
        e.fail(in, "this conversion is not implemented");
      }
      bool e5m2 = to == "e5m2x2";
      r = uint64_t(floatToFp8(hi, e5m2)) << 8 | floatToFp8(lo, e5m2);
    }
    e.set(in.operands[0], r, toBits);
    return;
  }
  if (ptxTypeBits(to) == 0 || to.ends_with("x2") || from.ends_with("x2") ||
      to.starts_with("e") || from.starts_with("e"))
    e.fail(in, "this conversion is not implemented");
  uint64_t a = e.get(in.operands[1], fromBits);
  uint64_t r;
  bool floatFrom = isFloatType(from), floatTo = isFloatType(to);
  if (floatFrom && floatTo) {
    double v = floatValue(from, a);
    if (in.has("rni"))
      v = std::nearbyint(v);
    else if (in.has("rzi"))
      v = std::trunc(v);
    else if (in.has("rmi"))
      v = std::floor(v);
    else if (in.has("rpi"))
      v = std::ceil(v);
    if (in.has("sat"))
      v = std::isnan(v) ? 0 : std::fmin(std::fmax(v, 0.0), 1.0);
    if (in.has("ftz") && std::fpclassify(float(v)) == FP_SUBNORMAL)
      v = std::copysign(0.0, v);
    r = floatBits(in, to, v);
  } else if (floatFrom) {
    double v = floatValue(from, a);
    if (in.has("rni") || in.has("rn"))
      v = std::nearbyint(v);
    else if (in.has("rmi") || in.has("rm"))
      v = std::floor(v);
    else if (in.has("rpi") || in.has("rp"))
      v = std::ceil(v);
    else
      v = std::trunc(v);
    // Saturating, NaN to 0.
    double lo = isSignedType(to) ? -std::ldexp(1.0, toBits - 1) : 0.0;
    double hi = isSignedType(to) ? std::ldexp(1.0, toBits - 1) - 1
                                 : std::ldexp(1.0, toBits) - 1;
    if (std::isnan(v))
      r = 0;
    else if (v <= lo)
      r = uint64_t(int64_t(lo));
    else if (v >= hi)
      r = isSignedType(to) ? uint64_t(int64_t(hi))
                           : (toBits >= 64 ? ~uint64_t(0) : uint64_t(hi));
    else
      r = isSignedType(to) ? uint64_t(int64_t(v)) : uint64_t(v);
  } else if (floatTo) {
    double v = isSignedType(from) ? double(signExtend(a, fromBits)) : double(a);
    if (fromBits == 64) { // exact rounding for 64-bit integers
      int saved = std::fegetround();
      std::fesetround(roundingOf(in));
      volatile int64_t s = int64_t(a);
      volatile uint64_t u = a;
      float f = isSignedType(from) ? float(s) : float(u);
      double d = isSignedType(from) ? double(s) : double(u);
      std::fesetround(saved);
      r = to == "f32" ? floatToBits(f) : floatBits(in, to, d);
    } else {
      r = floatBits(in, to, v);
    }
  } else {
    // Integer to integer: sign- or zero-extend from the source, truncate.
    r = isSignedType(from) ? uint64_t(signExtend(a, fromBits)) : a;
    if (in.has("sat")) {
      int64_t s = isSignedType(from) ? signExtend(a, fromBits) : int64_t(a);
      int64_t lo = isSignedType(to) ? -(int64_t(1) << (toBits - 1)) : 0;
      int64_t hi = isSignedType(to) ? (int64_t(1) << (toBits - 1)) - 1
                                    : int64_t((uint64_t(1) << toBits) - 1);
      r = uint64_t(std::min(std::max(s, lo), hi));
    }
  }
  unsigned destinationBits = toBits;
  e.set(in.operands[0], maskTo(r, destinationBits), destinationBits);
}

void permute(PtxExec &e, const Ins &in) {
  // prmt.b32 d, a, b, c (default mode)
  uint32_t a = uint32_t(e.get(in.operands[1], 32)),
           b = uint32_t(e.get(in.operands[2], 32)),
           c = uint32_t(e.get(in.operands[3], 32));
  if (in.modifiers.size() > 2)
    e.fail(in, "prmt modes other than the default are not implemented");
  uint64_t bytes = (uint64_t(b) << 32) | a;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) {
    uint32_t s = (c >> (4 * i)) & 0xf;
    uint32_t byte = uint32_t(bytes >> (8 * (s & 7))) & 0xff;
    if (s & 8)
      byte = (byte & 0x80) ? 0xff : 0;
    r |= byte << (8 * i);
  }
  e.set(in.operands[0], r, 32);
}

void logic3(PtxExec &e, const Ins &in) {
  // lop3.b32 d, a, b, c, immLut
  uint64_t a = e.get(in.operands[1], 32), b = e.get(in.operands[2], 32),
           c = e.get(in.operands[3], 32);
  uint32_t lut = uint32_t(e.get(in.operands[4], 8));
  uint64_t r = 0;
  for (unsigned bit = 0; bit < 32; ++bit) {
    unsigned index =
        (((a >> bit) & 1) << 2) | (((b >> bit) & 1) << 1) | ((c >> bit) & 1);
    r |= uint64_t((lut >> index) & 1) << bit;
  }
  e.set(in.operands[0], r, 32);
}

void bitExtract(PtxExec &e, const Ins &in) {
  StringRef type = in.type();
  unsigned bits = ptxTypeBits(type);
  uint64_t a = e.get(in.operands[1], bits);
  unsigned pos = unsigned(e.get(in.operands[2], 32) & 0xff),
           len = unsigned(e.get(in.operands[3], 32) & 0xff);
  uint64_t r = 0;
  for (unsigned i = 0; i < bits; ++i) {
    uint64_t bit;
    if (i < len && pos + i < bits)
      bit = (a >> (pos + i)) & 1;
    else if (isSignedType(type) && len > 0)
      bit = (a >> std::min(pos + len - 1, bits - 1)) & 1;
    else
      bit = 0;
    r |= bit << i;
  }
  e.set(in.operands[0], r, bits);
}

void noop(PtxExec &, const Ins &) {}

void policy(PtxExec &e, const Ins &in) {
  // createpolicy: a cache-eviction policy handle, which only hints.
  e.set(in.operands[0], 0, 64);
}

void addressConversion(PtxExec &e, const Ins &in) {
  // cvta[.to].space: generic and space addresses are the same host address.
  e.set(in.operands[0], e.get(in.operands[1], 64), 64);
}

} // namespace

PtxHandler kite::sim::findArithmeticHandler(StringRef opcode) {
  static const llvm::StringMap<PtxHandler> handlers = {
      {"add", arith},
      {"addc", arith},
      {"sub", arith},
      {"subc", arith},
      {"mul", arith},
      {"div", arith},
      {"rem", arith},
      {"min", arith},
      {"max", arith},
      {"and", arith},
      {"or", arith},
      {"xor", arith},
      {"shl", arith},
      {"shr", arith},
      {"mad", multiplyAdd},
      {"madc", multiplyAdd},
      {"fma", multiplyAdd},
      {"neg", unary},
      {"abs", unary},
      {"not", unary},
      {"cnot", unary},
      {"popc", unary},
      {"clz", unary},
      {"brev", unary},
      {"rcp", unary},
      {"sqrt", unary},
      {"rsqrt", unary},
      {"ex2", unary},
      {"lg2", unary},
      {"sin", unary},
      {"cos", unary},
      {"tanh", unary},
      {"mov", move},
      {"setp", setp},
      {"selp", selp},
      {"cvt", convert},
      {"prmt", permute},
      {"lop3", logic3},
      {"bfe", bitExtract},
      {"createpolicy", policy},
      {"cvta", addressConversion},
      {"pmevent", noop},
      {"nanosleep", noop},
  };
  auto found = handlers.find(opcode);
  return found == handlers.end() ? nullptr : found->second;
}

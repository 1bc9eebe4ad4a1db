#ifndef KITE_ENUMS_TD
#define KITE_ENUMS_TD

include "mlir/IR/EnumAttr.td"

// Stored as a plain i32 (`rmw_op = 1 : i32` in generic form) so the frontend
// needs no knowledge of the enum; the custom form prints the keyword.
def Kite_RMWOpAttr : I32EnumAttr<"RMWOp", "kite.atomic_rmw operation", [
    I32EnumAttrCase<"Add", 0, "add">,
    I32EnumAttrCase<"FAdd", 1, "fadd">,
    I32EnumAttrCase<"Max", 2, "max">,
    I32EnumAttrCase<"UMax", 3, "umax">,
    I32EnumAttrCase<"Min", 4, "min">,
    I32EnumAttrCase<"UMin", 5, "umin">,
    I32EnumAttrCase<"FMax", 6, "fmax">,
    I32EnumAttrCase<"FMin", 7, "fmin">,
    I32EnumAttrCase<"And", 8, "and">,
    I32EnumAttrCase<"Or", 9, "or">,
    I32EnumAttrCase<"Xor", 10, "xor">,
    I32EnumAttrCase<"Xchg", 11, "xchg">]> {
  let cppNamespace = "::mlir::kite";
}

// Memory ordering of an atomic, as Triton's `sem`: how the atomic orders the
// program's other memory accesses (docs/language.md, "Atomics").
def Kite_MemSemanticAttr : I32EnumAttr<"MemSemantic",
    "ordering of an atomic", [
    I32EnumAttrCase<"Relaxed", 0, "relaxed">,
    I32EnumAttrCase<"Acquire", 1, "acquire">,
    I32EnumAttrCase<"Release", 2, "release">,
    I32EnumAttrCase<"AcqRel", 3, "acq_rel">]> {
  let cppNamespace = "::mlir::kite";
}

// The threads an atomic's ordering applies to, as Triton's `scope`: those of
// one program (cta), of the device (gpu), or the device and the host (sys).
def Kite_MemScopeAttr : I32EnumAttr<"MemScope", "scope of an atomic", [
    I32EnumAttrCase<"GPU", 0, "gpu">,
    I32EnumAttrCase<"CTA", 1, "cta">,
    I32EnumAttrCase<"Sys", 2, "sys">]> {
  let cppNamespace = "::mlir::kite";
}

// Atomics are acq_rel at gpu scope unless they say otherwise (as in Triton).
def Kite_DefaultSemantic : DefaultValuedAttr<Kite_MemSemanticAttr,
                                             "::mlir::kite::MemSemantic::AcqRel">;
def Kite_DefaultScope : DefaultValuedAttr<Kite_MemScopeAttr,
                                          "::mlir::kite::MemScope::GPU">;

def Kite_RoundingModeAttr : I32EnumAttr<"RoundingMode",
    "kite.fp_to_fp rounding mode", [
    I32EnumAttrCase<"RTNE", 0, "rtne">,
    I32EnumAttrCase<"RTZ", 1, "rtz">]> {
  let cppNamespace = "::mlir::kite";
}

#endif // KITE_ENUMS_TD

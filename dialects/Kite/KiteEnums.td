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

def Kite_RoundingModeAttr : I32EnumAttr<"RoundingMode",
    "kite.fp_to_fp rounding mode", [
    I32EnumAttrCase<"RTNE", 0, "rtne">,
    I32EnumAttrCase<"RTZ", 1, "rtz">]> {
  let cppNamespace = "::mlir::kite";
}

#endif // KITE_ENUMS_TD

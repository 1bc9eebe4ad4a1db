#ifndef KITE_TYPES_TD
#define KITE_TYPES_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "dialects/Kite/KiteDialect.td"

def Kite_PtrType : TypeDef<Kite_Dialect, "Pointer"> {
  let mnemonic = "ptr";
  let summary = "a pointer to elements in global memory";
  let description = [{
    `!kite.ptr<f32>` points at `f32` elements. The pointee is an integer, a
    float, or another `!kite.ptr`.
  }];
  let parameters = (ins "::mlir::Type":$pointeeType);
  let assemblyFormat = "`<` $pointeeType `>`";
  let genVerifyDecl = 1;
  let builders = [
    TypeBuilderWithInferredContext<(ins "::mlir::Type":$pointeeType), [{
      return $_get(pointeeType.getContext(), pointeeType);
    }]>
  ];
  let skipDefaultBuilders = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints: "X-like" is a scalar X or a static tensor of X.
//===----------------------------------------------------------------------===//

def Kite_Ptr : Type<CPred<"::llvm::isa<::mlir::kite::PointerType>($_self)">,
                    "kite pointer", "::mlir::kite::PointerType">;
def Kite_Number : AnyTypeOf<[AnySignlessInteger, AnyFloat]>;
def Kite_Element : AnyTypeOf<[Kite_Number, Kite_Ptr], "number or kite pointer">;

class Kite_TensorOf<list<Type> elements> : StaticShapeTensorOf<elements>;
class Kite_Like<Type element>
    : AnyTypeOf<[element, Kite_TensorOf<[element]>]>;

def Kite_Tensor : Kite_TensorOf<[Kite_Element]>;
def Kite_Value : Kite_Like<Kite_Element>;
def Kite_PtrLike : Kite_Like<Kite_Ptr>;
def Kite_IntLike : Kite_Like<AnySignlessInteger>;
def Kite_I64Like : Kite_Like<I64>;
def Kite_FloatLike : Kite_Like<AnyFloat>;
def Kite_BoolLike : Kite_Like<I1>;

#endif // KITE_TYPES_TD

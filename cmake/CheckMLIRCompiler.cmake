# Checks that this compiler agrees with libMLIR.so on the TypeIDs of op traits.
#
# With hidden visibility, MLIR identifies a trait such as OpTrait::IsTerminator
# across shared libraries by a type name taken from __PRETTY_FUNCTION__, which
# Clang and GCC spell differently. If Kite and libMLIR.so are built by
# different compilers, code in one does not see the traits registered by the
# other: verification fails with "block with no terminator" and constant
# folding never fires. Fail early with a clear message instead.
if(DEFINED KITE_MLIR_COMPILER_OK)
  return()
endif()

set(_probe_dir ${PROJECT_BINARY_DIR}/CMakeFiles/kite-mlir-compiler-probe)
file(WRITE ${_probe_dir}/probe.cpp [=[
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
int main() {
  mlir::MLIRContext context;
  context.loadDialect<mlir::func::FuncDialect>();
  auto name = mlir::RegisteredOperationName::lookup("func.return", &context);
  return name && name->hasTrait<mlir::OpTrait::IsTerminator>() ? 0 : 1;
}
]=])
message(STATUS "Kite: checking that ${CMAKE_CXX_COMPILER_ID} agrees with libMLIR on trait TypeIDs")
try_run(_probe_run _probe_compiled ${_probe_dir} ${_probe_dir}/probe.cpp
  CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${MLIR_INCLUDE_DIRS};${LLVM_INCLUDE_DIRS}"
  COMPILE_DEFINITIONS -fno-rtti -fvisibility=hidden -fvisibility-inlines-hidden
  LINK_LIBRARIES MLIR LLVM
  CXX_STANDARD 17
  COMPILE_OUTPUT_VARIABLE _probe_output)
if(NOT _probe_compiled)
  message(FATAL_ERROR "Kite: could not build a program against MLIR:\n${_probe_output}")
endif()
if(NOT _probe_run EQUAL 0)
  message(FATAL_ERROR
    "Kite: ${CMAKE_CXX_COMPILER} (${CMAKE_CXX_COMPILER_ID}) does not agree with "
    "libMLIR.so on the TypeIDs of op traits (libMLIR.so was built by another "
    "compiler). Build with the compiler LLVM was built with: install clang and "
    "configure a fresh build directory, or pass -DCMAKE_CXX_COMPILER=clang++ "
    "-DCMAKE_C_COMPILER=clang.")
endif()
set(KITE_MLIR_COMPILER_OK TRUE CACHE INTERNAL "compiler agrees with libMLIR")

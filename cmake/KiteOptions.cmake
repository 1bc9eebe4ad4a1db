# Compile and link settings shared by Kite's compiler libraries. Nothing here
# is set directory-wide, so the Python module and the GoogleTest binaries see
# only include/kite/.

# Kite's compiler code matches LLVM's dialect of C++: no RTTI, no exceptions.
add_library(kite_compiler_options INTERFACE)
target_include_directories(kite_compiler_options INTERFACE
  ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}/include)
target_compile_options(kite_compiler_options INTERFACE
  -fno-rtti -fno-exceptions -Wall -Wno-unused-parameter)

# LLVM/MLIR for the compiler libraries. What a binary that contains them
# links: the shared libMLIR.so (which links libLLVM.so), for fast links and one
# copy of LLVM per process; or, with KITE_STATIC_LLVM, for libkite only (the
# target property KITE_LINKS_STATIC_LLVM), the static archives of
# cmake/KiteStaticLLVM.cmake. kite-opt and the tests of internals keep the
# shared libraries in both builds. The objects compile the same either way.
separate_arguments(KITE_LLVM_DEFINITIONS NATIVE_COMMAND "${LLVM_DEFINITIONS}")
add_library(kite_mlir INTERFACE)
target_include_directories(kite_mlir SYSTEM INTERFACE
  ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
target_compile_options(kite_mlir INTERFACE ${KITE_LLVM_DEFINITIONS})
if(KITE_STATIC_LLVM)
  include(KiteStaticLLVM)
  set(_static "$<BOOL:$<TARGET_PROPERTY:KITE_LINKS_STATIC_LLVM>>")
  target_link_libraries(kite_mlir INTERFACE
    $<${_static}:kite_mlir_static>
    $<$<NOT:${_static}>:MLIR> $<$<NOT:${_static}>:LLVM>)
else()
  target_link_libraries(kite_mlir INTERFACE MLIR LLVM)
endif()

# mlir_tablegen takes its -I paths from the directory's include directories.
macro(kite_tablegen_includes)
  include_directories(${MLIR_INCLUDE_DIRS} ${PROJECT_SOURCE_DIR})
endmacro()

# kite_add_compiler_library(<name> <sources>... [DEPENDS <targets>...]
#                           [LINK <targets>...])
# A static, position-independent library of compiler code, linked into
# libkite.so and into kite-opt.
function(kite_add_compiler_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PUBLIC kite_compiler_options kite_mlir
                        ${ARG_LINK})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
endfunction()

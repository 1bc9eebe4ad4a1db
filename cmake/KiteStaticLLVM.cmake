# KITE_STATIC_LLVM: the static LLVM/MLIR archives that libkite links instead
# of the shared libMLIR.so and libLLVM.so, so that libkite runs on a machine
# without LLVM (docs/build.md). Defines the interface target kite_mlir_static.
#
# The roots are the MLIR libraries whose headers Kite includes and the LLVM
# components that MLIR's own libraries need; their static dependencies follow
# from MLIR's and LLVM's exported CMake targets. Debian's MLIR targets name the
# LLVM dylib ("LLVM") as a dependency: that name stands for the LLVM roots.

# MLIR libraries Kite uses directly, by concern.
set(KITE_STATIC_MLIR_ROOTS
  # Core IR, interfaces, parsing, passes, rewriting.
  MLIRIR MLIRSupport MLIRBytecodeOpInterface MLIRFunctionInterfaces
  MLIRSideEffectInterfaces MLIRParser MLIRPass MLIRTransforms MLIRTransformUtils
  # Upstream dialects of Kite's pipelines.
  MLIRArithDialect MLIRControlFlowDialect MLIRFuncDialect
  MLIRFuncInlinerExtension MLIRGPUDialect MLIRLLVMDialect MLIRNVVMDialect
  MLIRMathDialect MLIRMathTransforms MLIRMemRefDialect MLIRSCFDialect
  MLIRSCFTransforms MLIRSPIRVDialect MLIRSPIRVTransforms MLIRSPIRVConversion
  MLIRUBDialect MLIRVectorDialect
  # Thread-level IR to the LLVM dialect with NVVM (backends/nvptx/emitter).
  MLIRArithToLLVM MLIRControlFlowToLLVM MLIRFuncToLLVM MLIRGPUToNVVMTransforms
  MLIRLLVMCommonConversion MLIRMathToLLVM MLIRMemRefToLLVM MLIRUBToLLVM
  MLIRVectorToLLVM MLIRReconcileUnrealizedCasts MLIRSCFToControlFlow
  # Thread-level IR to SPIR-V (backends/spirv/emitter).
  MLIRArithToSPIRV MLIRFuncToSPIRV MLIRGPUToSPIRV MLIRMathToSPIRV
  MLIRMemRefToSPIRV MLIRSCFToSPIRV MLIRUBToSPIRV MLIRVectorToSPIRV
  # LLVM IR export (for PTX) and SPIR-V serialization.
  MLIRBuiltinToLLVMIRTranslation MLIRLLVMToLLVMIRTranslation
  MLIRNVVMToLLVMIRTranslation MLIRTargetLLVMIRExport MLIRSPIRVSerialization
  # kite-opt's driver (kite::optMain), so that a wheel carries kite-opt.
  MLIROptLib)

# LLVM components: the NVPTX target and the O3 pipeline for PTX, and what
# MLIR's libraries use of LLVM (they list only the dylib).
set(KITE_STATIC_LLVM_ROOTS
  LLVMNVPTXCodeGen LLVMNVPTXDesc LLVMNVPTXInfo LLVMPasses
  LLVMCore LLVMSupport LLVMTargetParser LLVMFrontendOpenMP
  # libdevice: read as bitcode and linked into the module (Libdevice.cpp).
  LLVMBitReader LLVMLinker
  # cuda-sim (backends/nvptx/sim): the ORC JIT and the host target.
  LLVMOrcJIT LLVMIRReader LLVMX86CodeGen LLVMX86AsmParser LLVMX86Desc LLVMX86Info)

# kite_collect_static_archives(<out-var> <targets>...): the imported static
# libraries <targets> need, as archive paths. Shared and system libraries in
# their interfaces are left out (zlib and zstd are linked statically below).
function(kite_collect_static_archives out)
  set(pending ${ARGN})
  set(seen)
  set(archives)
  while(pending)
    list(POP_FRONT pending name)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" name "${name}")
    if(name IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${name})
    if(name STREQUAL "LLVM")
      list(APPEND pending ${KITE_STATIC_LLVM_ROOTS})
      continue()
    endif()
    if(NOT TARGET ${name})
      continue()
    endif()
    get_target_property(type ${name} TYPE)
    if(NOT type STREQUAL "STATIC_LIBRARY")
      continue()
    endif()
    get_target_property(configs ${name} IMPORTED_CONFIGURATIONS)
    list(GET configs 0 config)
    get_target_property(location ${name} IMPORTED_LOCATION_${config})
    list(APPEND archives ${location})
    get_target_property(deps ${name} INTERFACE_LINK_LIBRARIES)
    if(deps)
      list(APPEND pending ${deps})
    endif()
  endwhile()
  set(${out} ${archives} PARENT_SCOPE)
endfunction()

kite_collect_static_archives(KITE_STATIC_ARCHIVES
  ${KITE_STATIC_MLIR_ROOTS} ${KITE_STATIC_LLVM_ROOTS})
list(LENGTH KITE_STATIC_ARCHIVES _count)
message(STATUS "Kite: libkite links ${_count} static LLVM/MLIR archives")

# LLVMSupport calls zlib and zstd (compressed sections, reachable from the
# object writers that the NVPTX target's vtables keep alive). Their static
# archives keep libkite free of libz.so and libzstd.so.
find_library(KITE_ZLIB_ARCHIVE NAMES libz.a)
find_library(KITE_ZSTD_ARCHIVE NAMES libzstd.a)
if(NOT KITE_ZLIB_ARCHIVE OR NOT KITE_ZSTD_ARCHIVE)
  message(FATAL_ERROR "KITE_STATIC_LLVM needs the static zlib and zstd "
                      "(apt-get install zlib1g-dev libzstd-dev)")
endif()

# The archives depend on each other in cycles, so the linker searches them as
# one group. Unreferenced code is dropped (LLVM's archives are built with
# -ffunction-sections), and libstdc++/libgcc are linked in so that the
# machine's C++ runtime does not matter; --exclude-libs keeps them hidden.
# lld, where Clang can use it, links in seconds instead of a minute.
add_library(kite_mlir_static INTERFACE)
target_sources(kite_mlir_static INTERFACE
  ${PROJECT_SOURCE_DIR}/lib/StaticLink/GlibcCompat.cpp)
target_link_libraries(kite_mlir_static INTERFACE
  -Wl,--start-group ${KITE_STATIC_ARCHIVES} -Wl,--end-group
  ${KITE_ZSTD_ARCHIVE} ${KITE_ZLIB_ARCHIVE} ${CMAKE_DL_LIBS} m)
target_link_options(kite_mlir_static INTERFACE
  -static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,--as-needed)
include(CheckLinkerFlag)
check_linker_flag(CXX -fuse-ld=lld KITE_LINKER_LLD)
if(KITE_LINKER_LLD)
  target_link_options(kite_mlir_static INTERFACE -fuse-ld=lld)
endif()

# `cmake --install`: libkite, the public headers (include/kite) and a CMake
# package (KiteConfig.cmake, target kite::kite), so that the Python binding
# (python/src as a project of its own) or a C++ program builds against an
# installed libkite on a machine without LLVM or MLIR (docs/build.md).
# A wheel (SKBUILD) installs only kite/_C and kite/libkite: python/src.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(KITE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Kite)
target_include_directories(kite INTERFACE
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
if(NOT KITE_STATIC_LLVM)
  # An installed libkite over the shared LLVM still needs to find libMLIR.so.
  set_target_properties(kite PROPERTIES INSTALL_RPATH ${LLVM_LIBRARY_DIR})
endif()

install(TARGETS kite EXPORT KiteTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/kite
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT KiteTargets NAMESPACE kite:: DESTINATION ${KITE_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/KiteConfig.cmake.in
  ${PROJECT_BINARY_DIR}/KiteConfig.cmake
  INSTALL_DESTINATION ${KITE_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/KiteConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/KiteConfig.cmake
  ${PROJECT_BINARY_DIR}/KiteConfigVersion.cmake
  DESTINATION ${KITE_INSTALL_CMAKEDIR})

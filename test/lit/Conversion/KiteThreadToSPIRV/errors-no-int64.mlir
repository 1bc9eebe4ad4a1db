// Without shaderInt64 there are no 64-bit values, and no launch arguments:
// they are read through a 64-bit device address.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv=int64=false --verify-diagnostics

module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @no_int64() attributes {kite.kernel} {
    // expected-error @+1 {{uses 'i64', which the SPIR-V target does not enable; the Vulkan device feature it needs: shaderInt64 (int64)}}
    %a = kitethread.kernel_arg 0 : i64
    return
  }
}

// -----

module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @no_arguments() attributes {kite.kernel} {
    // expected-error @+1 {{launch arguments are read through a 64-bit device address, which needs the Vulkan device feature shaderInt64 (int64)}}
    %a = kitethread.kernel_arg 0 : i32
    return
  }
}

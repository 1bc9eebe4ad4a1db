// What the SPIR-V target cannot take, reported with the Vulkan feature it
// needs, and malformed thread-level modules.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv --verify-diagnostics

module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @f16_disabled() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    // expected-error @+1 {{uses 'f16', which the SPIR-V target does not enable; the Vulkan device feature it needs: shaderFloat16 and storageBuffer16BitAccess (float16)}}
    %v = kitethread.load %a align 4 : vector<2xf16>
    kitethread.store %a, %v align 4 : vector<2xf16>
    return
  }
}

// -----

module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @i8_disabled() attributes {kite.kernel} {
    // expected-error @+1 {{uses 'i8', which the SPIR-V target does not enable; the Vulkan device feature it needs: shaderInt8 and storageBuffer8BitAccess (int8)}}
    %a = kitethread.kernel_arg 0 : i8
    return
  }
}

// -----

module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @i16_and_f64_disabled() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    // expected-error @+1 {{uses 'i16', which the SPIR-V target does not enable; the Vulkan device feature it needs: shaderInt16 and storageBuffer16BitAccess (int16)}}
    %x = kitethread.load %a align 2 : i16
    // expected-error @+1 {{uses 'f64', which the SPIR-V target does not enable; the Vulkan device feature it needs: shaderFloat64 (float64)}}
    %y = arith.sitofp %x : i16 to f64
    return
  }
}

// -----

module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @wide_vector() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    // expected-error @+1 {{'vector<8xi16>' cannot be a SPIR-V vector for Vulkan: vectors have one dimension of at most 4 elements}}
    %v = kitethread.load %a align 16 : vector<8xi16>
    return
  }
}

// -----

module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @shuffle_width() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : f32
    %o = arith.constant 1 : i32
    %w = arith.constant 16 : i32
    // expected-error @+1 {{gpu.shuffle must span the whole subgroup: its width must be the constant 32 (option subgroup-size)}}
    %s, %v = gpu.shuffle xor %x, %o, %w : f32
    return
  }
}

// -----

// expected-error @+1 {{launch argument 0 is never read, so its type (and the place of the arguments after it) is unknown; list the argument types in 'kitethread.arg-types'}}
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @unread_argument() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 1 : f32
    return
  }
}

// -----

module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @argument_types_disagree() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : f32
    // expected-error @+1 {{launch argument 0 read as 'i32' but elsewhere as 'f32'}}
    %y = kitethread.kernel_arg 0 : i32
    return
  }
}

// -----

module attributes {"kitethread.num-threads" = 32 : i32, "kitethread.arg-types" = [f32]} {
  func.func @argument_not_listed() attributes {kite.kernel} {
    // expected-error @+1 {{launch argument 1 is out of range: 'kitethread.arg-types' lists 1}}
    %x = kitethread.kernel_arg 1 : f32
    return
  }
}

// -----

// expected-error @+1 {{the module needs 'kitethread.num-threads' (threads per program)}}
module {
  func.func @no_num_threads() attributes {kite.kernel} {
    return
  }
}

// -----

// expected-error @+1 {{no func.func marked 'kite.kernel'}}
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @helper() {
    return
  }
}

// -----

module attributes {"kitethread.num-threads" = 32 : i32} {
  // expected-error @+1 {{a thread-level kernel takes no arguments and returns nothing (launch arguments are kitethread.kernel_arg)}}
  func.func @with_arguments(%a: i64) attributes {kite.kernel} {
    return
  }
}

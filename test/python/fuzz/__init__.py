"""The random-kernel fuzzer: kernel_generator writes kernels, extreme_values
their inputs, compare judges a device's results against the interpreter's."""

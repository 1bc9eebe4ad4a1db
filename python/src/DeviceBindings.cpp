//===- DeviceBindings.cpp - kite._C: devices, buffers, kernels ------------===//
//
// kite::Device and its handles for Python. A failing call raises
// kite._C.DeviceError (a RuntimeError) with the C++ message, which names the
// failing call, e.g. "vkAllocateMemory failed: VK_ERROR_OUT_OF_DEVICE_MEMORY"
// or "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY".
//
//===----------------------------------------------------------------------===//
#include "Bindings.h"
#include "kite/Device.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>

namespace py = pybind11;

namespace {

struct DeviceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(const kite::Status &status) {
  if (!status)
    throw DeviceError(status.message());
}

template <typename T> T take(kite::Result<T> result) {
  if (!result)
    throw DeviceError(result.message());
  return std::move(result).value();
}

/// The bytes of a C-contiguous object with the buffer protocol.
py::buffer_info contiguousBytes(const py::buffer &data, bool writable) {
  py::buffer_info info = data.request(writable);
  py::ssize_t stride = info.itemsize;
  for (py::ssize_t axis = info.ndim - 1; axis >= 0; --axis) {
    if (info.shape[axis] > 1 && info.strides[axis] != stride)
      throw py::value_error("the data must be C-contiguous");
    stride *= info.shape[axis];
  }
  return info;
}

uint64_t byteSize(const py::buffer_info &info) {
  return static_cast<uint64_t>(info.size) * info.itemsize;
}

std::array<uint32_t, 3> toGrid(const py::object &grid) {
  std::array<uint32_t, 3> dims{1, 1, 1};
  if (py::isinstance<py::int_>(grid)) {
    dims[0] = grid.cast<uint32_t>();
    return dims;
  }
  auto values = grid.cast<std::vector<uint32_t>>();
  if (values.empty() || values.size() > 3)
    throw py::value_error("grid must have 1 to 3 dimensions");
  std::copy(values.begin(), values.end(), dims.begin());
  return dims;
}

std::string propertiesRepr(const kite::DeviceProperties &p) {
  std::string api = p.backend == "cuda" ? "CUDA " + p.apiVersion + ", " + p.arch
                                        : "Vulkan " + p.apiVersion;
  return "<kite._C.DeviceProperties " + p.name + ": " + p.deviceName + " (" +
         p.driverName + ", " + api + ")>";
}

/// A KernelSpec's code from Python bytes (or str, for PTX).
void setKernelImage(kite::KernelSpec &spec, const py::object &image) {
  std::string bytes = py::isinstance<py::str>(image)
                          ? image.cast<std::string>()
                          : std::string(image.cast<py::bytes>());
  if (spec.format != kite::KernelFormat::Spirv) {
    spec.image = std::move(bytes);
    return;
  }
  if (bytes.size() % 4)
    throw DeviceError("load_kernel: SPIR-V must be whole 32-bit words");
  spec.spirv.resize(bytes.size() / 4);
  std::memcpy(spec.spirv.data(), bytes.data(), bytes.size());
}

} // namespace

void kite::python::bindDevice(py::module_ &m) {
  py::register_exception<DeviceError>(m, "DeviceError", PyExc_RuntimeError);

  // Field for field, in snake_case (see include/kite/Device.h).
  py::class_<DeviceProperties> properties(m, "DeviceProperties");
  properties.def_readonly("name", &DeviceProperties::name);
  properties.def_readonly("backend", &DeviceProperties::backend);
  properties.def_readonly("device_name", &DeviceProperties::deviceName);
  properties.def_readonly("device_type", &DeviceProperties::deviceType);
  properties.def_readonly("vendor", &DeviceProperties::vendor);
  properties.def_readonly("vendor_id", &DeviceProperties::vendorId);
  properties.def_readonly("device_id", &DeviceProperties::deviceId);
  properties.def_readonly("driver_name", &DeviceProperties::driverName);
  properties.def_readonly("driver_info", &DeviceProperties::driverInfo);
  properties.def_readonly("driver_version", &DeviceProperties::driverVersion);
  properties.def_readonly("api_version", &DeviceProperties::apiVersion);
  properties.def_readonly("uuid", &DeviceProperties::uuid);
  properties.def_readonly("arch", &DeviceProperties::arch);
  properties.def_readonly("multiprocessor_count",
                          &DeviceProperties::multiprocessorCount);
  properties.def_readonly("memory_bytes", &DeviceProperties::memoryBytes);
  properties.def_readonly("subgroup_size", &DeviceProperties::subgroupSize);
  properties.def_readonly("min_subgroup_size",
                          &DeviceProperties::minSubgroupSize);
  properties.def_readonly("max_subgroup_size",
                          &DeviceProperties::maxSubgroupSize);
  properties.def_readonly("max_shared_memory_bytes",
                          &DeviceProperties::maxSharedMemoryBytes);
  properties.def_readonly("max_push_constant_bytes",
                          &DeviceProperties::maxPushConstantBytes);
  properties.def_readonly("max_work_group_count",
                          &DeviceProperties::maxWorkGroupCount);
  properties.def_readonly("max_work_group_size",
                          &DeviceProperties::maxWorkGroupSize);
  properties.def_readonly("max_work_group_invocations",
                          &DeviceProperties::maxWorkGroupInvocations);
  properties.def_readonly("max_allocation_bytes",
                          &DeviceProperties::maxAllocationBytes);
  properties.def_readonly("int8", &DeviceProperties::int8);
  properties.def_readonly("int16", &DeviceProperties::int16);
  properties.def_readonly("int64", &DeviceProperties::int64);
  properties.def_readonly("fp16", &DeviceProperties::fp16);
  properties.def_readonly("fp64", &DeviceProperties::fp64);
  properties.def_readonly("storage8", &DeviceProperties::storage8);
  properties.def_readonly("storage16", &DeviceProperties::storage16);
  properties.def_readonly("fp32_atomic_add", &DeviceProperties::fp32AtomicAdd);
  properties.def_readonly("signed_zero_inf_nan_preserve_widths",
                          &DeviceProperties::signedZeroInfNanPreserveWidths);
  properties.def_readonly("unsupported_reason",
                          &DeviceProperties::unsupportedReason);
  properties.def("__repr__", &propertiesRepr);

  m.def("list_devices", &listDevices,
        "Every CUDA and Vulkan device this process sees, usable or not "
        "(CUDA first).");
  m.def("device_of_address", &deviceOfAddress, py::arg("address"),
        "'cuda:N' if the address is memory of CUDA device N, else ''.");

  py::enum_<ArgumentPassing>(m, "ArgumentPassing")
      .value("PUSH_CONSTANTS", ArgumentPassing::PushConstants)
      .value("BUFFER", ArgumentPassing::Buffer);
  m.attr("LAUNCH_HEADER_BYTES") = kLaunchHeaderBytes;
  m.def("choose_argument_passing", &chooseArgumentPassing, py::arg("arg_bytes"),
        py::arg("max_push_constant_bytes"),
        "Where a kernel with arg_bytes of arguments takes them "
        "(docs/vulkan-abi.md).");

  py::class_<Buffer>(m, "Buffer")
      .def_property_readonly("address", &Buffer::address,
                             "The 64-bit device address (0 once released).")
      .def_property_readonly("size", &Buffer::size)
      .def_property_readonly("valid", &Buffer::valid)
      .def("release", &Buffer::release, "Free the memory now.")
      .def("__repr__", [](const Buffer &b) {
        return "<kite._C.Buffer " + std::to_string(b.size()) + " bytes at " +
               std::to_string(b.address()) + ">";
      });

  py::enum_<KernelFormat>(m, "KernelFormat")
      .value("SPIRV", KernelFormat::Spirv)
      .value("PTX", KernelFormat::Ptx)
      .value("CUBIN", KernelFormat::Cubin)
      .value("LLVM_IR", KernelFormat::LlvmIr);

  py::class_<Kernel>(m, "Kernel")
      .def_property_readonly("format", &Kernel::format)
      .def_property_readonly("entry_point", &Kernel::entryPoint)
      .def_property_readonly("local_size", &Kernel::localSize)
      .def_property_readonly("push_constant_bytes", &Kernel::pushConstantBytes)
      .def_property_readonly("argument_passing", &Kernel::argumentPassing);

  py::class_<Device>(m, "Device")
      .def_static(
          "open",
          [](const std::string &name, std::array<uint32_t, 3> maxCount,
             bool staging, uint32_t maxPush) {
            DeviceOptions options{maxCount, staging, maxPush};
            return take(Device::open(name, options));
          },
          py::arg("name") = "",
          py::arg("max_work_group_count") = std::array<uint32_t, 3>{0, 0, 0},
          py::arg("staging_copies") = false,
          py::arg("max_push_constant_bytes") = 0,
          "Open 'cuda:N' or 'vulkan:N'; 'cuda' or 'vulkan' is the first "
          "usable device of that backend, '' the first of all (CUDA first). "
          "The other arguments are for tests (Vulkan only).")
      .def_property_readonly("properties", &Device::properties,
                             py::return_value_policy::reference_internal)
      .def_property_readonly(
          "name", [](const Device &d) { return d.properties().name; })
      .def_property_readonly("dispatch_limit", &Device::dispatchLimit)
      .def_property_readonly("last_launch_dispatches",
                             &Device::lastLaunchDispatches)
      .def(
          "last_launch_statistics",
          [](const Device &d) {
            py::dict counts;
            for (auto &[name, value] : d.lastLaunchStatistics())
              counts[py::str(name)] = value;
            return counts;
          },
          "What the last launch executed, by counter (cuda-sim; empty "
          "elsewhere).")
      .def(
          "allocate",
          [](Device &d, uint64_t bytes) { return take(d.allocate(bytes)); },
          py::arg("nbytes"), py::call_guard<py::gil_scoped_release>())
      .def(
          "free", [](Device &, Buffer &buffer) { buffer.release(); },
          py::arg("buffer"))
      .def(
          "upload",
          [](Device &d, const Buffer &buffer, const py::buffer &data,
             uint64_t offset) {
            py::buffer_info info = contiguousBytes(data, false);
            py::gil_scoped_release release;
            check(d.upload(buffer, info.ptr, byteSize(info), offset));
          },
          py::arg("buffer"), py::arg("data"), py::arg("offset") = 0,
          "Copy the bytes of `data` (bytes, numpy array, ...) into the buffer.")
      .def(
          "download",
          [](Device &d, const Buffer &buffer, py::object nbytes,
             uint64_t offset) {
            uint64_t size =
                nbytes.is_none()
                    ? (buffer.size() > offset ? buffer.size() - offset : 0)
                    : nbytes.cast<uint64_t>();
            std::string bytes(size, '\0');
            {
              py::gil_scoped_release release;
              check(d.download(buffer, bytes.data(), size, offset));
            }
            return py::bytes(bytes);
          },
          py::arg("buffer"), py::arg("nbytes") = py::none(),
          py::arg("offset") = 0,
          "The buffer's bytes (all from offset by default).")
      .def(
          "download_into",
          [](Device &d, const Buffer &buffer, const py::buffer &out,
             uint64_t offset) {
            py::buffer_info info = contiguousBytes(out, true);
            py::gil_scoped_release release;
            check(d.download(buffer, info.ptr, byteSize(info), offset));
          },
          py::arg("buffer"), py::arg("out"), py::arg("offset") = 0,
          "Fill the writable, contiguous `out` (e.g. a numpy array).")
      .def(
          "fill",
          [](Device &d, const Buffer &buffer, uint32_t pattern, uint64_t offset,
             py::object nbytes) {
            uint64_t size =
                nbytes.is_none() ? ~uint64_t(0) : nbytes.cast<uint64_t>();
            py::gil_scoped_release release;
            check(d.fill(buffer, pattern, offset, size));
          },
          py::arg("buffer"), py::arg("pattern") = 0, py::arg("offset") = 0,
          py::arg("nbytes") = py::none(),
          "Set bytes to a repeated 32-bit pattern (multiples of 4).")
      .def(
          "load_kernel",
          [](Device &d, const py::object &image, const std::string &entryPoint,
             std::array<uint32_t, 3> localSize, uint32_t pushConstantBytes,
             ArgumentPassing passing, KernelFormat format,
             std::vector<uint32_t> argSizes, uint32_t dynamicSharedBytes,
             bool programmaticDependentLaunch) {
            KernelSpec spec;
            spec.format = format;
            setKernelImage(spec, image);
            spec.entryPoint = entryPoint;
            spec.localSize = localSize;
            spec.pushConstantBytes = pushConstantBytes;
            spec.argumentPassing = passing;
            spec.argSizes = std::move(argSizes);
            spec.dynamicSharedBytes = dynamicSharedBytes;
            spec.programmaticDependentLaunch = programmaticDependentLaunch;
            py::gil_scoped_release release;
            return take(d.loadKernel(spec));
          },
          py::arg("image"), py::arg("entry_point") = "main",
          py::arg("local_size") = std::array<uint32_t, 3>{1, 1, 1},
          py::arg("push_constant_bytes") = 0,
          py::arg("argument_passing") = ArgumentPassing::PushConstants,
          py::arg("format") = KernelFormat::Spirv,
          py::arg("arg_sizes") = std::vector<uint32_t>{},
          py::arg("dynamic_shared_bytes") = 0,
          py::arg("programmatic_dependent_launch") = false,
          "Load (or reuse) a kernel: a SPIR-V binary on Vulkan (validated, "
          "with its push-constant layout), PTX text or a cubin on CUDA (with "
          "each parameter's packed size, arg_sizes, dynamic shared memory, "
          "and whether it is launched as a programmatic dependent launch on "
          "sm_90 and later).")
      .def(
          "launch",
          [](Device &d, const Kernel &kernel, const py::object &grid,
             const py::buffer &args, uint64_t stream) {
            std::array<uint32_t, 3> dims = toGrid(grid);
            py::buffer_info info = contiguousBytes(args, false);
            py::gil_scoped_release release;
            check(d.launch(kernel, dims, info.ptr, byteSize(info), stream));
          },
          py::arg("kernel"), py::arg("grid"), py::arg("args") = py::bytes(),
          py::arg("stream") = 0,
          "Run `grid` programs (an int or up to 3 ints) with the packed "
          "argument bytes. Vulkan waits for them; CUDA queues them on "
          "`stream` (a CUstream handle as an int; 0 is the legacy default "
          "stream) and returns.")
      .def(
          "synchronize", [](Device &d) { check(d.synchronize()); },
          py::call_guard<py::gil_scoped_release>(),
          "Wait for every launch on the device; raise the error of one that "
          "failed.")
      .def("__repr__", [](const Device &d) {
        return "<kite._C.Device " + d.properties().name + ": " +
               d.properties().deviceName + ">";
      });
}

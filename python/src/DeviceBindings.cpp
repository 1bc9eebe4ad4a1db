//===- DeviceBindings.cpp - kite._C: devices, buffers, kernels ------------===//
//
// kite::Device and its handles for Python. A failing call raises
// kite._C.DeviceError (a RuntimeError) with the C++ message, which names the
// failing call, e.g. "vkAllocateMemory failed: VK_ERROR_OUT_OF_DEVICE_MEMORY".
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
  return "<kite._C.DeviceProperties " + p.name + ": " + p.deviceName + " (" +
         p.driverName + ", Vulkan " + p.apiVersion + ")>";
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
  properties.def_readonly("unsupported_reason",
                          &DeviceProperties::unsupportedReason);
  properties.def("__repr__", &propertiesRepr);

  m.def("list_devices", &listDevices,
        "Every Vulkan device this process sees, usable or not.");

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

  py::class_<Kernel>(m, "Kernel")
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
          "Open 'vulkan:N', or the first usable device for '' or 'vulkan'. "
          "The other arguments are for tests.")
      .def_property_readonly("properties", &Device::properties,
                             py::return_value_policy::reference_internal)
      .def_property_readonly(
          "name", [](const Device &d) { return d.properties().name; })
      .def_property_readonly("dispatch_limit", &Device::dispatchLimit)
      .def_property_readonly("last_launch_dispatches",
                             &Device::lastLaunchDispatches)
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
          [](Device &d, const py::bytes &spirv, const std::string &entryPoint,
             std::array<uint32_t, 3> localSize, uint32_t pushConstantBytes,
             ArgumentPassing passing) {
            std::string bytes = spirv;
            if (bytes.size() % 4)
              throw DeviceError(
                  "load_kernel: SPIR-V must be whole 32-bit words");
            KernelSpec spec;
            spec.spirv.resize(bytes.size() / 4);
            std::memcpy(spec.spirv.data(), bytes.data(), bytes.size());
            spec.entryPoint = entryPoint;
            spec.localSize = localSize;
            spec.pushConstantBytes = pushConstantBytes;
            spec.argumentPassing = passing;
            py::gil_scoped_release release;
            return take(d.loadKernel(spec));
          },
          py::arg("spirv"), py::arg("entry_point") = "main",
          py::arg("local_size") = std::array<uint32_t, 3>{1, 1, 1},
          py::arg("push_constant_bytes"),
          py::arg("argument_passing") = ArgumentPassing::PushConstants,
          "Validate a SPIR-V binary and build (or reuse) its pipeline.")
      .def(
          "launch",
          [](Device &d, const Kernel &kernel, const py::object &grid,
             const py::buffer &args) {
            std::array<uint32_t, 3> dims = toGrid(grid);
            py::buffer_info info = contiguousBytes(args, false);
            py::gil_scoped_release release;
            check(d.launch(kernel, dims, info.ptr, byteSize(info)));
          },
          py::arg("kernel"), py::arg("grid"), py::arg("args") = py::bytes(),
          "Run `grid` programs (an int or up to 3 ints) with the packed "
          "argument bytes, and wait.")
      .def("__repr__", [](const Device &d) {
        return "<kite._C.Device " + d.properties().name + ": " +
               d.properties().deviceName + ">";
      });
}

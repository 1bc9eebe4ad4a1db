//===- FastLaunch.cpp - kite._C: the launch fast path in C++ --------------===//
//
// `kernel[grid](*args, **kwargs)` for a specialisation launched before, from
// the call to Device::launch without running Python code
// (python/kite/runtime/fast_launch.py describes the key; docs/runtime.md):
//
//   LaunchBinder    one per kernel. Binds a call to the kernel's parameters
//                   as Python would, computes the launch key, looks the
//                   launcher up in the kernel's dict and calls it. A call it
//                   cannot bind, a key it has no launcher for, or the
//                   interpreter goes to the kernel's slow path (Python).
//   GridLaunch      what `kernel[grid]` returns: the binder and the grid.
//   PackedLauncher  one per compiled kernel on a device. The grid, the
//                   argument bytes (the layout runtime/packing.py computes)
//                   and the stream from the bound values, then
//                   Device::launch. A value it cannot pack the way
//                   struct.pack would (an external array, an integer out of
//                   range) sends the launch to the Python launcher it was
//                   made with, whose errors keep their words. Fields are
//                   (value index, struct format character, offset), with
//                   'P' for a pointer and '?' for an i1 (a 32-bit 0 or 1).
//
// The types are plain CPython types (pybind11's call dispatch costs more
// than the whole launch here) and take part in garbage collection: a
// compiled kernel holds its launcher, which returns the compiled kernel.
//
//===----------------------------------------------------------------------===//
#include "Bindings.h"
#include "kite/Device.h"

#include <pybind11/pybind11.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <memory>
#include <vector>

namespace py = pybind11;

namespace {

uint64_t fastLaunches = 0; // launches the fast path ran (compiler.stats)
PyObject *deviceErrorType = nullptr;
PyObject *addressName = nullptr, *dataPtrName = nullptr; // interned

/// A new reference to `value`, or None.
PyObject *newRef(PyObject *value) {
  Py_INCREF(value);
  return value;
}

int packFloat(char code, double value, unsigned char *out) {
#if PY_VERSION_HEX >= 0x030B0000
  if (code == 'e')
    return PyFloat_Pack2(value, reinterpret_cast<char *>(out), 1);
  if (code == 'f')
    return PyFloat_Pack4(value, reinterpret_cast<char *>(out), 1);
  return PyFloat_Pack8(value, reinterpret_cast<char *>(out), 1);
#else
  if (code == 'e')
    return _PyFloat_Pack2(value, out, 1);
  if (code == 'f')
    return _PyFloat_Pack4(value, out, 1);
  return _PyFloat_Pack8(value, out, 1);
#endif
}

//===----------------------------------------------------------------------===//
// PackedLauncher
//===----------------------------------------------------------------------===//

struct Field {
  Py_ssize_t index; // into the bound values
  char code;        // struct's format character; 'P' for a pointer
  uint32_t offset;
};

struct PackedLauncher {
  PyObject_HEAD
  // Python objects (traversed)
  PyObject *device;    // kite._C.Device
  PyObject *kernel;    // kite._C.Kernel
  PyObject *result;    // what a launch returns (the CompiledKernel)
  PyObject *names;     // parameter names, for a grid function's meta
  PyObject *gridSize;  // launch_options.grid_size
  PyObject *stream;    // values -> CUstream, or None
  PyObject *translate; // DeviceError -> exception to raise, or None
  PyObject *fallback;  // run(grid, values) in Python
  PyObject *tensorType;
  // C++
  kite::Device *cxxDevice;
  const kite::Kernel *cxxKernel;
  std::vector<Field> *fields;
  uint32_t size;
};

#define PACKED_LAUNCHER_OBJECTS(X)                                             \
  X(device) X(kernel) X(result) X(names) X(gridSize) X(stream) X(translate)    \
      X(fallback) X(tensorType)

int packedTraverse(PyObject *self, visitproc visit, void *arg) {
  auto *p = reinterpret_cast<PackedLauncher *>(self);
  Py_VISIT(Py_TYPE(self)); // a heap type
#define X(name) Py_VISIT(p->name);
  PACKED_LAUNCHER_OBJECTS(X)
#undef X
  return 0;
}

int packedClear(PyObject *self) {
  auto *p = reinterpret_cast<PackedLauncher *>(self);
#define X(name) Py_CLEAR(p->name);
  PACKED_LAUNCHER_OBJECTS(X)
#undef X
  return 0;
}

void packedDealloc(PyObject *self) {
  PyObject_GC_UnTrack(self);
  packedClear(self);
  auto *p = reinterpret_cast<PackedLauncher *>(self);
  delete p->fields;
  PyTypeObject *type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
}

constexpr Py_ssize_t kMaxArgumentBytes = 1 << 16;

/// Bytes of a field of struct format `code` ('P': a pointer, '?': an i1 as
/// a 32-bit word); 0 for a format no argument has.
size_t fieldWidth(char code) {
  switch (code) {
  case 'b':
  case 'B':
    return 1;
  case 'h':
  case 'H':
  case 'e':
    return 2;
  case '?':
  case 'i':
  case 'I':
  case 'f':
    return 4;
  case 'q':
  case 'Q':
  case 'd':
  case 'P':
    return 8;
  default:
    return 0;
  }
}

/// PackedLauncher(device, kernel, fields, size, result, names, grid_size,
/// stream, translate, fallback, tensor_type): fields are (value index,
/// format character, byte offset) of the runtime arguments.
PyObject *packedNew(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
  PyObject *device, *kernel, *fields, *result, *names, *gridSize, *stream,
      *translate, *fallback, *tensorType;
  Py_ssize_t size;
  if (kwargs && PyDict_GET_SIZE(kwargs)) {
    PyErr_SetString(PyExc_TypeError, "PackedLauncher takes no keyword arguments");
    return nullptr;
  }
  if (!PyArg_ParseTuple(args, "OOOnOO!OOOOO", &device, &kernel, &fields,
                        &size, &result, &PyTuple_Type, &names, &gridSize,
                        &stream, &translate, &fallback, &tensorType))
    return nullptr;
  // CUDA takes at most 32 KiB of parameters, Vulkan's buffer far more than
  // any kernel's arguments.
  if (size < 0 || size > kMaxArgumentBytes) {
    PyErr_Format(PyExc_ValueError,
                 "PackedLauncher: %zd bytes of arguments (0 to %zd)", size,
                 kMaxArgumentBytes);
    return nullptr;
  }
  auto fieldList = std::make_unique<std::vector<Field>>();
  kite::Device *cxxDevice;
  const kite::Kernel *cxxKernel;
  try {
    cxxDevice = &py::cast<kite::Device &>(py::handle(device));
    cxxKernel = &py::cast<const kite::Kernel &>(py::handle(kernel));
    for (py::handle field : py::reinterpret_borrow<py::sequence>(fields)) {
      auto t = field.cast<py::tuple>();
      std::string code = t[1].cast<std::string>();
      auto offset = t[2].cast<uint32_t>();
      auto index = t[0].cast<Py_ssize_t>();
      size_t width = code.size() == 1 ? fieldWidth(code[0]) : 0;
      if (!width)
        throw py::value_error("PackedLauncher: unknown field format " + code);
      if (index < 0)
        throw py::value_error("PackedLauncher: a negative value index");
      if (offset + width > size_t(size))
        throw py::value_error("PackedLauncher: a field ends past the size");
      fieldList->push_back({index, code[0], offset});
    }
  } catch (py::error_already_set &e) {
    e.restore();
    return nullptr;
  } catch (const std::exception &e) {
    PyErr_SetString(PyExc_TypeError, e.what());
    return nullptr;
  }
  auto *self = reinterpret_cast<PackedLauncher *>(type->tp_alloc(type, 0));
  if (!self)
    return nullptr;
  self->device = newRef(device);
  self->kernel = newRef(kernel);
  self->result = newRef(result);
  self->names = newRef(names);
  self->gridSize = newRef(gridSize);
  self->stream = newRef(stream);
  self->translate = newRef(translate);
  self->fallback = newRef(fallback);
  self->tensorType = newRef(tensorType);
  self->cxxDevice = cxxDevice;
  self->cxxKernel = cxxKernel;
  self->fields = fieldList.release();
  self->size = uint32_t(size);
  return reinterpret_cast<PyObject *>(self);
}

constexpr long long kMaxGridDim = (1LL << 31) - 1;

/// The three sizes of a tuple of 1 to 3 ints in [0, 2^31 - 1]; false
/// (no error set) for anything else.
bool simpleGrid(PyObject *grid, std::array<uint32_t, 3> &dims) {
  if (!PyTuple_CheckExact(grid))
    return false;
  Py_ssize_t n = PyTuple_GET_SIZE(grid);
  if (n < 1 || n > 3)
    return false;
  dims = {1, 1, 1};
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject *item = PyTuple_GET_ITEM(grid, i);
    if (!PyLong_CheckExact(item))
      return false;
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(item, &overflow);
    if (overflow || v < 0 || v > kMaxGridDim)
      return false;
    dims[i] = static_cast<uint32_t>(v);
  }
  return true;
}

/// grid_size(grid, meta) in Python: its checks, its errors, a grid function.
bool gridFromPython(PackedLauncher *p, PyObject *grid, PyObject *values,
                    std::array<uint32_t, 3> &dims) {
  PyObject *meta = nullptr;
  if (PyCallable_Check(grid)) {
    meta = PyDict_New();
    Py_ssize_t n = std::min(PyTuple_GET_SIZE(p->names), PyTuple_GET_SIZE(values));
    for (Py_ssize_t i = 0; meta && i < n; ++i)
      if (PyDict_SetItem(meta, PyTuple_GET_ITEM(p->names, i),
                         PyTuple_GET_ITEM(values, i)) < 0)
        Py_CLEAR(meta);
    if (!meta)
      return false;
  }
  PyObject *sizes = PyObject_CallFunctionObjArgs(p->gridSize, grid,
                                                 meta ? meta : Py_None, nullptr);
  Py_XDECREF(meta);
  if (!sizes)
    return false;
  bool ok = PyTuple_Check(sizes) && PyTuple_GET_SIZE(sizes) == 3;
  for (Py_ssize_t i = 0; ok && i < 3; ++i) {
    unsigned long long v = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(sizes, i));
    ok = !PyErr_Occurred() && v <= uint64_t(kMaxGridDim);
    dims[i] = static_cast<uint32_t>(v);
  }
  Py_DECREF(sizes);
  if (!ok && !PyErr_Occurred())
    PyErr_SetString(PyExc_ValueError, "grid_size did not return 3 sizes");
  return ok;
}

enum class Packed { Done, Fallback, Error };

/// The device address of a pointer argument: a kite.Tensor's, an int, or
/// what `data_ptr()` returns (PyTorch); anything else is Python's to pack.
Packed pointerValue(PackedLauncher *p, PyObject *value, uint64_t &address) {
  PyObject *number;
  if (Py_TYPE(value) == reinterpret_cast<PyTypeObject *>(p->tensorType)) {
    number = PyObject_GetAttr(value, addressName);
    if (!number)
      return Packed::Error;
    if (number == Py_None) { // an interpreter tensor: not this device's
      Py_DECREF(number);
      return Packed::Fallback;
    }
  } else if (PyLong_CheckExact(value)) {
    number = newRef(value);
  } else {
    PyObject *method = PyObject_GetAttr(value, dataPtrName);
    if (!method) {
      PyErr_Clear();
      return Packed::Fallback;
    }
    number = PyObject_CallNoArgs(method);
    Py_DECREF(method);
    if (!number)
      return Packed::Error;
  }
  Packed outcome = Packed::Fallback;
  if (PyLong_Check(number)) {
    address = PyLong_AsUnsignedLongLong(number);
    if (PyErr_Occurred())
      PyErr_Clear();
    else
      outcome = Packed::Done;
  }
  Py_DECREF(number);
  return outcome;
}

template <typename T> void store(unsigned char *out, T value) {
  std::memcpy(out, &value, sizeof(T)); // little-endian hosts only
}

/// Packs one integer field as struct.pack would, or says it cannot.
bool packInteger(char code, PyObject *value, unsigned char *out) {
  if (!PyLong_Check(value))
    return false;
  if (code == 'B' || code == 'H' || code == 'Q') {
    unsigned long long v = PyLong_AsUnsignedLongLong(value);
    if (PyErr_Occurred()) {
      PyErr_Clear();
      return false;
    }
    if ((code == 'B' && v > UINT8_MAX) || (code == 'H' && v > UINT16_MAX))
      return false;
    if (code == 'B')
      store<uint8_t>(out, uint8_t(v));
    else if (code == 'H')
      store<uint16_t>(out, uint16_t(v));
    else
      store<uint64_t>(out, v);
    return true;
  }
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
  if (overflow || (v == -1 && PyErr_Occurred())) {
    PyErr_Clear();
    return false;
  }
  switch (code) {
  case 'b':
    if (v < INT8_MIN || v > INT8_MAX)
      return false;
    store<int8_t>(out, int8_t(v));
    return true;
  case 'h':
    if (v < INT16_MIN || v > INT16_MAX)
      return false;
    store<int16_t>(out, int16_t(v));
    return true;
  case 'i':
    if (v < INT32_MIN || v > INT32_MAX)
      return false;
    store<int32_t>(out, int32_t(v));
    return true;
  case 'I': // unsigned i32: struct's 'I'
    if (v < 0 || v > int64_t(UINT32_MAX))
      return false;
    store<uint32_t>(out, uint32_t(v));
    return true;
  default: // 'q'
    store<int64_t>(out, v);
    return true;
  }
}

Packed packValues(PackedLauncher *p, PyObject *values, unsigned char *out) {
  for (const Field &f : *p->fields) {
    if (f.index >= PyTuple_GET_SIZE(values))
      return Packed::Fallback;
    PyObject *value = PyTuple_GET_ITEM(values, f.index);
    unsigned char *at = out + f.offset;
    switch (f.code) {
    case 'P': {
      uint64_t address = 0;
      Packed outcome = pointerValue(p, value, address);
      if (outcome != Packed::Done)
        return outcome;
      store<uint64_t>(at, address);
      break;
    }
    case 'e':
    case 'f':
    case 'd': {
      if (!PyFloat_Check(value) && !PyLong_Check(value))
        return Packed::Fallback;
      double v = PyFloat_AsDouble(value);
      if ((v == -1.0 && PyErr_Occurred()) || packFloat(f.code, v, at) < 0) {
        PyErr_Clear();
        return Packed::Fallback;
      }
      break;
    }
    case '?': {
      // i1 travels as a 32-bit word holding 0 or 1 (packing.py).
      int truth = PyObject_IsTrue(value);
      if (truth < 0)
        return Packed::Error;
      store<uint32_t>(at, uint32_t(truth));
      break;
    }
    default:
      if (!packInteger(f.code, value, at))
        return Packed::Fallback;
    }
  }
  return Packed::Done;
}

/// Raises the DeviceError of a failed launch (or what `translate` makes
/// of it: cuda-sim's failed asserts are KernelRuntimeErrors).
PyObject *raiseLaunchError(PackedLauncher *p, const std::string &message) {
  PyObject *text = PyUnicode_FromStringAndSize(message.data(), message.size());
  if (!text)
    return nullptr;
  PyObject *error = PyObject_CallOneArg(deviceErrorType, text);
  Py_DECREF(text);
  if (!error)
    return nullptr;
  if (p->translate != Py_None) {
    PyObject *translated = PyObject_CallOneArg(p->translate, error);
    if (!translated) {
      Py_DECREF(error);
      return nullptr;
    }
    if (translated != Py_None) {
      Py_DECREF(error);
      error = translated;
    } else {
      Py_DECREF(translated);
    }
  }
  PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(error)), error);
  Py_DECREF(error);
  return nullptr;
}

/// launcher(grid, values)
PyObject *packedLaunch(PackedLauncher *p, PyObject *grid, PyObject *values) {
  if (!p->fallback) { // cleared by the garbage collector
    PyErr_SetString(PyExc_RuntimeError, "this launcher was cleared");
    return nullptr;
  }
  auto fallback = [&] {
    return PyObject_CallFunctionObjArgs(p->fallback, grid, values, nullptr);
  };
  if (!PyTuple_Check(values))
    return fallback();
  // The bytes first: where Python packs them, Python also computes the grid
  // (a grid function runs once).
  std::array<unsigned char, 512> small;
  std::vector<unsigned char> large;
  unsigned char *bytes = small.data();
  if (p->size > small.size()) {
    large.resize(p->size);
    bytes = large.data();
  }
  std::memset(bytes, 0, p->size);
  switch (packValues(p, values, bytes)) {
  case Packed::Error:
    return nullptr;
  case Packed::Fallback:
    return fallback();
  case Packed::Done:
    break;
  }
  std::array<uint32_t, 3> dims;
  if (!simpleGrid(grid, dims) && !gridFromPython(p, grid, values, dims))
    return nullptr;
  if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0)
    return newRef(p->result);
  uint64_t stream = 0;
  if (p->stream != Py_None) {
    // PyTorch's current stream matters only where torch is imported
    // (runtime/arguments.launch_stream).
    PyObject *torch = PyDict_GetItemString(PyImport_GetModuleDict(), "torch");
    if (torch) {
      PyObject *handle = PyObject_CallOneArg(p->stream, values);
      if (!handle)
        return nullptr;
      stream = PyLong_AsUnsignedLongLong(handle);
      Py_DECREF(handle);
      if (PyErr_Occurred())
        return nullptr;
    }
  }
  kite::Status status;
  Py_BEGIN_ALLOW_THREADS
  status = p->cxxDevice->launch(*p->cxxKernel, dims, bytes, p->size, stream);
  Py_END_ALLOW_THREADS
  if (!status)
    return raiseLaunchError(p, status.message());
  return newRef(p->result);
}

PyObject *packedCall(PyObject *self, PyObject *args, PyObject *kwargs) {
  if ((kwargs && PyDict_GET_SIZE(kwargs)) || PyTuple_GET_SIZE(args) != 2) {
    PyErr_SetString(PyExc_TypeError, "a launcher takes (grid, values)");
    return nullptr;
  }
  return packedLaunch(reinterpret_cast<PackedLauncher *>(self),
                      PyTuple_GET_ITEM(args, 0), PyTuple_GET_ITEM(args, 1));
}

/// pack(values) -> bytes, or None where the launch would fall back: what
/// a launch sends the driver (tests compare it with runtime/packing.py).
PyObject *packedPack(PyObject *self, PyObject *values) {
  auto *p = reinterpret_cast<PackedLauncher *>(self);
  if (!p->fallback) {
    PyErr_SetString(PyExc_RuntimeError, "this launcher was cleared");
    return nullptr;
  }
  if (!PyTuple_Check(values)) {
    PyErr_SetString(PyExc_TypeError, "pack takes a tuple of values");
    return nullptr;
  }
  std::vector<unsigned char> bytes(p->size, 0);
  switch (packValues(p, values, bytes.data())) {
  case Packed::Error:
    return nullptr;
  case Packed::Fallback:
    Py_RETURN_NONE;
  case Packed::Done:
    break;
  }
  return PyBytes_FromStringAndSize(reinterpret_cast<char *>(bytes.data()),
                                   bytes.size());
}

/// time_driver(grid, values, n) -> seconds per launch of n launches of
/// these packed bytes: Device::launch and the driver alone, without any of
/// the fast path (benchmarks/host_launch_overhead.py reports it apart).
PyObject *packedTimeDriver(PyObject *self, PyObject *args) {
  auto *p = reinterpret_cast<PackedLauncher *>(self);
  PyObject *grid, *values;
  Py_ssize_t n;
  if (!PyArg_ParseTuple(args, "OO!n", &grid, &PyTuple_Type, &values, &n))
    return nullptr;
  std::array<uint32_t, 3> dims;
  if (!p->fallback) {
    PyErr_SetString(PyExc_RuntimeError, "this launcher was cleared");
    return nullptr;
  }
  if (!simpleGrid(grid, dims) || n < 1) {
    PyErr_SetString(PyExc_ValueError, "time_driver takes a tuple grid and n >= 1");
    return nullptr;
  }
  std::vector<unsigned char> bytes(p->size, 0);
  if (packValues(p, values, bytes.data()) != Packed::Done) {
    if (!PyErr_Occurred())
      PyErr_SetString(PyExc_ValueError, "time_driver: values it cannot pack");
    return nullptr;
  }
  kite::Status status;
  auto start = std::chrono::steady_clock::now();
  Py_BEGIN_ALLOW_THREADS
  for (Py_ssize_t i = 0; i < n && status; ++i)
    status = p->cxxDevice->launch(*p->cxxKernel, dims, bytes.data(), p->size, 0);
  Py_END_ALLOW_THREADS
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  if (!status)
    return raiseLaunchError(p, status.message());
  return PyFloat_FromDouble(elapsed.count() / double(n));
}

PyMethodDef packedMethods[] = {
    {"time_driver", packedTimeDriver, METH_VARARGS,
     "time_driver(grid, values, n): seconds per Device::launch of these "
     "values' bytes, timed in C++ (the driver's own cost)."},
    {"pack", packedPack, METH_O,
     "The argument bytes of a launch with these values, or None where the "
     "launch would go to the Python launcher."},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot packedSlots[] = {
    {Py_tp_new, reinterpret_cast<void *>(packedNew)},
    {Py_tp_dealloc, reinterpret_cast<void *>(packedDealloc)},
    {Py_tp_traverse, reinterpret_cast<void *>(packedTraverse)},
    {Py_tp_clear, reinterpret_cast<void *>(packedClear)},
    {Py_tp_call, reinterpret_cast<void *>(packedCall)},
    {Py_tp_methods, packedMethods},
    {Py_tp_doc, const_cast<char *>(
                    "A compiled kernel's launcher on its device: "
                    "launcher(grid, values) packs and launches in C++.")},
    {0, nullptr}};

PyType_Spec packedSpec = {"kite._C.PackedLauncher", sizeof(PackedLauncher), 0,
                          Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
                          packedSlots};
PyTypeObject *packedType = nullptr;

} // namespace

// The binder and GridLaunch: FastLaunchBinder.cpp.
namespace kite::python {
PyObject *callLauncher(PyObject *launcher, PyObject *grid, PyObject *values) {
  if (Py_TYPE(launcher) == packedType)
    return packedLaunch(reinterpret_cast<PackedLauncher *>(launcher), grid,
                        values);
  return PyObject_CallFunctionObjArgs(launcher, grid, values, nullptr);
}

void countFastLaunch() { ++fastLaunches; }

void bindPackedLauncher(py::module_ &m) {
  addressName = PyUnicode_InternFromString("_address");
  dataPtrName = PyUnicode_InternFromString("data_ptr");
  deviceErrorType = m.attr("DeviceError").ptr();
  Py_INCREF(deviceErrorType);
  packedType = reinterpret_cast<PyTypeObject *>(PyType_FromSpec(&packedSpec));
  if (!packedType)
    throw py::error_already_set();
  m.add_object("PackedLauncher", reinterpret_cast<PyObject *>(packedType));
  m.def("fast_launch_count", [] { return fastLaunches; },
        "Launches the fast path ran in this process.");
}
} // namespace kite::python

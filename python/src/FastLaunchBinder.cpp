//===- FastLaunchBinder.cpp - kite._C: binding a launch and its key -------===//
//
// LaunchBinder and GridLaunch (FastLaunch.cpp has the overview). The key a
// binder computes is the tuple python/kite/runtime/fast_launch.py describes:
//
//   ((one part per parameter), (option, type(option), ...) or () where the
//    call gives no compile option,
//    dependency_key(kernel), $KITE_DEVICE, $KITE_DEBUG, $KITE_MEMORY_CHECKS)
//
// A runtime argument's part for a kite.Tensor, int, float, bool or None is
// made here, exactly as fast_launch.runtime_key makes it; any other type's
// comes from that Python function. A constexpr's part is (type, value) for
// int, bool, str and None, else fast_launch.constexpr_key's.
//
//===----------------------------------------------------------------------===//
#include "Bindings.h"

#include <pybind11/pybind11.h>

#include <vector>

namespace py = pybind11;

namespace kite::python {
PyObject *callLauncher(PyObject *launcher, PyObject *grid, PyObject *values);
void countFastLaunch();
} // namespace kite::python

namespace {

/// A new reference, released at the end of its scope.
class Owned {
public:
  explicit Owned(PyObject *object) : object(object) {}
  Owned(const Owned &) = delete;
  Owned &operator=(const Owned &) = delete;
  ~Owned() { Py_XDECREF(object); }
  PyObject *get() const { return object; }
  explicit operator bool() const { return object != nullptr; }

private:
  PyObject *object;
};

/// Attribute names and key parts made once (interned; never freed).
struct Constants {
  PyObject *dtype, *name, *device, *address, *dataPtr;
  PyObject *floatPart, *boolPart, *nonePart, *onePart, *tensorTag;
  PyObject *intParts[3][2]; // ("i", 32 | 64 | 65, divisible)
};
Constants *constants = nullptr;

bool makeConstants() {
  auto *c = new Constants;
  c->dtype = PyUnicode_InternFromString("dtype");
  c->name = PyUnicode_InternFromString("name");
  c->device = PyUnicode_InternFromString("device");
  c->address = PyUnicode_InternFromString("_address");
  c->dataPtr = PyUnicode_InternFromString("data_ptr");
  c->floatPart = Py_BuildValue("(s)", "f");
  c->boolPart = Py_BuildValue("(s)", "b");
  c->nonePart = Py_BuildValue("(s)", "N");
  c->onePart = Py_BuildValue("(si)", "i", 1);
  c->tensorTag = PyUnicode_InternFromString("T");
  const int widths[3] = {32, 64, 65};
  for (int w = 0; w < 3; ++w)
    for (int d = 0; d < 2; ++d)
      c->intParts[w][d] =
          Py_BuildValue("(siO)", "i", widths[w], d ? Py_True : Py_False);
  constants = c;
  return !PyErr_Occurred();
}

/// The environment variables a key reads, and KITE_INTERPRET.
enum EnvName { KiteDevice, KiteDebug, KiteMemoryChecks, KiteInterpret, NumEnv };

struct LaunchBinder {
  PyObject_HEAD
  PyObject *kernel;
  PyObject *names;      // tuple of str
  PyObject *nameIndex;  // str -> parameter index
  PyObject *optionIndex; // str -> compile option index
  PyObject *constexprs; // tuple of bool
  PyObject *defaults;   // tuple: a default, or noDefault
  PyObject *noDefault;
  PyObject *missing;    // an option not given
  PyObject *launchers;  // key -> launcher
  PyObject *tensorType;
  PyObject *runtimeKey;
  PyObject *constexprKey;
  PyObject *dependencyKey;
  PyObject *envData;    // os.environ._data, or None
  PyObject *envKeys;    // tuple: each EnvName as envData's key
  PyObject *envGet;     // environ.get, where envData is None
  PyObject *slow;       // slow(grid, args, kwargs, key)
  Py_ssize_t positional; // parameters a call may give by position
  // Each variable's bytes last read (or null: unset) and its decoded str,
  // both owned: while the bytes object is held no other takes its address,
  // so the same object means the same value.
  PyObject *envBytes[NumEnv];
  PyObject *envText[NumEnv];
};

#define LAUNCH_BINDER_OBJECTS(X)                                               \
  X(kernel) X(names) X(nameIndex) X(optionIndex) X(constexprs) X(defaults)     \
      X(noDefault) X(missing) X(launchers) X(tensorType) X(runtimeKey)         \
          X(constexprKey) X(dependencyKey) X(envData) X(envKeys) X(envGet)     \
              X(slow)

int binderTraverse(PyObject *self, visitproc visit, void *arg) {
  auto *b = reinterpret_cast<LaunchBinder *>(self);
  Py_VISIT(Py_TYPE(self)); // a heap type
#define X(name) Py_VISIT(b->name);
  LAUNCH_BINDER_OBJECTS(X)
#undef X
  return 0;
}

int binderClear(PyObject *self) {
  auto *b = reinterpret_cast<LaunchBinder *>(self);
#define X(name) Py_CLEAR(b->name);
  LAUNCH_BINDER_OBJECTS(X)
#undef X
  for (int i = 0; i < NumEnv; ++i) {
    Py_CLEAR(b->envBytes[i]);
    Py_CLEAR(b->envText[i]);
  }
  return 0;
}

void binderDealloc(PyObject *self) {
  PyObject_GC_UnTrack(self);
  binderClear(self);
  PyTypeObject *type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
}

PyObject *indexOf(PyObject *names) {
  PyObject *index = PyDict_New();
  for (Py_ssize_t i = 0; index && i < PyTuple_GET_SIZE(names); ++i) {
    PyObject *position = PyLong_FromSsize_t(i);
    if (!position || PyDict_SetItem(index, PyTuple_GET_ITEM(names, i), position) < 0)
      Py_CLEAR(index);
    Py_XDECREF(position);
  }
  return index;
}

/// LaunchBinder(kernel, names, constexprs, defaults, no_default, positional,
/// options, missing, launchers, tensor_type, runtime_key, constexpr_key,
/// dependency_key, env_data, env_keys, env_get, slow)
PyObject *binderNew(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
  PyObject *kernel, *names, *constexprs, *defaults, *noDefault, *options,
      *missing, *launchers, *tensorType, *runtimeKey, *constexprKey,
      *dependencyKey, *envData, *envKeys, *envGet, *slow;
  Py_ssize_t positional;
  if (kwargs && PyDict_GET_SIZE(kwargs)) {
    PyErr_SetString(PyExc_TypeError, "LaunchBinder takes no keyword arguments");
    return nullptr;
  }
  if (!PyArg_ParseTuple(args, "OO!O!O!OnO!OO!OOOOOO!OO", &kernel, &PyTuple_Type,
                        &names, &PyTuple_Type, &constexprs, &PyTuple_Type,
                        &defaults, &noDefault, &positional, &PyTuple_Type,
                        &options, &missing, &PyDict_Type, &launchers,
                        &tensorType, &runtimeKey, &constexprKey, &dependencyKey,
                        &envData, &PyTuple_Type, &envKeys, &envGet, &slow))
    return nullptr;
  Py_ssize_t n = PyTuple_GET_SIZE(names);
  if (PyTuple_GET_SIZE(constexprs) != n || PyTuple_GET_SIZE(defaults) != n ||
      positional < 0 || positional > n || PyTuple_GET_SIZE(envKeys) != NumEnv ||
      (envData != Py_None && !PyDict_Check(envData))) {
    PyErr_SetString(PyExc_ValueError, "LaunchBinder: inconsistent signature");
    return nullptr;
  }
  PyObject *nameIndex = indexOf(names);
  PyObject *optionIndex = nameIndex ? indexOf(options) : nullptr;
  if (!optionIndex) {
    Py_XDECREF(nameIndex);
    return nullptr;
  }
  auto *self = reinterpret_cast<LaunchBinder *>(type->tp_alloc(type, 0));
  if (!self) {
    Py_DECREF(nameIndex);
    Py_DECREF(optionIndex);
    return nullptr;
  }
  auto keep = [](PyObject *o) {
    Py_INCREF(o);
    return o;
  };
  self->kernel = keep(kernel);
  self->names = keep(names);
  self->nameIndex = nameIndex;
  self->optionIndex = optionIndex;
  self->constexprs = keep(constexprs);
  self->defaults = keep(defaults);
  self->noDefault = keep(noDefault);
  self->missing = keep(missing);
  self->launchers = keep(launchers);
  self->tensorType = keep(tensorType);
  self->runtimeKey = keep(runtimeKey);
  self->constexprKey = keep(constexprKey);
  self->dependencyKey = keep(dependencyKey);
  self->envData = keep(envData);
  self->envKeys = keep(envKeys);
  self->envGet = keep(envGet);
  self->slow = keep(slow);
  self->positional = positional;
  return reinterpret_cast<PyObject *>(self);
}

/// os.environ.get(name, "") as runtime/environ.get reads it; the decoded
/// text is reused while os.environ holds the same bytes object.
PyObject *readEnv(LaunchBinder *b, EnvName which) {
  PyObject *key = PyTuple_GET_ITEM(b->envKeys, which);
  if (b->envData == Py_None)
    return PyObject_CallOneArg(b->envGet, key);
  PyObject *value = PyDict_GetItemWithError(b->envData, key);
  if (!value && PyErr_Occurred())
    return nullptr;
  if (value == b->envBytes[which] && b->envText[which]) {
    Py_INCREF(b->envText[which]);
    return b->envText[which];
  }
  PyObject *text =
      !value ? PyUnicode_FromString("")
      : PyBytes_Check(value)
          ? PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(value),
                                             PyBytes_GET_SIZE(value))
          : PyObject_Str(value);
  if (!text)
    return nullptr;
  Py_XINCREF(value);
  Py_XSETREF(b->envBytes[which], value);
  Py_XSETREF(b->envText[which], text);
  Py_INCREF(text);
  return text;
}

bool interpretRequested(LaunchBinder *b, bool &requested) {
  PyObject *value = readEnv(b, KiteInterpret);
  if (!value)
    return false;
  requested = true;
  for (const char *off : {"", "0", "false", "False"})
    if (PyUnicode_CompareWithASCIIString(value, off) == 0)
      requested = false;
  Py_DECREF(value);
  return true;
}

/// fast_launch._int_key: ("i", 1), ("i", 32 | 64 | 65, divisible by 16),
/// or None past 2^64 - 1 and below -2^63.
PyObject *intKey(PyObject *value) {
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
  if (v == -1 && PyErr_Occurred())
    return nullptr;
  PyObject *part;
  if (!overflow) {
    if (v == 1)
      part = constants->onePart;
    else
      part = constants->intParts[v >= INT32_MIN && v <= INT32_MAX ? 0 : 1]
                                [v % 16 == 0];
  } else {
    unsigned long long u = overflow > 0 ? PyLong_AsUnsignedLongLong(value) : 0;
    if (overflow < 0 || (u == (unsigned long long)-1 && PyErr_Occurred())) {
      PyErr_Clear();
      Py_RETURN_NONE; // the slow path says it does not fit
    }
    part = constants->intParts[2][u % 16 == 0];
  }
  Py_INCREF(part);
  return part;
}

/// fast_launch._tensor_key of a kite.Tensor.
PyObject *tensorKey(PyObject *value) {
  PyObject *dtype = PyObject_GetAttr(value, constants->dtype);
  PyObject *name = dtype ? PyObject_GetAttr(dtype, constants->name) : nullptr;
  Py_XDECREF(dtype);
  PyObject *device = name ? PyObject_GetAttr(value, constants->device) : nullptr;
  PyObject *address = device ? PyObject_GetAttr(value, constants->address) : nullptr;
  if (address == Py_None) { // an interpreter tensor: data_ptr() knows
    Py_DECREF(address);
    address = PyObject_CallMethodNoArgs(value, constants->dataPtr);
  }
  PyObject *key = nullptr;
  if (address) {
    unsigned long long bits = PyLong_AsUnsignedLongLongMask(address);
    if (!(bits == (unsigned long long)-1 && PyErr_Occurred()))
      key = PyTuple_Pack(4, constants->tensorTag, name, device,
                         (bits & 15) == 0 ? Py_True : Py_False);
  }
  Py_XDECREF(name);
  Py_XDECREF(device);
  Py_XDECREF(address);
  return key;
}

PyObject *runtimePart(LaunchBinder *b, PyObject *value) {
  PyTypeObject *type = Py_TYPE(value);
  PyObject *part = nullptr;
  if (type == reinterpret_cast<PyTypeObject *>(b->tensorType))
    return tensorKey(value);
  if (type == &PyLong_Type)
    return intKey(value);
  if (type == &PyFloat_Type)
    part = constants->floatPart;
  else if (type == &PyBool_Type)
    part = constants->boolPart;
  else if (value == Py_None)
    part = constants->nonePart;
  else
    return PyObject_CallOneArg(b->runtimeKey, value);
  Py_INCREF(part);
  return part;
}

PyObject *constexprPart(LaunchBinder *b, PyObject *value) {
  PyTypeObject *type = Py_TYPE(value);
  if (type == &PyLong_Type || type == &PyBool_Type || type == &PyUnicode_Type ||
      value == Py_None)
    return PyTuple_Pack(2, reinterpret_cast<PyObject *>(type), value);
  return PyObject_CallOneArg(b->constexprKey, value);
}

/// Binds (args, kwargs) as Python binds a call of the kernel; raises
/// TypeError where Python would. Returns (key, values).
PyObject *bindCall(LaunchBinder *b, PyObject *args, PyObject *kwargs) {
  Py_ssize_t n = PyTuple_GET_SIZE(b->names);
  Py_ssize_t given = PyTuple_GET_SIZE(args);
  Py_ssize_t numOptions = PyDict_GET_SIZE(b->optionIndex);
  if (given > b->positional) {
    PyErr_SetString(PyExc_TypeError, "too many positional arguments");
    return nullptr;
  }
  std::vector<PyObject *> values(n, nullptr), options(numOptions, nullptr);
  for (Py_ssize_t i = 0; i < given; ++i)
    values[i] = PyTuple_GET_ITEM(args, i);
  if (kwargs) {
    Py_ssize_t pos = 0;
    PyObject *name, *value;
    while (PyDict_Next(kwargs, &pos, &name, &value)) {
      PyObject *index = PyDict_GetItemWithError(b->nameIndex, name);
      std::vector<PyObject *> *slots = &values;
      if (!index) {
        if (PyErr_Occurred())
          return nullptr;
        index = PyDict_GetItemWithError(b->optionIndex, name);
        slots = &options;
      }
      if (!index) {
        if (!PyErr_Occurred())
          PyErr_SetString(PyExc_TypeError, "an unexpected keyword argument");
        return nullptr;
      }
      Py_ssize_t i = PyLong_AsSsize_t(index);
      if ((*slots)[i]) {
        PyErr_SetString(PyExc_TypeError, "multiple values for an argument");
        return nullptr;
      }
      (*slots)[i] = value;
    }
  }
  // Every value owned before any Python code runs (a key's __hash__ or
  // data_ptr() could change a dict the call's values came from).
  Owned valueTuple(PyTuple_New(n));
  if (!valueTuple)
    return nullptr;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject *value = values[i];
    if (!value) {
      value = PyTuple_GET_ITEM(b->defaults, i);
      if (value == b->noDefault) {
        PyErr_SetString(PyExc_TypeError, "a missing argument");
        return nullptr;
      }
    }
    Py_INCREF(value);
    PyTuple_SET_ITEM(valueTuple.get(), i, value);
  }
  Owned parts(PyTuple_New(n));
  if (!parts)
    return nullptr;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject *value = PyTuple_GET_ITEM(valueTuple.get(), i);
    PyObject *part = PyTuple_GET_ITEM(b->constexprs, i) == Py_True
                         ? constexprPart(b, value)
                         : runtimePart(b, value);
    if (!part)
      return nullptr;
    PyTuple_SET_ITEM(parts.get(), i, part);
  }
  // No option given (the common call): () instead of every option's
  // (missing, type), which a lookup would hash each time.
  bool anyOption = false;
  for (PyObject *option : options)
    anyOption |= option != nullptr;
  Owned optionParts(PyTuple_New(anyOption ? 2 * numOptions : 0));
  if (!optionParts)
    return nullptr;
  for (Py_ssize_t i = 0; anyOption && i < numOptions; ++i) {
    PyObject *option = options[i] ? options[i] : b->missing;
    Py_INCREF(option);
    PyTuple_SET_ITEM(optionParts.get(), 2 * i, option);
    Py_INCREF(Py_TYPE(option));
    PyTuple_SET_ITEM(optionParts.get(), 2 * i + 1,
                     reinterpret_cast<PyObject *>(Py_TYPE(option)));
  }
  PyObject *dependencies = PyObject_CallOneArg(b->dependencyKey, b->kernel);
  if (!dependencies)
    return nullptr;
  PyObject *env[3] = {readEnv(b, KiteDevice), nullptr, nullptr};
  if (env[0])
    env[1] = readEnv(b, KiteDebug);
  if (env[1])
    env[2] = readEnv(b, KiteMemoryChecks);
  if (!env[2]) {
    Py_DECREF(dependencies);
    Py_XDECREF(env[0]);
    Py_XDECREF(env[1]);
    return nullptr;
  }
  PyObject *key = PyTuple_Pack(6, parts.get(), optionParts.get(), dependencies,
                               env[0], env[1], env[2]);
  Py_DECREF(dependencies);
  for (PyObject *e : env)
    Py_DECREF(e);
  if (!key)
    return nullptr;
  PyObject *result = PyTuple_Pack(2, key, valueTuple.get());
  Py_DECREF(key);
  return result;
}

PyObject *binderBind(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
  if (!reinterpret_cast<LaunchBinder *>(self)->slow) {
    PyErr_SetString(PyExc_RuntimeError, "this kernel's launch binder was cleared");
    return nullptr;
  }
  if (nargs != 2 || !PyTuple_Check(args[0]) ||
      (args[1] != Py_None && !PyDict_Check(args[1]))) {
    PyErr_SetString(PyExc_TypeError, "bind(args: tuple, kwargs: dict)");
    return nullptr;
  }
  return bindCall(reinterpret_cast<LaunchBinder *>(self), args[0],
                  args[1] == Py_None ? nullptr : args[1]);
}

PyObject *callSlow(LaunchBinder *b, PyObject *grid, PyObject *args,
                   PyObject *kwargs, PyObject *key) {
  Owned empty(kwargs ? nullptr : PyDict_New());
  if (!kwargs && !empty)
    return nullptr;
  return PyObject_CallFunctionObjArgs(b->slow, grid, args,
                                      kwargs ? kwargs : empty.get(), key,
                                      nullptr);
}

/// kernel[grid](*args, **kwargs)
PyObject *binderRun(LaunchBinder *b, PyObject *grid, PyObject *args,
                    PyObject *kwargs) {
  if (!b->slow) { // cleared by the garbage collector
    PyErr_SetString(PyExc_RuntimeError, "this kernel's launch binder was cleared");
    return nullptr;
  }
  bool interpret;
  if (!interpretRequested(b, interpret))
    return nullptr;
  if (interpret)
    return callSlow(b, grid, args, kwargs, Py_None);
  PyObject *bound = bindCall(b, args, kwargs);
  if (!bound) {
    if (!PyErr_ExceptionMatches(PyExc_TypeError))
      return nullptr;
    PyErr_Clear(); // the slow path binds again and says what is wrong
    return callSlow(b, grid, args, kwargs, Py_None);
  }
  PyObject *key = PyTuple_GET_ITEM(bound, 0);
  PyObject *launcher = PyDict_GetItemWithError(b->launchers, key);
  PyObject *result;
  if (launcher) {
    kite::python::countFastLaunch();
    Py_INCREF(launcher); // a launch may replace the dict's entry
    result = kite::python::callLauncher(launcher, grid, PyTuple_GET_ITEM(bound, 1));
    Py_DECREF(launcher);
  } else if (PyErr_Occurred()) {
    // An unhashable option value (extern_libs={...}): never kept, the slow
    // path every time.
    if (PyErr_ExceptionMatches(PyExc_TypeError)) {
      PyErr_Clear();
      result = callSlow(b, grid, args, kwargs, Py_None);
    } else {
      result = nullptr;
    }
  } else {
    result = callSlow(b, grid, args, kwargs, key);
  }
  Py_DECREF(bound);
  return result;
}

//===----------------------------------------------------------------------===//
// GridLaunch
//===----------------------------------------------------------------------===//

struct GridLaunch {
  PyObject_HEAD
  PyObject *binder;
  PyObject *grid;
};

PyTypeObject *gridLaunchType = nullptr;

int gridTraverse(PyObject *self, visitproc visit, void *arg) {
  auto *g = reinterpret_cast<GridLaunch *>(self);
  Py_VISIT(Py_TYPE(self)); // a heap type
  Py_VISIT(g->binder);
  Py_VISIT(g->grid);
  return 0;
}

int gridClear(PyObject *self) {
  auto *g = reinterpret_cast<GridLaunch *>(self);
  Py_CLEAR(g->binder);
  Py_CLEAR(g->grid);
  return 0;
}

void gridDealloc(PyObject *self) {
  PyObject_GC_UnTrack(self);
  gridClear(self);
  PyTypeObject *type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
}

PyObject *gridCall(PyObject *self, PyObject *args, PyObject *kwargs) {
  auto *g = reinterpret_cast<GridLaunch *>(self);
  if (!g->binder) { // made by calling the type, not by binder.at
    PyErr_SetString(PyExc_TypeError, "a GridLaunch comes from kernel[grid]");
    return nullptr;
  }
  return binderRun(reinterpret_cast<LaunchBinder *>(g->binder), g->grid, args,
                   kwargs);
}

/// binder.at(grid): what kernel[grid] returns.
PyObject *binderAt(PyObject *self, PyObject *grid) {
  auto *g = reinterpret_cast<GridLaunch *>(
      gridLaunchType->tp_alloc(gridLaunchType, 0));
  if (!g)
    return nullptr;
  Py_INCREF(self);
  Py_INCREF(grid);
  g->binder = self;
  g->grid = grid;
  return reinterpret_cast<PyObject *>(g);
}

PyMethodDef binderMethods[] = {
    {"bind", reinterpret_cast<PyCFunction>(reinterpret_cast<void *>(binderBind)),
     METH_FASTCALL,
     "bind(args, kwargs) -> (launch key, bound values); TypeError where the "
     "kernel's signature does not take the call."},
    {"at", binderAt, METH_O, "at(grid): kernel[grid], a callable."},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot binderSlots[] = {
    {Py_tp_new, reinterpret_cast<void *>(binderNew)},
    {Py_tp_dealloc, reinterpret_cast<void *>(binderDealloc)},
    {Py_tp_traverse, reinterpret_cast<void *>(binderTraverse)},
    {Py_tp_clear, reinterpret_cast<void *>(binderClear)},
    {Py_tp_methods, binderMethods},
    {Py_tp_doc, const_cast<char *>("A kernel's launch binder (fast path).")},
    {0, nullptr}};

PyType_Slot gridSlots[] = {
    {Py_tp_dealloc, reinterpret_cast<void *>(gridDealloc)},
    {Py_tp_traverse, reinterpret_cast<void *>(gridTraverse)},
    {Py_tp_clear, reinterpret_cast<void *>(gridClear)},
    {Py_tp_call, reinterpret_cast<void *>(gridCall)},
    {Py_tp_doc, const_cast<char *>("kernel[grid]: call it with the kernel's "
                                   "arguments to launch.")},
    {0, nullptr}};

PyType_Spec binderSpec = {"kite._C.LaunchBinder", sizeof(LaunchBinder), 0,
                          Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, binderSlots};
PyType_Spec gridSpec = {"kite._C.GridLaunch", sizeof(GridLaunch), 0,
                        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, gridSlots};

} // namespace

void kite::python::bindLaunchBinder(py::module_ &m) {
  if (!makeConstants())
    throw py::error_already_set();
  PyObject *binder = PyType_FromSpec(&binderSpec);
  if (!binder)
    throw py::error_already_set();
  gridLaunchType = reinterpret_cast<PyTypeObject *>(PyType_FromSpec(&gridSpec));
  if (!gridLaunchType)
    throw py::error_already_set();
  m.add_object("LaunchBinder", binder);
  m.add_object("GridLaunch", reinterpret_cast<PyObject *>(gridLaunchType));
}

//===- KiteModule.cpp - the Python module kite._C -------------------------===//
//
// A thin layer over Kite's public C++ API (include/kite/ only): the module
// links libkite.so and never sees an MLIR or LLVM symbol.
//
//===----------------------------------------------------------------------===//
#include "Bindings.h"
#include "kite/Kite.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

/// "add.py:5:10: error: message", or "error: message" without a position.
static std::string formatDiagnostic(const kite::Diagnostic &d) {
  std::string text;
  if (!d.file.empty())
    text = d.file + ":" + std::to_string(d.line) + ":" +
           std::to_string(d.column) + ": ";
  return text + d.severity + ": " + d.message;
}

PYBIND11_MODULE(_C, m) {
  m.doc() = "Kite's compiler (libkite): IR stages, devices, the JIT cache.";

  py::class_<kite::Diagnostic>(m, "Diagnostic")
      .def_readonly("severity", &kite::Diagnostic::severity)
      .def_readonly("file", &kite::Diagnostic::file)
      .def_readonly("line", &kite::Diagnostic::line)
      .def_readonly("column", &kite::Diagnostic::column)
      .def_readonly("message", &kite::Diagnostic::message)
      .def("__str__", &formatDiagnostic)
      .def("__repr__", [](const kite::Diagnostic &d) {
        return "<kite._C.Diagnostic " + formatDiagnostic(d) + ">";
      });

  py::class_<kite::IRResult>(m, "IRResult")
      .def_readonly("ok", &kite::IRResult::ok)
      .def_readonly("ir", &kite::IRResult::ir)
      .def_readonly("diagnostics", &kite::IRResult::diagnostics)
      // `ok, ir, diagnostics = kite._C.run_stage(...)` unpacks it.
      .def("__iter__",
           [](const kite::IRResult &r) {
             return py::iter(py::make_tuple(r.ok, r.ir, r.diagnostics));
           })
      .def("__repr__", [](const kite::IRResult &r) {
        return "<kite._C.IRResult ok=" + std::string(r.ok ? "True" : "False") +
               ", " + std::to_string(r.diagnostics.size()) + " diagnostics>";
      });

  m.def(
      "run_stage",
      [](const std::string &ir, const std::string &stage, bool debugInfo,
         bool generic, int numWarps, int threadsPerWarp, int maxVectorElements,
         int maxElementsPerThread, bool checkMemory,
         long long maxWorkgroupBytes, long long tensorCores, int numStages,
         bool quantizeDot, const std::string &fuseDequantize,
         bool warpgroupMma) {
        return kite::runStage(
            ir, stage, kite::PrintOptions{debugInfo, generic},
            kite::StageOptions{numWarps, threadsPerWarp, maxVectorElements,
                               maxElementsPerThread, checkMemory,
                               maxWorkgroupBytes, tensorCores,
                               std::max(numStages, 1), quantizeDot,
                               fuseDequantize, warpgroupMma});
      },
      py::arg("ir"), py::arg("stage"), py::arg("debug_info") = false,
      py::arg("generic") = false, py::arg("num_warps") = 4,
      py::arg("threads_per_warp") = 32, py::arg("max_vector_elements") = 4,
      py::arg("max_elements_per_thread") = 2048,
      py::arg("check_memory") = false, py::arg("max_workgroup_bytes") = 32768,
      py::arg("tensor_cores") = 0, py::arg("num_stages") = 1,
      py::arg("quantize_dot") = true, py::arg("fuse_dequantize") = "unshared",
      py::arg("warpgroup_mma") = false, py::call_guard<py::gil_scoped_release>(),
      "Parse and verify kite IR, run the named stage, print the result. "
      "num_warps and threads_per_warp (the target's subgroup size) shape the "
      "layouts of the 'kitegpu' stage; max_vector_elements bounds the vector "
      "accesses of the 'threads' stage (4 for SPIR-V, 16 for NVPTX) and "
      "max_elements_per_thread the elements of one tensor a thread may hold "
      "(max_elements_per_thread(backend); 0: unchecked); check_memory "
      "bounds its global accesses to their allocations; max_workgroup_bytes "
      "is the workgroup memory one program may use (the target's; 0: "
      "unchecked); tensor_cores: the compute capability (80 for sm_80) of an "
      "NVIDIA target with mma.sync, 0 for none; num_stages: how deep loops "
      "whose loads feed dots are pipelined with async copies (sm_80 and "
      "later; 1: not at all); fuse_dequantize: which tensor-core dot operands "
      "decoded from narrow codes are decoded at their mma fragments "
      "('unshared', 'always', 'never'); warpgroup_mma: Hopper's wgmma "
      "(sm_90a).");
  m.def("max_elements_per_thread", &kite::maxElementsPerThread,
        py::arg("backend"),
        "The most elements of one tensor a thread may hold on a backend "
        "('vulkan', 'cuda'; anything else: a generic target).");
  m.def(
      "run_pass_pipeline",
      [](const std::string &ir, const std::string &pipeline, bool debugInfo,
         bool generic) {
        return kite::runPassPipeline(ir, pipeline,
                                     kite::PrintOptions{debugInfo, generic});
      },
      py::arg("ir"), py::arg("pipeline"), py::arg("debug_info") = false,
      py::arg("generic") = false, py::call_guard<py::gil_scoped_release>(),
      "Like run_stage, with a textual pass pipeline such as "
      "'builtin.module(kite-combine,cse)'.");
  py::class_<kite::SpirvResult>(m, "SpirvResult")
      .def_readonly("ok", &kite::SpirvResult::ok)
      .def_property_readonly(
          "binary",
          [](const kite::SpirvResult &r) {
            return py::bytes(reinterpret_cast<const char *>(r.binary.data()),
                             r.binary.size());
          })
      .def_readonly("disassembly", &kite::SpirvResult::disassembly)
      .def_readonly("ir", &kite::SpirvResult::ir)
      .def_readonly("diagnostics", &kite::SpirvResult::diagnostics)
      .def_readonly("debug_records", &kite::SpirvResult::debugRecords);
  m.def(
      "emit_spirv",
      [](const std::string &ir, unsigned subgroupSize, bool int8, bool int16,
         bool int64, bool float16, bool float64, bool atomicFloatAdd,
         bool debugBuffer, uint32_t loopIterationLimit,
         uint32_t signedZeroInfNanPreserveWidths,
         uint32_t maxComputeSharedMemorySize) {
        return kite::emitSpirv(
            ir, {subgroupSize, int8, int16, int64, float16, float64,
                 atomicFloatAdd, debugBuffer, loopIterationLimit,
                 signedZeroInfNanPreserveWidths, maxComputeSharedMemorySize});
      },
      py::arg("ir"), py::arg("subgroup_size") = 32, py::arg("int8") = false,
      py::arg("int16") = false, py::arg("int64") = true,
      py::arg("float16") = false, py::arg("float64") = false,
      py::arg("atomic_float_add") = false, py::arg("debug_buffer") = false,
      py::arg("loop_iteration_limit") = 0,
      py::arg("signed_zero_inf_nan_preserve_widths") = 0,
      py::arg("max_compute_shared_memory_size") = 32768,
      py::call_guard<py::gil_scoped_release>(),
      "Thread-level IR to a validated Vulkan SPIR-V binary (bytes), its "
      "disassembly and its spirv.module text.");
  py::class_<kite::PtxResult>(m, "PtxResult")
      .def_readonly("ok", &kite::PtxResult::ok)
      .def_readonly("ptx", &kite::PtxResult::ptx)
      .def_readonly("llvm_ir", &kite::PtxResult::llvmIR)
      .def_readonly("ir", &kite::PtxResult::ir)
      .def_readonly("shared_bytes", &kite::PtxResult::sharedBytes)
      .def_readonly("diagnostics", &kite::PtxResult::diagnostics);
  m.def(
      "emit_ptx",
      [](const std::string &ir, const std::string &chip, unsigned ptxVersion,
         bool fpFusion, const std::string &libdevice) {
        return kite::emitPtx(ir, {chip, ptxVersion, fpFusion, libdevice});
      },
      py::arg("ir"), py::arg("chip") = "sm_90", py::arg("ptx_version") = 0,
      py::arg("fp_fusion") = true, py::arg("libdevice") = "",
      py::call_guard<py::gil_scoped_release>(),
      "Thread-level IR to NVIDIA PTX for `chip` (e.g. 'sm_80', 'sm_90a') "
      "through LLVM's NVPTX backend; `ptx_version` is the PTX ISA times ten "
      "(0: the lowest the chip allows); `libdevice` the bitcode to link for "
      "f64 math ('': libdevice_path()). Returns the PTX, the optimized LLVM "
      "IR and the LLVM-dialect module text.");
  m.def(
      "opt_main",
      [](const std::vector<std::string> &args) {
        std::vector<std::string> owned = args;
        std::vector<char *> argv;
        for (std::string &arg : owned)
          argv.push_back(arg.data());
        argv.push_back(nullptr);
        return kite::optMain(int(owned.size()), argv.data());
      },
      py::arg("argv"), py::call_guard<py::gil_scoped_release>(),
      "kite-opt with these arguments (argv[0] first); its exit status. It "
      "parses LLVM's command-line options: once per process (the `kite-opt` "
      "command).");
  m.def("max_shared_bytes_per_block", &kite::maxSharedBytesPerBlock,
        py::arg("arch"),
        "The most shared memory one block may opt in to on `arch` "
        "('sm_90a'), in bytes; the closest older architecture's for one the "
        "table does not know, 0 for a name that is no sm_N.");
  m.def("libdevice_path", &kite::libdevicePath,
        "The libdevice bitcode emit_ptx links for f64 math ('' if none).");
  m.def("stage_names", &kite::stageNames,
        "The stages run_stage accepts, in pipeline order.");
  m.def("version", &kite::version, "Kite's version, e.g. '0.1.0'.");
  m.def("build_id", &kite::buildId,
        "A stable id of this build of libkite, for cache keys.");
  kite::python::bindDevice(m);
  kite::python::bindCache(m);
  kite::python::bindPackedLauncher(m);
  kite::python::bindLaunchBinder(m);
}

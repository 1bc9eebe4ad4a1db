# lit configuration of Kite's FileCheck tests (tier 1: kite-opt, no device).
import os

import lit.formats

config.name = "Kite"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kite_obj_root, "test", "lit")

# kite-opt and kite-translate from this build; FileCheck and not from LLVM.
config.environment["PATH"] = os.pathsep.join(
    [config.kite_tools_dir, config.filecheck_dir, config.environment["PATH"]]
)

# mlir-translate (deserializes SPIR-V) and spirv-val (validates it for
# Vulkan): tests that need them say `REQUIRES: spirv-tools`.
spirv_tools = [config.mlir_translate, config.spirv_val]
if all(tool and not tool.endswith("-NOTFOUND") for tool in spirv_tools):
    config.available_features.add("spirv-tools")
    config.environment["PATH"] = os.pathsep.join(
        [os.path.dirname(tool) for tool in spirv_tools]
        + [config.environment["PATH"]]
    )

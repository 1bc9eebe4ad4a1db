// gdc_wait / gdc_launch_dependents: griddepcontrol on sm_90 and later;
// nothing before sm_90 (no programmatic dependent launch there).
// RUN: kite-opt %s --convert-kitethread-to-nvvm="chip=sm_90" | FileCheck %s --check-prefix=SM90
// RUN: kite-opt %s --convert-kitethread-to-nvvm="chip=sm_80" | FileCheck %s --check-prefix=SM80

// SM90-LABEL: llvm.func @gdc(
// SM90: nvvm.griddepcontrol wait
// SM90: nvvm.griddepcontrol launch_dependents
// SM80-LABEL: llvm.func @gdc(
// SM80-NOT: griddepcontrol
// SM80-NOT: kitethread
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @gdc() attributes {kite.kernel} {
    kitethread.gdc_wait
    kitethread.gdc_launch_dependents
    return
  }
}

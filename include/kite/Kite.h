//===- Kite.h - the whole public C++ API of Kite ----------------*- C++ -*-===//
#ifndef KITE_KITE_H
#define KITE_KITE_H

#include "kite/Cache.h"
#include "kite/Compiler.h"
#include "kite/Device.h"
#include "kite/Jit.h"
#include "kite/Opt.h"
#include "kite/Ptx.h"
#include "kite/Spirv.h"
#include "kite/Status.h"
#include "kite/Version.h"

#endif // KITE_KITE_H

//===- JitTestMain.cpp - the JIT tests run against a cache of their own ---===//
//
// kite::Cache::global() reads $KITE_CACHE_DIR once, when first used; setting
// it before any test runs keeps these tests out of the user's cache and lets
// them see every compilation as a miss first.
//
//===----------------------------------------------------------------------===//
#include "CacheTestSupport.h"

#include <gtest/gtest.h>

#include <cstdlib>

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  kite::testing::TemporaryDirectory cache;
  setenv("KITE_CACHE_DIR", cache.path.c_str(), /*overwrite=*/1);
  return RUN_ALL_TESTS();
}

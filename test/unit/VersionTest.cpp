//===- VersionTest.cpp - kite::version and kite::buildId ------------------===//
#include "kite/Version.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

TEST(Version, IsTheProjectVersion) {
  EXPECT_EQ(kite::version(), KITE_EXPECTED_VERSION);
}

TEST(BuildId, IsStableHex) {
  std::string id = kite::buildId();
  ASSERT_EQ(id.size(), 32u);
  for (char c : id)
    EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(c))) << id;
  EXPECT_EQ(kite::buildId(), id);
}

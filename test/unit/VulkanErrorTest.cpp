//===- VulkanErrorTest.cpp - how Vulkan failures are worded ---------------===//
//
// Links the Vulkan runtime directly (not through libkite), since lavapipe
// cannot be made to fail every call on demand: this checks the one function
// through which every failing VkResult becomes a message.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/VulkanLoader.h"

#include <gtest/gtest.h>

namespace {

using kite::vulkan::callFailed;
using kite::vulkan::resultName;

TEST(VulkanErrors, NameTheCallAndTheResult) {
  EXPECT_EQ(callFailed("vkAllocateMemory", VK_ERROR_OUT_OF_DEVICE_MEMORY),
            "vkAllocateMemory failed: VK_ERROR_OUT_OF_DEVICE_MEMORY");
  EXPECT_EQ(callFailed("vkQueueSubmit", VK_ERROR_DEVICE_LOST),
            "vkQueueSubmit failed: VK_ERROR_DEVICE_LOST");
  EXPECT_EQ(resultName(VK_ERROR_OUT_OF_HOST_MEMORY),
            "VK_ERROR_OUT_OF_HOST_MEMORY");
  EXPECT_EQ(resultName(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS),
            "VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS");
  EXPECT_EQ(resultName(VK_TIMEOUT), "VK_TIMEOUT");
  // Codes newer than these headers still say what they are.
  EXPECT_EQ(resultName(static_cast<VkResult>(-1000999000)),
            "VkResult(-1000999000)");
}

} // namespace

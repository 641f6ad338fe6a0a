// Pins the module ABI headers: any edit to them must come with a bump of
// EXPORTERD_MODULE_ABI_VERSION and a new hash here.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <iterator>

#include "exporterd/module_abi.h"

namespace {

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

std::string Read(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(AbiTest, HeadersMatchPinnedVersion) {
  // Every header whose types cross the module boundary.
  std::string both =
      Read(SOURCE_DIR "/core/include/exporterd/module_abi.h") +
      Read(SOURCE_DIR "/core/include/exporterd/module.h") +
      Read(SOURCE_DIR "/core/include/exporterd/config_reader.h") +
      Read(SOURCE_DIR "/core/include/exporterd/log.h");
  ASSERT_FALSE(both.empty());
  // Update both lines together.
  EXPECT_EQ(EXPORTERD_MODULE_ABI_VERSION, 2u);
  EXPECT_EQ(Sha256Hex(both),
            "c32be002e8475bed0b02c76c6dea7629a238006ed7cbf3731b083fc3435392d5")
      << "module_abi.h or module.h changed: bump EXPORTERD_MODULE_ABI_VERSION "
         "and update the hash in this test";
}

}  // namespace

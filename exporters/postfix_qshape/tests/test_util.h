// Queue files built byte by byte, and scratch queue trees.
#ifndef EXPORTERS_POSTFIX_QSHAPE_TESTS_TEST_UTIL_H_
#define EXPORTERS_POSTFIX_QSHAPE_TESTS_TEST_UTIL_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "test_kit.h"

namespace postfix_qshape::testing {

// One record: type, base-128 length, data.
std::string Rec(char type, std::string_view data);

// The parts of a message that matter to qshape.
struct Message {
  int64_t arrival = 1700000000;  // T record seconds
  std::string sender = "sender@example.org";
  std::vector<std::string> recipients = {"rcpt@example.com"};  // R
  std::vector<std::string> delivered;                          // D (done)
  std::vector<std::string> extracted;  // R after X (from headers)
  std::vector<std::string> body = {"Subject: test", "", "hello"};
  bool size_record = true;  // C with the content size (cleanup writes one)
};

// Postfix cleanup's layout, as seen in Postfix 3.7 queue files:
// C T A A F S (A O R|D)... M N... X [R...] E, C fields "%15ld " x 5.
std::string CleanupFile(const Message& m);
// postdrop's maildrop layout: T A F S R... M N... X E (no C record).
std::string MaildropFile(const Message& m);

using exporterd::testing::ReadFile;
using exporterd::testing::TempDir;

}  // namespace postfix_qshape::testing

#endif  // EXPORTERS_POSTFIX_QSHAPE_TESTS_TEST_UTIL_H_

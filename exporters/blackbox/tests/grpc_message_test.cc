// The grpc prober's pure parts (grpc_message.h) on what Debian's grpcio
// answers (fixtures/grpc, see SOURCES.md), and grpc-status values as
// grpc-go's strconv.ParseInt(v, 10, 32) reads them.
#include "grpc_message.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "test_kit.h"

namespace exporterd::blackbox::grpc {
namespace {

std::string ReadFixture(const std::string& file) {
  return exporterd::testing::ReadFile(BLACKBOX_FIXTURE_DIR "/grpc/" + file);
}

// The grpc-status values of a captured answer (headers, then trailers).
std::vector<std::string> StatusValues(const std::string& headers) {
  std::vector<std::string> out;
  std::istringstream in(headers);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("grpc-status: ", 0) == 0) out.push_back(line.substr(13));
  return out;
}

TEST(GrpcMessage, GrpcioAnswers) {
  EXPECT_EQ(HealthCheckStatus(ReadFixture("serving.bin")), 1);
  EXPECT_EQ(HealthCheckStatus(ReadFixture("not_serving.bin")), 2);
  std::string err;
  EXPECT_EQ(StatusValues(ReadFixture("serving.headers")),
            std::vector<std::string>{"0"});
  EXPECT_EQ(ParseStatus("0", &err), 0);
  EXPECT_EQ(StatusValues(ReadFixture("not_found.headers")),
            std::vector<std::string>{"5"});
  EXPECT_EQ(ParseStatus("5", &err), 5);
}

TEST(GrpcMessage, Request) {
  EXPECT_EQ(HealthCheckRequest(""), std::string(5, '\0'));
  EXPECT_EQ(HealthCheckRequest("up"), std::string("\0\0\0\0\x04\x0a\x02up", 9));
  // What the prober sends is never read as a status.
  EXPECT_EQ(HealthCheckStatus(HealthCheckRequest(std::string(300, 'x'))), 0);
}

TEST(GrpcMessage, BadResponses) {
  const std::string serving = ReadFixture("serving.bin");
  ASSERT_EQ(serving.size(), 7u);
  EXPECT_EQ(HealthCheckStatus(""), -1);
  EXPECT_EQ(HealthCheckStatus(serving.substr(0, 6)), -1);  // cut short
  std::string compressed = serving;
  compressed[0] = 1;
  EXPECT_EQ(HealthCheckStatus(compressed), -1);
  // No fields: UNKNOWN; an unknown field is skipped; a number past
  // SERVICE_UNKNOWN or a cut varint is refused.
  EXPECT_EQ(HealthCheckStatus(std::string(5, '\0')), 0);
  EXPECT_EQ(HealthCheckStatus(std::string("\0\0\0\0\x07\x12\x03"
                                          "abc\x08\x01",
                                          12)),
            1);
  EXPECT_EQ(HealthCheckStatus(std::string("\0\0\0\0\x02\x08\x07", 7)), -1);
  EXPECT_EQ(HealthCheckStatus(std::string("\0\0\0\0\x02\x08\x81", 7)), -1);
}

TEST(GrpcMessage, StatusAsGrpcGo) {
  std::string err;
  EXPECT_EQ(ParseStatus("14", &err), 14);
  EXPECT_EQ(ParseStatus("+7", &err), 7);
  EXPECT_EQ(ParseStatus("-1", &err), -1);
  EXPECT_EQ(ParseStatus("007", &err), 7);
  EXPECT_EQ(ParseStatus("2147483647", &err), 2147483647);
  EXPECT_EQ(ParseStatus("-2147483648", &err), -2147483648LL);
  EXPECT_EQ(ParseStatus("abc", &err), std::nullopt);
  EXPECT_EQ(err, "strconv.ParseInt: parsing \"abc\": invalid syntax");
  EXPECT_EQ(ParseStatus("2147483648", &err), std::nullopt);
  EXPECT_EQ(err,
            "strconv.ParseInt: parsing \"2147483648\": value out of range");
  EXPECT_EQ(ParseStatus("99999999999999999999999", &err), std::nullopt);
  EXPECT_EQ(err,
            "strconv.ParseInt: parsing \"99999999999999999999999\": value out "
            "of range");
  for (const char* bad :
       {"", "+", "-", " 0", "0 ", "1_0", "0x1", "1.0", "+-1", "\xd9\xa1"}) {
    err.clear();
    EXPECT_EQ(ParseStatus(bad, &err), std::nullopt) << bad;
    EXPECT_NE(err.find("invalid syntax"), std::string::npos) << bad;
  }
  ParseStatus(std::string("\x01\"", 2), &err);
  EXPECT_EQ(err, "strconv.ParseInt: parsing \"\\x01\\\"\": invalid syntax");
}

}  // namespace
}  // namespace exporterd::blackbox::grpc

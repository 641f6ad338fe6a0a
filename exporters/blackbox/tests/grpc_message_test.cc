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

using namespace std::string_literals;

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

// A HealthCheckResponse's bytes in gRPC's frame (not compressed).
std::string Framed(const std::string& message) {
  std::string out(5, '\0');
  out[4] = static_cast<char>(message.size());  // < 256 here
  return out + message;
}
std::string Bytes(const char* s, size_t n) { return std::string(s, n); }

TEST(GrpcMessage, BadResponses) {
  const std::string serving = ReadFixture("serving.bin");
  ASSERT_EQ(serving, Framed(Bytes("\x08\x01", 2)));
  EXPECT_EQ(HealthCheckStatus(""), std::nullopt);
  EXPECT_EQ(HealthCheckStatus(serving.substr(0, 6)), std::nullopt);  // cut
  std::string compressed = serving;
  compressed[0] = 1;
  EXPECT_EQ(HealthCheckStatus(compressed), std::nullopt);
  // A second message, or part of one: grpc-go's "cardinality violation".
  EXPECT_EQ(HealthCheckStatus(serving + serving), std::nullopt);
  EXPECT_EQ(HealthCheckStatus(serving + '\0'), std::nullopt);
  // What protobuf-go refuses: field number 0, a varint of 11 bytes or whose
  // tenth byte carries past 64 bits, a cut value, wire types 6 and 7, an
  // end-group tag with no group, a group left open or closed with another
  // number.
  EXPECT_EQ(HealthCheckStatus(Framed(Bytes("\x00\x01", 2))), std::nullopt);
  EXPECT_EQ(
      HealthCheckStatus(Framed("\x08" + std::string(10, '\xff') + '\x01')),
      std::nullopt);
  EXPECT_EQ(HealthCheckStatus(Framed("\x08" + std::string(9, '\xff') + '\x02')),
            std::nullopt);
  EXPECT_EQ(HealthCheckStatus(Framed("\x08\x81")), std::nullopt);
  EXPECT_EQ(HealthCheckStatus(Framed("\x12\x05"
                                     "abc")),
            std::nullopt);
  EXPECT_EQ(HealthCheckStatus(Framed("\x0e\x01")), std::nullopt);
  EXPECT_EQ(HealthCheckStatus(Framed("\x0f\x01")), std::nullopt);
  EXPECT_EQ(HealthCheckStatus(Framed("\x0c\x08\x01")), std::nullopt);
  EXPECT_EQ(HealthCheckStatus(Framed("\x1b\x08\x01")), std::nullopt);
  EXPECT_EQ(HealthCheckStatus(Framed("\x1b\x08\x01\x24")), std::nullopt);
  // A field number past 2^29-1 (tag 0x80 0x80 0x80 0x80 0x10: 2^29 << 3).
  EXPECT_EQ(HealthCheckStatus(Framed("\x80\x80\x80\x80\x10\x01\x08\x01")),
            std::nullopt);
}

// What protobuf-go reads, past what a real server sends: no fields is
// UNKNOWN; other fields, field 1 with another wire type and well-formed
// groups are skipped; the last status wins; the varint is cut to the
// enum's int32, so a number the enum does not name comes back as itself.
TEST(GrpcMessage, StatusAsProtobufGo) {
  EXPECT_EQ(HealthCheckStatus(Framed("")), 0);
  EXPECT_EQ(HealthCheckStatus(Framed("\x12\x03"
                                     "abc\x08\x01")),
            1);
  EXPECT_EQ(HealthCheckStatus(Framed("\x08\x02\x0a\x01x")), 2);
  EXPECT_EQ(HealthCheckStatus(Framed("\x08\x02\x08\x01")), 1);
  EXPECT_EQ(HealthCheckStatus(Framed("\x1b\x08\x02\x23\x24\x1c\x08\x01")),
            1);  // group 3 { 1: 2, group 4 {} }, then status 1
  EXPECT_EQ(HealthCheckStatus(Framed("\x08\x07")), 7);
  // 2^32 + 1 is 1 (SERVING) to protobuf-go, and 2^64-1 is -1.
  EXPECT_EQ(HealthCheckStatus(Framed("\x08\x81\x80\x80\x80\x10")), 1);
  EXPECT_EQ(HealthCheckStatus(Framed("\x08" + std::string(9, '\xff') + '\x01')),
            -1);
  // Groups nest to protobuf-go's recursion limit, 10001 in all.
  auto nested = [](int depth) {
    std::string m(depth, '\x1b');  // group 3 start
    m += std::string(depth, '\x1c');
    std::string out = "\0\0\0\0\0"s;
    out[2] = static_cast<char>(m.size() >> 16);
    out[3] = static_cast<char>(m.size() >> 8);
    out[4] = static_cast<char>(m.size());
    return out + m;
  };
  EXPECT_EQ(HealthCheckStatus(nested(10001)), 0);
  EXPECT_EQ(HealthCheckStatus(nested(10002)), std::nullopt);
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

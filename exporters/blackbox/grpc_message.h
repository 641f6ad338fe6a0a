// The grpc prober's pure parts: the health-checking protocol's messages
// (grpc.health.v1, two one-field protobufs in gRPC's 5-byte frame) and a
// grpc-status value, read as grpc-go reads what a server sends. No I/O.
//
//   std::string body = grpc::HealthCheckRequest("my.Service");
//   ... POST body, receive `answer` and the grpc-status header `status` ...
//   std::string err;
//   auto code = grpc::ParseStatus(status, &err);  // nullopt: malformed
//   auto serving = grpc::HealthCheckStatus(answer);  // 1: SERVING
#ifndef EXPORTERD_BLACKBOX_GRPC_MESSAGE_H_
#define EXPORTERD_BLACKBOX_GRPC_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace exporterd::blackbox::grpc {

// HealthCheckRequest{service = 1}, framed (not compressed).
std::string HealthCheckRequest(const std::string& service);

// The status of the one framed HealthCheckResponse{status = 1} a unary call
// answers, as grpc-go and protobuf-go read it: 0 UNKNOWN (also when
// absent), 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN, or any other int32
// (an open enum; the varint cut to 32 bits, the last of repeated fields
// wins). nullopt, where grpc-go ends the call with Internal: no frame, a
// compressed or cut one, bytes after it (another message: "cardinality
// violation"), or a protobuf that does not parse (a field number 0 or past
// 2^29-1, a varint past 10 bytes or 64 bits, a cut field, a group left
// open or closed with another number, wire type 6 or 7). Other fields and
// well-formed groups are skipped, as protobuf-go skips unknown fields.
std::optional<int32_t> HealthCheckStatus(std::string_view body);

// A grpc-status value as grpc-go takes it (strconv.ParseInt(v, 10, 32)): an
// optional sign and decimal digits within int32. nullopt when malformed,
// with *err set to Go's reason ("strconv.ParseInt: parsing \"x\": invalid
// syntax"); grpc-go then ends the call with Internal.
std::optional<int32_t> ParseStatus(std::string_view value, std::string* err);

}  // namespace exporterd::blackbox::grpc

#endif  // EXPORTERD_BLACKBOX_GRPC_MESSAGE_H_

#!/usr/bin/python3
"""A gRPC health server (grpc.health.v1.Health/Check) on Debian's grpcio, for the grpc prober's
tests. Messages are encoded by hand (no generated code): HealthCheckRequest{service = 1} and
HealthCheckResponse{status = 1}.

  grpc_health_server.py PORT [CERT KEY]     (TLS when CERT and KEY are given)

Services: "" and "up" are SERVING, "down" NOT_SERVING; any other is NOT_FOUND, as grpc's own
health servicer answers. The metadata key "x-probe" must be "yes" when present.
"""
import sys
from concurrent import futures

import grpc

STATUS = {"": 1, "up": 1, "down": 2}


def decode_service(data):
    # field 1, wire type 2 (length-delimited), a one-byte length: enough for the test's names
    if not data:
        return ""
    if data[0] != 0x0A or len(data) < 2 or data[1] + 2 > len(data):
        raise ValueError("not a HealthCheckRequest")
    return data[2:2 + data[1]].decode()


def check(request, context):
    md = dict(context.invocation_metadata())
    if md.get("x-probe", "yes") != "yes":
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "bad x-probe")
    service = decode_service(request)
    if service not in STATUS:
        context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
    return bytes([0x08, STATUS[service]])


def main():
    port = int(sys.argv[1])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handler = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health",
        {"Check": grpc.unary_unary_rpc_method_handler(
            check, request_deserializer=lambda b: b, response_serializer=lambda b: b)})
    server.add_generic_rpc_handlers((handler,))
    if len(sys.argv) > 3:
        creds = grpc.ssl_server_credentials(
            [(open(sys.argv[3], "rb").read(), open(sys.argv[2], "rb").read())])
        server.add_secure_port("127.0.0.1:%d" % port, creds)
    else:
        server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes seeds/grpc/ for blackbox_grpc_fuzz (a selector byte, then the bytes;
see grpc_fuzz.cc) from the real grpcio answers in ../tests/fixtures/grpc/:
their HealthCheckResponse bodies and their grpc-status values. Then the
malformed statuses grpc-go refuses, and one request. Run it again when
captures are added."""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE.parent / "tests" / "fixtures" / "grpc"
OUT = HERE / "seeds" / "grpc"

seeds = {}
for body in sorted(FIXTURES.glob("*.bin")):
    seeds["response_" + body.stem] = b"\x00" + body.read_bytes()
for headers in sorted(FIXTURES.glob("*.headers")):
    for line in headers.read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "grpc-status":
            seeds["status_" + headers.stem] = b"\x01" + value.strip().encode()
for name, value in {"garbage": b"abc", "out_of_range": b"2147483648",
                    "negative": b"-2147483648", "spaced": b" 0"}.items():
    seeds["status_" + name] = b"\x01" + value
seeds["request_service"] = b"\x02grpc.health.v1.Health"

OUT.mkdir(parents=True, exist_ok=True)
for old in OUT.iterdir():
    old.unlink()
for name, data in seeds.items():
    (OUT / name).write_bytes(data)

#!/usr/bin/env python3
"""Writes seeds/icmp/*.bin for blackbox_icmp_fuzz from the real socket
captures in ../tests/fixtures/icmp/*.txt, in the target's input layout (see
icmp_fuzz.cc). Run it again when captures are added."""
import pathlib

here = pathlib.Path(__file__).resolve().parent
src = here.parent / "tests" / "fixtures" / "icmp"
out = here / "seeds" / "icmp"
out.mkdir(parents=True, exist_ok=True)
for f in sorted(src.glob("*.txt")):
    recv, cmsgs, errqueue = b"", [], False
    for line in f.read_text().splitlines():
        w = line.split()
        if not w or w[0].startswith("#"):
            continue
        if w[0] == "recv":
            recv = bytes.fromhex(w[1])
        elif w[0] == "cmsg":
            cmsgs.append((int(w[1]), int(w[2]), bytes.fromhex(w[3])))
        elif w[0] == "errqueue":
            errqueue = True
    v6 = f.name.startswith("v6_")
    raw_v4 = "_raw_" in f.name and not v6
    flags = (1 if v6 else 0) | (2 if raw_v4 else 0) | (4 if errqueue else 0)
    body = bytes([flags])
    if errqueue:
        body += bytes([len(cmsgs)])
        for level, kind, data in cmsgs:
            body += bytes([0 if level == 0 else 41, kind, len(data)]) + data
    (out / (f.stem + ".bin")).write_bytes(body + recv)
    print(f"{f.name} -> {f.stem}.bin ({len(body + recv)} bytes)")

#!/usr/bin/python3
# net-snmp pass_persist handler serving a capture file (the format of
# capture.sh / test_util.cc ParseCapture) read-only, so that a real snmpd
# answers snmp_exporter with exactly the captured varbinds.
#   snmpd.conf: pass_persist .1.3.6.1 /path/replay_agent.py /path/capture.txt
import bisect
import sys

TYPES = {"INTEGER": "integer", "Gauge32": "gauge", "Counter32": "counter",
         "Counter64": "counter64", "Timeticks": "timeticks",
         "IpAddress": "ipaddress", "OID": "objectid", "Hex-STRING": "octet"}


def parse_oid(s):
    return tuple(int(x) for x in s.strip().strip(".").split(".") if x)


def load(path):
    vals = {}
    last = None
    for line in open(path, encoding="latin-1"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        if not line.startswith("."):
            t, v = vals[last]  # Hex-STRING continuation
            vals[last] = (t, (v + " " + line.strip()).strip())
            continue
        oid, _, rest = line.partition(" = ")
        key = parse_oid(oid)
        if rest == '""':
            vals[key] = ("octet", "")
        elif rest.startswith("No ") or rest.startswith("NULL"):
            continue
        else:
            t, _, v = rest.partition(": ")
            if t == "Timeticks":
                v = v[1:v.index(")")]
            vals[key] = (TYPES[t], v.strip())
        last = key
    return vals


def main():
    vals = load(sys.argv[1])
    keys = sorted(vals)
    w = sys.stdout
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "PING":
            w.write("PONG\n")
        elif cmd in ("get", "getnext"):
            oid = parse_oid(sys.stdin.readline())
            if cmd == "get":
                k = oid if oid in vals else None
            else:
                j = bisect.bisect_right(keys, oid)
                k = keys[j] if j < len(keys) else None
            if k is None:
                w.write("NONE\n")
            else:
                t, v = vals[k]
                w.write(".%s\n%s\n%s\n" % (".".join(map(str, k)), t, v))
        elif cmd == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            w.write("not-writable\n")
        elif cmd == "":
            break
        w.flush()


main()

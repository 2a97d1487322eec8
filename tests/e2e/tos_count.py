#!/usr/bin/env python3
"""Counts the SCTP packets this host receives, by destination port and DSCP.

    tos_count.py --seconds S [--ready FILE]

Reads a copy of every IPv4 SCTP packet the host receives (a raw IP socket of
protocol 132, loopback included; the kernel's SCTP stack gets them all the
same) for S seconds (SIGTERM ends it early), then prints one line
    RESULT PORT:DSCP=COUNT ...
with a word per destination port and DSCP seen. FILE is written once the
socket is open, so that the traffic can start.
"""

import argparse
import collections
import signal
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--ready")
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
    s.settimeout(0.2)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("ready\n")
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    counts = collections.Counter()
    deadline = time.monotonic() + a.seconds
    while not stop[0] and time.monotonic() < deadline:
        try:
            b = s.recv(65535)
        except (socket.timeout, InterruptedError):
            continue
        ihl = (b[0] & 0x0F) * 4
        if len(b) < ihl + 4:
            continue
        port = int.from_bytes(b[ihl + 2:ihl + 4], "big")
        counts[(port, b[1] >> 2)] += 1
    words = [f"{p}:{d}={n}" for (p, d), n in sorted(counts.items())]
    print("RESULT " + " ".join(words), flush=True)


if __name__ == "__main__":
    main()

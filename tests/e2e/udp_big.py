#!/usr/bin/env python3
"""Sends big SIP requests over UDP and counts the answers (e2e, plpmtud).

    udp_big.py --port P --count N --body BYTES --timeout S REQUEST_URI

Sends N OPTIONS, each with a text body of BYTES bytes, from 127.0.0.1 to
127.0.0.1:P (a proxy), one every 50 ms, then waits until every one has a
final reply or S seconds have passed since the first was sent. Prints
    RESULT sent=N answered=K
and exits 0 when every request got a 2xx reply.
"""

import argparse
import socket
import time
import uuid


def request(ruri, lport, tag, k, body):
    return (
        f"OPTIONS {ruri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bK{tag}{k}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:big@127.0.0.1>;tag={tag}\r\n"
        f"To: <{ruri}>\r\n"
        f"Call-ID: {tag}-{k}@127.0.0.1\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--body", type=int, default=4000)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("ruri")
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    lport = s.getsockname()[1]
    tag = uuid.uuid4().hex[:10]
    body = ("x" * 79 + "\n") * (a.body // 80) + "x" * (a.body % 80)
    start = time.monotonic()
    for k in range(a.count):
        msg = request(a.ruri, lport, tag, k, body)
        s.sendto(msg, ("127.0.0.1", a.port))
        time.sleep(0.05)
    print(f"sent {a.count} OPTIONS of {len(msg)} bytes", flush=True)
    answered = set()
    while len(answered) < a.count:
        left = start + a.timeout - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(65535).decode(errors="replace")
        except socket.timeout:
            break
        status = data.split(" ", 2)[1] if data.startswith("SIP/2.0 ") else ""
        for line in data.split("\r\n"):
            if line.lower().startswith("call-id:") and status.startswith("2"):
                answered.add(line.split(":", 1)[1].strip())
    print(f"RESULT sent={a.count} answered={len(answered)} seconds={time.monotonic() - start:.1f}", flush=True)
    raise SystemExit(0 if len(answered) == a.count else 1)


if __name__ == "__main__":
    main()

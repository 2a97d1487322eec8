#!/usr/bin/env python3
"""SCTP peer of the e2e scenario `events-ours` (one-to-one SCTP socket).

    sctp_events_peer.py --bind ADDR[,ADDR2...]:PORT [--user U] [--until FILE]
                        [--abort] HOST:PORT

Binds to the first address and PORT, adds the others with sctp_bindx (so
the association has one path per address), connects to HOST:PORT, sends
one OPTIONS (Request-URI user U) and waits at most 5 s for its reply, then
waits for FILE to exist (at most 30 s), and ends the association: a
graceful SHUTDOWN on close, or an ABORT with --abort (SO_LINGER 0).
Prints what it does; exit code 0 if the OPTIONS got a 200.
"""

import argparse
import socket
import struct
import sys
import time

IPPROTO_SCTP = 132
SCTP_SOCKOPT_BINDX_ADD = 100


def log(text):
    print("peer: %s" % text, flush=True)


def sockaddr_in(addr, port):
    # struct sockaddr_in: family (host order), port and address (network order), 8 bytes zero
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton(addr) + bytes(8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("--bind", required=True)
    ap.add_argument("--user", default="events")
    ap.add_argument("--until")
    ap.add_argument("--abort", action="store_true")
    a = ap.parse_args()
    addrs, port = a.bind.rsplit(":", 1)
    addrs, port = addrs.split(","), int(port)
    host, dport = a.dest.rsplit(":", 1)
    for x in addrs + [host]:
        if not x.startswith("127."):
            sys.exit("loopback addresses only")

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SCTP)
    s.bind((addrs[0], port))
    for extra in addrs[1:]:
        s.setsockopt(IPPROTO_SCTP, SCTP_SOCKOPT_BINDX_ADD, sockaddr_in(extra, port))
    log("bound to %s port %d" % (",".join(addrs), port))
    s.settimeout(5)
    s.connect((host, int(dport)))
    req = (
        "OPTIONS sip:%s@%s:%s SIP/2.0\r\n"
        "Via: SIP/2.0/SCTP %s:%d;branch=z9hG4bK-ev-%d\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:peer@%s>;tag=ev%d\r\n"
        "To: <sip:%s@%s>\r\n"
        "Call-ID: ev-%d-%d@%s\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
        % (a.user, host, dport, addrs[0], port, port, addrs[0], port, a.user, host, port, time.time_ns(), addrs[0])
    )
    s.send(req.encode())
    ok = False
    try:
        reply = s.recv(65536).decode(errors="replace")
        first = reply.split("\r\n", 1)[0]
        log("reply: %s" % first)
        ok = first.startswith("SIP/2.0 200")
    except socket.timeout:
        log("no reply within 5 s")
    if a.until:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                open(a.until).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            log("%s did not appear within 30 s" % a.until)
    if a.abort:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    log("closing (%s)" % ("ABORT" if a.abort else "SHUTDOWN"))
    s.close()
    sys.exit(0 if ok else 1)


main()

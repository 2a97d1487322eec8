#!/usr/bin/env python3
"""Association churn against a SIP-over-SCTP server (e2e suite).

    sctp_churn.py [--count N] [--parallel P] [--timeout S] HOST:PORT

Opens N associations, at most P at a time, each on a one-to-one SCTP socket
of its own (a fresh local port): connect, send one OPTIONS, wait for its 200
on the same association, then end the association, alternately gracefully
(close: SHUTDOWN) and by ABORT (SO_LINGER 0, then close). One process, one
epoll loop, non-blocking sockets: python in the test VM is slow, and the
point is many associations in flight.

The last line is
    RESULT count=N ok=O failed=F graceful=G aborted=A seconds=T rate=R
(ok: 200 replies; graceful / aborted: associations ended each way after
their reply). Exit code 0 if every OPTIONS got its 200. The first failures
are printed with their reason. Only loopback destinations are accepted.
"""

import argparse
import errno
import ipaddress
import random
import selectors
import socket
import struct
import sys
import time

IPPROTO_SCTP = 132
SCTP_EVENTS = 11
MSG_NOTIFICATION = 0x8000


class Assoc:
    """One association: connecting, then waiting for its reply."""

    def __init__(self, n, dest, abort):
        self.n = n
        self.abort = abort
        fam = socket.AF_INET6 if ":" in dest[0] else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM, IPPROTO_SCTP)
        # No notifications: every read is the reply (or a stray message).
        self.sock.setsockopt(IPPROTO_SCTP, SCTP_EVENTS, bytes(6))
        self.sock.setblocking(False)
        self.deadline = 0.0
        self.callid = "churn-%d-%08x@127.0.0.1" % (n, random.getrandbits(32))
        self.sent = False
        rc = self.sock.connect_ex(dest)
        if rc not in (0, errno.EINPROGRESS):
            raise OSError(rc, "connect: %s" % errno.errorcode.get(rc, rc))

    def request(self, dest):
        port = self.sock.getsockname()[1]
        host = "[%s]" % dest[0] if ":" in dest[0] else dest[0]
        tag = "%08x" % random.getrandbits(32)
        return ("OPTIONS sip:uas@%s:%d SIP/2.0\r\n"
                "Via: SIP/2.0/SCTP %s:%d;branch=z9hG4bK-churn-%d-%s\r\n"
                "Max-Forwards: 70\r\n"
                "From: <sip:churn@%s>;tag=%s\r\n"
                "To: <sip:uas@%s:%d>\r\n"
                "Call-ID: %s\r\n"
                "CSeq: 1 OPTIONS\r\n"
                "Content-Length: 0\r\n\r\n"
                % (host, dest[1], host, port, self.n, tag, host, tag, host, dest[1],
                   self.callid)).encode()

    def close(self, abort):
        if abort:
            # SO_LINGER on with 0 s: close sends an ABORT at once.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dest", help="HOST:PORT (loopback only)")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--parallel", type=int, default=32)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per association")
    a = ap.parse_args()

    host, _, port = a.dest.rpartition(":")
    host = host.strip("[]")
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit("sctp_churn: only loopback destinations, not %s" % host)
    dest = (host, int(port))

    sel = selectors.DefaultSelector()
    counts = {"ok": 0, "failed": 0, "graceful": 0, "aborted": 0}
    failures = []
    started = 0
    t0 = time.monotonic()
    last_report = t0

    def fail(assoc, why):
        counts["failed"] += 1
        if len(failures) < 10:
            failures.append("association #%d: %s" % (assoc.n, why))
        sel.unregister(assoc.sock)
        assoc.close(abort=True)

    while started < a.count or sel.get_map():
        while started < a.count and len(sel.get_map()) < a.parallel:
            started += 1
            try:
                assoc = Assoc(started, dest, abort=started % 2 == 0)
            except OSError as e:
                counts["failed"] += 1
                if len(failures) < 10:
                    failures.append("association #%d: %s" % (started, e))
                continue
            assoc.deadline = time.monotonic() + a.timeout
            sel.register(assoc.sock, selectors.EVENT_WRITE, assoc)
        for key, _ev in sel.select(timeout=0.5):
            assoc = key.data
            if not assoc.sent:
                err = assoc.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    fail(assoc, "connect failed: %s" % errno.errorcode.get(err, err))
                    continue
                try:
                    assoc.sock.send(assoc.request(dest))
                except OSError as e:
                    fail(assoc, "send failed: %s" % e)
                    continue
                assoc.sent = True
                sel.modify(assoc.sock, selectors.EVENT_READ, assoc)
                continue
            try:
                data, _anc, flags, _addr = assoc.sock.recvmsg(1 << 16)
            except OSError as e:
                fail(assoc, "receive failed: %s" % e)
                continue
            if flags & MSG_NOTIFICATION:
                continue
            if not data:
                fail(assoc, "the association ended before the reply")
                continue
            if assoc.callid.encode() not in data:
                continue  # not ours: keep waiting
            first = data.split(b"\r\n", 1)[0].decode("latin-1")
            if not first.startswith("SIP/2.0 200"):
                fail(assoc, "reply '%s'" % first)
                continue
            counts["ok"] += 1
            counts["aborted" if assoc.abort else "graceful"] += 1
            sel.unregister(assoc.sock)
            assoc.close(assoc.abort)
        now = time.monotonic()
        for key in list(sel.get_map().values()):
            if now > key.data.deadline:
                fail(key.data, "no reply within %.1f s" % a.timeout)
        if now - last_report >= 10:
            last_report = now
            print("%7.1f s: %d started, %d answered, %d failed" % (now - t0, started, counts["ok"],
                  counts["failed"]), flush=True)

    secs = time.monotonic() - t0
    for f in failures:
        print("failure: %s" % f)
    print("RESULT count=%d ok=%d failed=%d graceful=%d aborted=%d seconds=%.1f rate=%.0f"
          % (a.count, counts["ok"], counts["failed"], counts["graceful"], counts["aborted"], secs,
             a.count / secs if secs > 0 else 0), flush=True)
    sys.exit(0 if counts["ok"] == a.count else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""SIP-over-SCTP test client of the e2e suite (one-to-many SCTP socket).

    sctp_client.py [options] HOST:PORT

Opens a one-to-many (SOCK_SEQPACKET) SCTP socket, subscribes to the
association, send-failure, peer-error and shutdown notifications, and then,
in order:
  --oversize N    sends one N-byte SIP-like INVITE (a huge body), expects
                  nothing back;
  --requests K    sends K small OPTIONS requests, one at a time, each waiting
                  at most --timeout seconds for its final reply (an ABORT of
                  the association ends the wait);
  --interval S    seconds between two requests;
  --body N        gives each OPTIONS an N-byte text body;
  --body-range A:B  gives each OPTIONS a text body of A to B bytes (random,
                  the same for the same label);
  --mtu M         sends in packets of at most M bytes (path MTU discovery
                  off), so that each DATA chunk of --maxseg goes alone;
  --assocs N      does all of it N times at once, on N sockets (N
                  associations), the RESULT line summing them;
  --expect-abort S  after the oversized message, waits at most S seconds for
                  the association to be aborted, and says how long it took
                  (later requests go on a new association);
  --maxseg M      sends in DATA chunks of at most M bytes (SCTP_MAXSEG), so
                  that a bigger message goes as several chunks;
  --rounds R      does the above (oversized message, then the requests) R
                  times over, on the same association;
  --hold S        then keeps the socket (and so its associations) open S
                  more seconds, reporting notifications; SIGTERM or SIGINT
                  ends the hold at once, and closing the socket shuts the
                  association down (SCTP SHUTDOWN).
  --go FILE       waits (at most 60 s) for FILE to exist before the first
                  send, so that several clients can send at the same time;
  --ready FILE    written (with the status of the first request, or "none")
                  as soon as the first request is done;
  --bind A,B,...  binds these local IPv4 addresses (one port, the first
                  address's, the others added with sctp_bindx): a multihomed
                  peer; default 127.0.0.1 (::1 for an IPv6 destination).

With --requests 0, only the oversized message is sent (once per round).
Everything it does and sees is printed, one line each; the last line is
    RESULT sent=K replied=R ok=O comm_up=U comm_lost=L shutdown=S send_failed=F aborted_after=T
(aborted_after: seconds from the oversized message to its association's abort,
-1 if none came within --expect-abort).
(ok: replies with status 200). Exit code 0 if every request got a 200.
Only loopback destinations are accepted.
"""

import argparse
import ipaddress
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import time

IPPROTO_SCTP = 132
SCTP_EVENTS = 11
SCTP_PEER_ADDR_PARAMS = 9
SPP_PMTUD_DISABLE = 16
SCTP_SOCKOPT_BINDX_ADD = 100
SCTP_MAXSEG = 13
MSG_NOTIFICATION = 0x8000

SCTP_ASSOC_CHANGE = 0x8001
SCTP_PEER_ADDR_CHANGE = 0x8002
SCTP_SEND_FAILED = 0x8003
SCTP_REMOTE_ERROR = 0x8004
SCTP_SHUTDOWN_EVENT = 0x8005
ASSOC_STATES = {0: "COMM_UP", 1: "COMM_LOST", 2: "RESTART", 3: "SHUTDOWN_COMP",
                4: "CANT_STR_ASSOC"}

T0 = time.monotonic()
stop = False


PRINT = threading.Lock()


def log(label, text):
    with PRINT:
        print("%7.3f client[%s]: %s" % (time.monotonic() - T0, label, text), flush=True)


class Client:
    def __init__(self, label, dest, bind=None, body=(0, 0), maxseg=0, mtu=0):
        self.label = label
        self.dest = dest
        fam = socket.AF_INET6 if ":" in dest[0] else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_SEQPACKET, IPPROTO_SCTP)
        # Room for the oversized message in one go.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        # struct sctp_event_subscribe: data_io, association, address,
        # send_failure, peer_error, shutdown (the rest stays off).
        self.sock.setsockopt(IPPROTO_SCTP, SCTP_EVENTS, bytes([0, 1, 0, 1, 1, 1]))
        local = bind or ["::1" if fam == socket.AF_INET6 else "127.0.0.1"]
        self.sock.bind((local[0], 0))
        self.port = self.sock.getsockname()[1]
        for extra in local[1:]:
            # sctp_bindx(SCTP_BINDX_ADD_ADDR) is this option with packed sockaddrs
            sin = struct.pack("=H", socket.AF_INET) + struct.pack("!H", self.port) + socket.inet_aton(extra) + bytes(8)
            self.sock.setsockopt(IPPROTO_SCTP, SCTP_SOCKOPT_BINDX_ADD, sin)
        if len(local) > 1:
            log(label, "also bound to %s" % ", ".join(local[1:]))
        self.body = body
        self.rand = random.Random(label)
        if mtu:
            # struct sctp_paddrparams (packed, 156 bytes) for every future
            # association: this path MTU, discovery off
            spp = struct.pack("=i128sIHIIIIB", 0, bytes(128), 0, 0, mtu, 0, SPP_PMTUD_DISABLE, 0, 0) + bytes(1)
            self.sock.setsockopt(IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, spp)
            log(label, "packets of at most %d bytes" % mtu)
        if maxseg:
            # struct sctp_assoc_value: every association of the socket
            self.sock.setsockopt(IPPROTO_SCTP, SCTP_MAXSEG, struct.pack("=iI", 0, maxseg))
            log(label, "DATA chunks of at most %d bytes" % maxseg)
        self.counts = {"comm_up": 0, "comm_lost": 0, "shutdown": 0, "send_failed": 0}
        self.aborted = False  # an association went down since the last check
        log(label, "socket bound to local port %d, destination %s:%d" % (self.port, dest[0], dest[1]))

    def notification(self, data):
        typ, _flags, _length = struct.unpack_from("=HHI", data)
        if typ == SCTP_ASSOC_CHANGE:
            state, error, outs, ins, assoc = struct.unpack_from("=HHHHi", data, 8)
            name = ASSOC_STATES.get(state, "state %d" % state)
            log(self.label, "notification SCTP_ASSOC_CHANGE %s (error %d, assoc_id %d, streams %d/%d)"
                % (name, error, assoc, outs, ins))
            if state == 0:
                self.counts["comm_up"] += 1
            elif state in (1, 4):
                self.counts["comm_lost"] += 1
                self.aborted = True
            elif state == 3:
                self.aborted = True
        elif typ == SCTP_SEND_FAILED:
            flags, = struct.unpack_from("=H", data, 2)
            error, = struct.unpack_from("=I", data, 8)
            log(self.label, "notification SCTP_SEND_FAILED (error %d, flags %#x)" % (error, flags))
            self.counts["send_failed"] += 1
        elif typ == SCTP_SHUTDOWN_EVENT:
            log(self.label, "notification SCTP_SHUTDOWN_EVENT (the peer shuts the association down)")
            self.counts["shutdown"] += 1
        elif typ == SCTP_REMOTE_ERROR:
            log(self.label, "notification SCTP_REMOTE_ERROR")
        else:
            log(self.label, "notification type %#x" % typ)

    def receive(self, timeout):
        """One message or notification within timeout: (data, True if
        notification) or None."""
        r, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not r:
            return None
        data, _anc, flags, _addr = self.sock.recvmsg(1 << 17)
        if flags & MSG_NOTIFICATION:
            self.notification(data)
            return data, True
        return data, False

    def send(self, data, what):
        try:
            self.sock.sendto(data, self.dest)
            log(self.label, "sent %s (%d bytes)" % (what, len(data)))
            return True
        except OSError as e:
            log(self.label, "sending %s failed: %s" % (what, e))
            return False

    def sip(self, method, n, body=b"", extra=""):
        tag = "%08x" % random.getrandbits(32)
        callid = "%s-%d-%08x@127.0.0.1" % (self.label, n, random.getrandbits(32))
        host = "[%s]" % self.dest[0] if ":" in self.dest[0] else self.dest[0]
        lhost = "[::1]" if ":" in self.dest[0] else "127.0.0.1"
        head = ("%s sip:uas@%s:%d SIP/2.0\r\n"
                "Via: SIP/2.0/SCTP %s:%d;branch=z9hG4bK-%s-%d\r\n"
                "Max-Forwards: 70\r\n"
                "From: <sip:%s@%s>;tag=%s\r\n"
                "To: <sip:uas@%s:%d>\r\n"
                "Call-ID: %s\r\n"
                "CSeq: %d %s\r\n"
                "Contact: <sip:%s@%s:%d;transport=sctp>\r\n"
                "%s"
                "Content-Length: %d\r\n\r\n"
                % (method, host, self.dest[1], lhost, self.port, tag, n, self.label, lhost, tag,
                   host, self.dest[1], callid, n, method, self.label, lhost, self.port, extra,
                   len(body)))
        return head.encode() + body, callid

    def oversize(self, size):
        """Send one INVITE of exactly size bytes (a plain-text body)."""
        body_len = size
        for _ in range(4):  # the Content-Length digits change the length
            msg, _ = self.sip("INVITE", 1, b"x" * max(body_len, 0), "Content-Type: text/plain\r\n")
            body_len += size - len(msg)
        return self.send(msg, "an oversized INVITE")

    def request(self, n, timeout):
        """Send OPTIONS n and wait for its final reply: its status or None."""
        if self.body[1]:
            size = self.rand.randint(*self.body)
            msg, callid = self.sip("OPTIONS", n, b"o" * size, "Content-Type: text/plain\r\n")
        else:
            msg, callid = self.sip("OPTIONS", n, b"")
        self.aborted = False
        if not self.send(msg, "OPTIONS #%d (Call-ID %s)" % (n, callid)):
            return None
        deadline = time.monotonic() + timeout
        while not stop:
            got = self.receive(deadline - time.monotonic())
            if got is None:
                log(self.label, "OPTIONS #%d: no reply within %.1f s" % (n, timeout))
                return None
            data, notif = got
            if notif:
                if self.aborted:
                    log(self.label, "OPTIONS #%d: the association went down, no reply" % n)
                    return None
                continue
            first = data.split(b"\r\n", 1)[0].decode("latin-1")
            if callid.encode() not in data:
                log(self.label, "ignoring a message of %d bytes: %s" % (len(data), first))
                continue
            parts = first.split(" ", 2)
            if len(parts) >= 2 and parts[0] == "SIP/2.0" and parts[1].isdigit():
                status = int(parts[1])
                log(self.label, "OPTIONS #%d: reply '%s' after %.3f s"
                    % (n, first, timeout - (deadline - time.monotonic())))
                if status >= 200:
                    return status
        return None


    def wait_abort(self, timeout):
        """Waits at most timeout seconds for the association to go down:
        the seconds it took, or -1."""
        self.aborted = False
        start = time.monotonic()
        end = start + timeout
        while not stop and not self.aborted and time.monotonic() < end:
            self.receive(end - time.monotonic())
        if not self.aborted:
            log(self.label, "the association was not aborted within %.1f s" % timeout)
            return -1
        took = time.monotonic() - start
        log(self.label, "the association was aborted %.3f s after the oversized message" % took)
        return took


def run(c, a, totals):
    """The whole sequence on client c; adds its counts to totals."""
    sent = replied = ok = 0
    aborted_after = -1
    n = 0
    for _round in range(a.rounds):
        if stop:
            break
        if a.oversize:
            c.oversize(a.oversize)
            if a.expect_abort > 0:
                aborted_after = c.wait_abort(a.expect_abort)
        for _k in range(a.requests):
            if stop:
                break
            n += 1
            sent += 1
            if n > 1 and a.interval > 0:
                end = time.monotonic() + a.interval
                while not stop and time.monotonic() < end:
                    c.receive(end - time.monotonic())
            status = c.request(n, a.timeout)
            if status is not None:
                replied += 1
                ok += status == 200
            if n == 1 and a.ready:
                with open(a.ready + ".tmp", "w") as f:
                    f.write("%s\n" % status)
                os.rename(a.ready + ".tmp", a.ready)
    if a.hold > 0:
        log(c.label, "holding the socket open for at most %.1f s" % a.hold)
        end = time.monotonic() + a.hold
        while not stop and time.monotonic() < end:
            try:
                c.receive(min(end - time.monotonic(), 0.5))
            except InterruptedError:
                pass
        log(c.label, "hold ended (%s)" % ("signal" if stop else "time"))
    with PRINT:
        for k, v in (("sent", sent), ("replied", replied), ("ok", ok)):
            totals[k] = totals.get(k, 0) + v
        for k, v in c.counts.items():
            totals[k] = totals.get(k, 0) + v
        totals["aborted_after"] = max(totals.get("aborted_after", -1), aborted_after)
    c.sock.close()
    log(c.label, "socket closed")


def main():
    global stop
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dest", help="HOST:PORT (loopback only)")
    ap.add_argument("--label", default="c")
    ap.add_argument("--oversize", type=int, default=0)
    ap.add_argument("--requests", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0.0)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--hold", type=float, default=0.0)
    ap.add_argument("--go")
    ap.add_argument("--ready")
    ap.add_argument("--bind")
    ap.add_argument("--body", type=int, default=0)
    ap.add_argument("--body-range")
    ap.add_argument("--maxseg", type=int, default=0)
    ap.add_argument("--mtu", type=int, default=0)
    ap.add_argument("--assocs", type=int, default=1)
    ap.add_argument("--expect-abort", type=float, default=0.0)
    a = ap.parse_args()

    host, _, port = a.dest.rpartition(":")
    host = host.strip("[]")
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit("sctp_client: only loopback destinations, not %s" % host)
    body = (a.body, a.body)
    if a.body_range:
        lo, _, hi = a.body_range.partition(":")
        body = (int(lo), int(hi))

    def on_signal(signum, _frame):
        global stop
        stop = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    bind = a.bind.split(",") if a.bind else None
    if bind and not all(ipaddress.ip_address(b).is_loopback for b in bind):
        sys.exit("sctp_client: only loopback local addresses, not %s" % a.bind)
    labels = [a.label] if a.assocs == 1 else ["%s.%d" % (a.label, k) for k in range(1, a.assocs + 1)]
    clients = [Client(label, (host, int(port)), bind, body, a.maxseg, a.mtu) for label in labels]
    if a.go:
        log(a.label, "waiting for %s" % a.go)
        end = time.monotonic() + 60
        while not stop and not os.path.exists(a.go) and time.monotonic() < end:
            time.sleep(0.02)
    totals = {}
    threads = [threading.Thread(target=run, args=(c, a, totals)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = ("RESULT sent=%d replied=%d ok=%d comm_up=%d comm_lost=%d shutdown=%d send_failed=%d aborted_after=%.3f"
              % (totals["sent"], totals["replied"], totals["ok"], totals["comm_up"], totals["comm_lost"],
                 totals["shutdown"], totals["send_failed"], totals["aborted_after"]))
    log(a.label, "all sockets closed")
    print(result, flush=True)
    sys.exit(0 if totals["ok"] == a.requests * a.rounds * a.assocs else 1)


if __name__ == "__main__":
    main()

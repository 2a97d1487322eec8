#!/usr/bin/env python3
"""A SIP-over-SCTP peer that aborts its association while Kamailio waits to
send on it (e2e scenario aborted-during-wait, faults.sh).

    sctp_abort_peer.py --port P --requests N --hold S HOST:PORT

Binds 127.0.0.1:P (a one-to-many socket that also listens, so that Kamailio
can open a new association back to it) with a small receive buffer, sends
one OPTIONS and waits for its reply, then sends N more OPTIONS without
reading anything. Each carries a long Via header that every reply copies, so
the replies soon fill this socket's receive window and then Kamailio's send
buffer: Kamailio's receiver then waits for room (sctp_send_wait). After S
seconds the peer aborts the association (SCTP_ABORT), reads again, and
collects replies for up to --wait seconds. Every line it prints says what it
did or saw; the last is
    RESULT sent=K replied=R on_new=M comm_up=U comm_lost=L
(replied: distinct requests answered with 200, on either association;
on_new: replies that came on an association other than the first). Exit
code 0 if every request got its reply.
"""

import argparse
import select
import socket
import struct
import sys
import time

IPPROTO_SCTP = 132
SCTP_EVENTS = 11
SCTP_SNDRCV = 1
SCTP_ABORT = 0x0004
MSG_NOTIFICATION = 0x8000
SCTP_ASSOC_CHANGE = 0x8001
# struct sctp_sndrcvinfo: stream, ssn, flags, (pad), ppid, context,
# timetolive, tsn, cumtsn, assoc_id
SNDRCVINFO = struct.Struct("=HHHxxIIIIIi")

T0 = time.monotonic()


def log(text):
    print("%7.3f abort-peer: %s" % (time.monotonic() - T0, text), flush=True)


def options(n, port, dest, pad):
    # the reply copies Via, so its length follows the pad
    return ("OPTIONS sip:uas@%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/SCTP 127.0.0.1:%d;branch=z9hG4bK-abort-%d;pad=%s\r\n"
            "From: <sip:peer@127.0.0.1:%d>;tag=abort%d\r\n"
            "To: <sip:uas@%s:%d>\r\n"
            "Call-ID: abort-peer-%d@127.0.0.1\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Max-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
            % (dest[0], dest[1], port, n, "x" * pad, port, n, dest[0], dest[1], n)).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--requests", type=int, default=60)
    ap.add_argument("--pad", type=int, default=1000)
    ap.add_argument("--hold", type=float, default=3.0)
    ap.add_argument("--wait", type=float, default=20.0)
    a = ap.parse_args()
    host, port = a.dest.rsplit(":", 1)
    dest = (host, int(port))

    s = socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, IPPROTO_SCTP)
    # a small window: the replies back up into Kamailio's send buffer
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # struct sctp_event_subscribe: data_io (the SCTP_SNDRCV of each message),
    # association
    s.setsockopt(IPPROTO_SCTP, SCTP_EVENTS, bytes([1, 1]))
    s.bind(("127.0.0.1", a.port))
    s.listen(8)
    log("bound to 127.0.0.1:%d, receive buffer %d, Kamailio at %s:%d"
        % (a.port, s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), dest[0], dest[1]))

    replied = {}  # request number -> association id of its first reply
    counts = {"comm_up": 0, "comm_lost": 0}
    first_assoc = None

    def read_one(timeout):
        """Reads one message or notification; False on timeout."""
        nonlocal first_assoc
        r, _, _ = select.select([s], [], [], max(timeout, 0))
        if not r:
            return False
        data, anc, flags, _addr = s.recvmsg(1 << 16, 256)
        if flags & MSG_NOTIFICATION:
            typ, = struct.unpack_from("=H", data)
            if typ == SCTP_ASSOC_CHANGE:
                state, error, _o, _i, assoc = struct.unpack_from("=HHHHi", data, 8)
                log("SCTP_ASSOC_CHANGE state %d (0 up, 1 lost) error %d assoc_id %d" % (state, error, assoc))
                if state == 0:
                    counts["comm_up"] += 1
                    if first_assoc is None:
                        first_assoc = assoc
                elif state in (1, 4):
                    counts["comm_lost"] += 1
            return True
        assoc = None
        for level, typ, val in anc:
            if level == IPPROTO_SCTP and typ == SCTP_SNDRCV and len(val) >= SNDRCVINFO.size:
                assoc = SNDRCVINFO.unpack_from(val)[-1]
        text = data.decode(errors="replace")
        status = text.split(" ", 2)[1] if text.startswith("SIP/2.0 ") else "?"
        call = [ln for ln in text.split("\r\n") if ln.lower().startswith("call-id:")]
        n = int(call[0].split("abort-peer-")[1].split("@")[0]) if call and "abort-peer-" in call[0] else -1
        if status == "200" and n >= 0:
            if n in replied:
                log("reply to request %d again (assoc_id %s)" % (n, assoc))
            else:
                replied[n] = assoc
                if assoc != first_assoc:
                    log("reply to request %d on association %s, not the first (%s)" % (n, assoc, first_assoc))
        else:
            log("unexpected message (status %s, %d bytes)" % (status, len(data)))
        return True

    s.sendto(options(0, a.port, dest, a.pad), dest)
    deadline = time.monotonic() + 10
    while 0 not in replied and time.monotonic() < deadline:
        read_one(deadline - time.monotonic())
    if 0 not in replied or first_assoc is None:
        log("no reply to the first request, or no COMM_UP: giving up")
        print("RESULT sent=1 replied=%d on_new=0 comm_up=%d comm_lost=%d"
              % (len(replied), counts["comm_up"], counts["comm_lost"]), flush=True)
        return 1
    log("first request answered on association %d; sending %d more without reading" % (first_assoc, a.requests))
    sent = 1
    for n in range(1, a.requests + 1):
        try:
            s.sendto(options(n, a.port, dest, a.pad), dest)
            sent += 1
        except OSError as e:
            log("request %d not sent: %s" % (n, e))
            break
    log("%d requests sent; holding %.1f s without reading" % (sent - 1, a.hold))
    time.sleep(a.hold)
    s.sendmsg([b""], [(IPPROTO_SCTP, SCTP_SNDRCV,
                       SNDRCVINFO.pack(0, 0, SCTP_ABORT, 0, 0, 0, 0, 0, first_assoc))])
    log("association %d aborted; reading again" % first_assoc)
    deadline = time.monotonic() + a.wait
    while len(replied) < sent and time.monotonic() < deadline:
        read_one(deadline - time.monotonic())
    missing = [n for n in range(sent) if n not in replied]
    if missing:
        log("no reply to requests %s" % missing)
    on_new = sum(1 for assoc in replied.values() if assoc != first_assoc)
    print("RESULT sent=%d replied=%d on_new=%d comm_up=%d comm_lost=%d"
          % (sent, len(replied), on_new, counts["comm_up"], counts["comm_lost"]), flush=True)
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""udp_options.py PROXY_PORT REQUEST_URI [TIMEOUT]: send one OPTIONS over UDP
from 127.0.0.1 to 127.0.0.1:PROXY_PORT with the given Request-URI and print the
status code of the final reply, or "timeout". Exit 0 on a 2xx reply."""
import socket
import sys
import uuid


def main():
    port, ruri = int(sys.argv[1]), sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    lport = s.getsockname()[1]
    tag = uuid.uuid4().hex[:10]
    msg = (
        f"OPTIONS {ruri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bK{tag}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@127.0.0.1>;tag={tag}\r\n"
        f"To: <{ruri}>\r\n"
        f"Call-ID: {tag}@127.0.0.1\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    s.sendto(msg.encode(), ("127.0.0.1", port))
    s.settimeout(timeout)
    try:
        while True:
            data, _ = s.recvfrom(65535)
            code = int(data.split(b" ", 2)[1])
            if code >= 200:
                print(code)
                return 0 if code < 300 else 1
    except socket.timeout:
        print("timeout")
        return 1


if __name__ == "__main__":
    sys.exit(main())

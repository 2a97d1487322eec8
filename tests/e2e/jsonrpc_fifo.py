#!/usr/bin/env python3
"""jsonrpc_fifo.py FIFO REPLY_DIR METHOD [PARAM...]: one JSON-RPC request to
Kamailio's jsonrpcs module through its FIFO; prints the reply document.
Integer-looking parameters go as numbers. Exit code 1 on a JSON-RPC error.

jsonrpc_fifo.py FIFO REPLY_DIR --many N KEYS METHOD PARAM: N requests, PARAM
with "{k}" replaced by 1, 2, ... KEYS, 1, ...; prints how many succeeded and
each distinct error message with its count."""
import json
import os
import signal
import sys


def call(fifo, reply_dir, method, params):
    name = "e2e_reply_%d" % os.getpid()
    path = os.path.join(reply_dir, name)
    os.mkfifo(path)
    try:
        args = [int(p) if p.lstrip("-").isdigit() else p for p in params]
        req = {"jsonrpc": "2.0", "method": method, "params": args, "reply_name": name, "id": 1}
        with open(fifo, "w") as f:
            f.write(json.dumps(req) + "\n")
        with open(path) as r:
            reply = r.read()
    finally:
        os.unlink(path)
    return reply.strip()


def main():
    fifo, reply_dir, *rest = sys.argv[1:]
    if rest[0] == "--many":
        n, keys, method, template = int(rest[1]), int(rest[2]), rest[3], rest[4]
        signal.alarm(600)
        ok, errors = 0, {}
        for i in range(n):
            reply = json.loads(call(fifo, reply_dir, method, [template.replace("{k}", str(i % keys + 1))]))
            if "error" in reply:
                msg = reply["error"].get("message", "?")
                errors[msg] = errors.get(msg, 0) + 1
            else:
                ok += 1
        print("ok %d" % ok)
        for msg, count in sorted(errors.items()):
            print("error %d: %s" % (count, msg))
        return 0
    signal.alarm(15)  # a Kamailio that never answers must not hang the test
    reply = call(fifo, reply_dir, rest[0], rest[1:])
    print(reply)
    return 1 if '"error"' in reply else 0


if __name__ == "__main__":
    sys.exit(main())

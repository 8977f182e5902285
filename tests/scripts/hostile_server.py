#!/usr/bin/env python3
"""A hostile accessory for the tests: not our simulator, but Python's ssl and a few lines of HTTP.

It serves a given certificate chain and key on 127.0.0.1, answers the accessory API as an impostor
would (whatever device id it is told to claim, "204" to any network, "connected" to any status),
and records every decrypted byte it receives, so a test can prove what a client sent it: nothing at
all for a refused handshake, and no network request, passphrase or proof of possession for a
refusal after it.

    hostile_server.py --cert CHAIN.pem --key KEY.pem --device-id ID --log FILE

Prints "PORT <n>" on its first line once listening. FILE receives every decrypted byte, as
received; FILE.events one line per event ("accepted", "handshake ok TLSv1.3",
"handshake failed: ...", "request GET /v1/device", "closed"). Runs until killed.
"""

import argparse
import json
import socket
import ssl
import sys
import threading

LOCK = threading.Lock()


def log_bytes(path, data):
    with LOCK, open(path, "ab") as f:
        f.write(data)
        f.flush()


def log_event(path, text):
    with LOCK, open(path + ".events", "a", encoding="utf-8") as f:
        f.write(text + "\n")
        f.flush()


def answer(method, path, device_id):
    if method == "GET" and path == "/v1/device":
        body = json.dumps({"device_id": device_id, "model": "Hostile", "firmware": "6.6.6",
                           "api": 1, "capabilities": ["long-poll"]}).encode()
        return 200, "OK", body
    if method == "PUT" and path == "/v1/network":
        return 204, "No Content", b""
    if method == "POST" and path == "/v1/apply":
        return 202, "Accepted", b""
    if method == "GET" and path.split("?")[0] == "/v1/status":
        return 200, "OK", json.dumps({"state": "connected", "ip": "192.168.1.66"}).encode()
    return 404, "Not Found", json.dumps({"error": "no such route", "code": "not_found"}).encode()


def serve(conn, context, args):
    log_event(args.log, "accepted")
    try:
        conn.settimeout(30)
        tls = context.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError) as e:
        log_event(args.log, "handshake failed: %s" % e)
        conn.close()
        return
    log_event(args.log, "handshake ok %s" % tls.version())
    buf = b""
    try:
        while True:
            try:
                data = tls.recv(65536)
            except (ssl.SSLError, OSError) as e:
                log_event(args.log, "read failed: %s" % e)
                break
            if not data:
                break
            log_bytes(args.log, data)
            buf += data
            while b"\r\n\r\n" in buf:
                head, rest = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if len(rest) < length:
                    break
                buf = rest[length:]
                log_event(args.log, "request %s %s" % (method, path))
                status, reason, body = answer(method, path, args.device_id)
                head = "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n" % (status, reason, len(body))
                if body:
                    head += "Content-Type: application/json\r\n"
                tls.sendall(head.encode() + b"\r\n" + body)
    finally:
        log_event(args.log, "closed")
        try:
            tls.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cert", required=True, help="PEM chain, leaf first")
    p.add_argument("--key", required=True, help="PEM private key of the leaf")
    p.add_argument("--device-id", required=True, help="the id GET /v1/device claims")
    p.add_argument("--log", required=True, help="file receiving every decrypted byte")
    args = p.parse_args()
    open(args.log, "wb").close()
    open(args.log + ".events", "w").close()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print("PORT %d" % listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, context, args), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())

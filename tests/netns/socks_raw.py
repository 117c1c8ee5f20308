#!/usr/bin/env python3
"""Sends raw bytes to a SOCKS server and prints, in hex, everything it answers
until it closes (or "TIMEOUT" after the hex when it does not within --wait s).

usage: socks_raw.py HOST PORT HEX [HEX...] [--wait S]
Each HEX is sent as one write; our side stays open (a half-close is not a request).
"""
import socket
import sys


def main():
    args = sys.argv[1:]
    wait = 10.0
    if "--wait" in args:
        i = args.index("--wait")
        wait = float(args[i + 1])
        del args[i:i + 2]
    host, port, chunks = args[0], int(args[1]), args[2:]
    s = socket.create_connection((host, port), timeout=wait)
    for c in chunks:
        s.sendall(bytes.fromhex(c))
    got, status = b"", ""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        status = " TIMEOUT"
    except ConnectionResetError:
        status = " RESET"
    print(got.hex() + status)


main()

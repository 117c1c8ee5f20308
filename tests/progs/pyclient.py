#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A python3 client for the `mpsteer run` tests.

Usage: pyclient.py HOST PORT IN OUT
Prints proto=N (SO_PROTOCOL of its TCP socket), sends IN, half-closes, writes the echo to OUT.
"""
import socket
import sys
import threading


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 64
    host, port, src, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.connect((host, port))
    print('main proto=%d' % sock.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL), flush=True)

    def send():
        with open(src, 'rb') as f:
            sock.sendall(f.read())
        sock.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send)
    sender.start()
    with open(dst, 'wb') as out:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            out.write(chunk)
    sender.join()
    sock.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())

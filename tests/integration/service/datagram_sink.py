#!/usr/bin/python3
# A stand-in for the receiving end of systemd's datagram sockets in tests: binds an AF_UNIX
# datagram socket (a path, or an abstract name written "@name" as in NOTIFY_SOCKET) and
# appends every datagram it receives to OUT as one record:
#   <monotonic seconds> <datagram with newlines escaped as \n>
# Used for NOTIFY_SOCKET (sd_notify) and for journald's native socket.
#   datagram_sink.py SOCKET OUT
import os
import socket
import sys
import time

name, out_path = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if name.startswith("@"):
    sock.bind("\0" + name[1:])
else:
    if os.path.exists(name):
        os.unlink(name)
    sock.bind(name)
with open(out_path, "a", buffering=1) as out:
    out.write("%.3f BOUND\n" % time.monotonic())
    while True:
        data = sock.recv(65536)
        text = data.decode("utf-8", "backslashreplace").replace("\n", "\\n")
        out.write("%.3f %s\n" % (time.monotonic(), text))

#!/usr/bin/env python3
# tests/relay_attack.py - an attacker on the relay's UDP port who holds
# both legs of a call of its own (granted over signaling: ids and keys),
# for tests/relay_abuse.sh.  It speaks RELAY_BIND as the server does: the
# cookie form (49 bytes, docs/PROTOCOL.md 5b.2) and, when a server does not
# answer that, the older 33-byte form without a cookie.
#
#   relay_attack.py reflect HOST:PORT LA KA LB KB VICTIM
#       Binds leg A at its own socket, then tries to bind leg B at the
#       victim's address: BINDs sent from a socket at VICTIM that never
#       reads its answers (what a BIND with a forged source address is),
#       with no cookie and with the cookie of the attacker's own address.
#       Then sends 456 media datagrams of 1221 bytes through leg A and
#       counts what reached the victim.  Prints
#       "spoofed N BYTES victim_media M BYTES victim_other K BYTES".
#   relay_attack.py bindstream HOST:PORT LA KA LB KB SECONDS
#       Binds both legs, prints "bound", then refreshes both every 0.5 s
#       for SECONDS and prints "last_answer EPOCH" (0: none after bound).
import hashlib
import os
import select
import socket
import sys
import time


def mac(m, key):
    return hashlib.blake2b(m, digest_size=16, key=key).digest()


def bind_dg(leg, seq, key, cookie, old):
    m = bytes([0xe1]) + leg.to_bytes(8, "big") + seq.to_bytes(8, "big")
    if not old:
        m += cookie
    return m + mac(m, key)


def recv(s, t=0.3):
    s.settimeout(t)
    try:
        return s.recvfrom(2048)[0]
    except OSError:
        return None


class Leg:
    def __init__(self, srv, leg, key, sock):
        self.srv, self.leg, self.key, self.s = srv, leg, key, sock
        self.seq = 0
        self.cookie = bytes(16)

    def send_bind(self, old, cookie=None):
        self.seq += 1
        self.s.sendto(bind_dg(self.leg, self.seq, self.key,
                              self.cookie if cookie is None else cookie,
                              old), self.srv)

    def answer(self, d):
        """'bound', 'cookie' (stored) or None."""
        if d is None:
            return None
        if len(d) == 34 and d[0] == 0xe2 and mac(d[:18], self.key) == d[18:]:
            return "bound"
        if len(d) == 49 and d[0] == 0xe3 and mac(d[:33], self.key) == d[33:]:
            self.cookie = d[17:33]
            return "cookie"
        return None

    def bind(self, old):
        """Binds this leg at its socket; True when BOUND came."""
        for _ in range(4):
            self.send_bind(old)
            a = self.answer(recv(self.s))
            if a == "cookie":
                self.send_bind(old)
                a = self.answer(recv(self.s))
            if a == "bound":
                return True
        return False


def sock(host):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, 0))
    return s


def bind_any(leg):
    """Binds leg, in the cookie form or else the old one: returns old."""
    if leg.bind(False):
        return False
    if leg.bind(True):
        return True
    sys.exit("cannot bind a leg in either form")


def reflect(srv, la, ka, lb, kb, victim):
    a = Leg(srv, la, ka, sock("127.0.0.1"))
    v = sock(victim)
    b = Leg(srv, lb, kb, v)
    old = bind_any(a)
    sent = nbytes = 0
    # leg B "from" the victim: no cookie, then the attacker's own cookie
    for i in range(6):
        b.send_bind(old, bytes(16) if i % 2 == 0 else a.cookie)
        sent += 1
        nbytes += 33 if old else 49
        time.sleep(0.05)
    # media through leg A, as fast as the per-leg limits let some pass
    for i in range(456):
        a.s.sendto(bytes([0x10]) + os.urandom(1220), srv)
        time.sleep(0.003)
    media = mbytes = other = obytes = 0
    end = time.time() + 1.0
    v.setblocking(False)
    while time.time() < end:
        r, _, _ = select.select([v], [], [], 0.1)
        if not r:
            continue
        try:
            d = v.recv(4096)
        except OSError:
            continue
        if 0x10 <= d[0] <= 0x2f:
            media += 1
            mbytes += len(d)
        else:
            other += 1
            obytes += len(d)
    print("spoofed %d %d victim_media %d %d victim_other %d %d" %
          (sent, nbytes, media, mbytes, other, obytes))


def bindstream(srv, la, ka, lb, kb, seconds):
    legs = [Leg(srv, la, ka, sock("127.0.0.1")),
            Leg(srv, lb, kb, sock("127.0.0.1"))]
    old = bind_any(legs[0])
    if not legs[1].bind(old):
        sys.exit("cannot bind the second leg")
    print("bound", flush=True)
    last = 0.0
    end = time.time() + seconds
    while time.time() < end:
        for leg in legs:
            leg.send_bind(old)
            if leg.answer(recv(leg.s, 0.05)) is not None:
                last = time.time()
        time.sleep(0.4)
    print("last_answer %.3f" % last, flush=True)


def main():
    mode, addr = sys.argv[1], sys.argv[2]
    host, port = addr.rsplit(":", 1)
    srv = (host.strip("[]"), int(port))
    la, ka = int(sys.argv[3]), bytes.fromhex(sys.argv[4])
    lb, kb = int(sys.argv[5]), bytes.fromhex(sys.argv[6])
    if mode == "reflect":
        reflect(srv, la, ka, lb, kb, sys.argv[7])
    elif mode == "bindstream":
        bindstream(srv, la, ka, lb, kb, float(sys.argv[7]))
    else:
        sys.exit("unknown mode " + mode)


main()

#!/bin/sh
# STUN answers are shared fairly (docs/PROTOCOL.md 5a.7): one attacker
# floods the server's STUN port from twenty addresses of one /24
# (127.0.1.0/24), about 10000 Binding requests a second for 6 s, five
# times the budget of all senders together (2000 answers a second).
# Meanwhile a normal sender in another /24 (127.0.2.1) asks once every
# 50 ms and must get (nearly) every answer, and a normal call through the
# same server must still learn its server-reflexive address (no "no
# answer from the STUN server").  The attacker's own /24 gets no more than
# its budget (100 a second, bursts of 100).
. "$top_srcdir/tests/lib.sh"
for t in python3 sox; do
	command -v $t >/dev/null 2>&1 || skip_all "$t is not installed"
done
python3 -c 'import socket; socket.socket().bind(("127.0.1.1", 0))' \
    2>/dev/null || skip_all "cannot bind 127.0.1.1 (all of 127/8 must be loopback)"

FLOOD_S=6
start_server || { not_ok "server starts"; finish; }
configure alice; configure bob
sox -n -r 48000 -c 1 -b 16 "$T/tone.wav" synth 1 sine 440 2>/dev/null

# stun_load MODE ...: the attacker (flood SECONDS) or the normal sender
# (probe COUNT); prints what it sent and how many answers came back
stun_load() {
	python3 - "$SERVER" "$@" <<'PY'
import os, select, socket, struct, sys, time
host, port = sys.argv[1].rsplit(":", 1)
srv = (host, int(port))
mode = sys.argv[2]
def req():
    return struct.pack(">HHI", 1, 0, 0x2112a442) + os.urandom(12)
def drain(socks, until):
    n = 0
    while True:
        t = until - time.time()
        if t <= 0:
            return n
        r, _, _ = select.select(socks, [], [], min(t, 0.01))
        for s in r:
            while True:
                try:
                    s.recv(2048)
                    n += 1
                except OSError:
                    break
if mode == "flood":
    secs = float(sys.argv[3])
    socks = []
    for i in range(20):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.1.%d" % (i + 1), 0))
        s.setblocking(False)
        socks.append(s)
    sent = got = 0
    t0 = time.time()
    while time.time() - t0 < secs:
        # 100 requests every 10 ms: about 10000 a second
        for k in range(100):
            try:
                socks[k % 20].sendto(req(), srv)
                sent += 1
            except OSError:
                pass
        got += drain(socks, time.time() + 0.01)
    got += drain(socks, time.time() + 0.3)
    print("flood sent %d answered %d in %.1f s" % (sent, got, time.time() - t0))
else:
    n = int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.2.1", 0))
    s.settimeout(0.05)
    got = 0
    t0 = time.time()
    for i in range(n):
        r = req()
        s.sendto(r, srv)
        # one request every 50 ms, answered or not
        end = t0 + 0.05 * (i + 1)
        while time.time() < end:
            s.settimeout(max(end - time.time(), 0.001))
            try:
                d = s.recv(2048)
            except OSError:
                continue
            if d[8:20] == r[8:20]:
                got += 1
    print("probe sent %d answered %d" % (n, got))
PY
}

stun_load flood "$FLOOD_S" >"$T/flood.out" 2>&1 &
fpid=$!; PIDS="$PIDS $fpid"
sleep 0.5
stun_load probe 40 >"$T/probe.out" 2>&1
# a normal call, dialed while the flood goes on
as_user_bg alice timeout 20 "$E2CALL" listen --batch --auto-answer --once \
    --play "$T/tone.wav" >"$T/a.out" 2>"$T/a.err" &
apid=$!; PIDS="$PIDS $apid"
wait_for "$T/a.out" '"registered"' 10
as_user_bg bob timeout 20 "$E2CALL" dial alice --batch --hangup-on-eof \
    --play "$T/tone.wav" >"$T/b.out" 2>"$T/b.err" &
bpid=$!; PIDS="$PIDS $bpid"
check "the flood was still on when the normal call had started" kill -0 "$fpid"
wait "$fpid"
wait "$bpid"; brc=$?
wait "$apid"; arc=$?

echo "# attacker (127.0.1.0/24): $(cat "$T/flood.out")"
echo "# normal sender (127.0.2.1): $(cat "$T/probe.out")"
set -- $(cat "$T/flood.out") x x x x x x x x
fsent=$3 fgot=$5 fdur=$7
set -- $(cat "$T/probe.out") x x x x
pgot=$5
check "the attacker sent more than the global budget ($fsent in ${fdur} s > 2000 a second)" \
    awk -v n="$fsent" -v d="$fdur" 'BEGIN { exit !(n / d > 2000) }'
check "the attacker's /24 got at most its budget ($fgot <= 100 a second + a burst of 100)" \
    awk -v n="$fgot" -v d="$fdur" 'BEGIN { exit !(n <= 100 * d + 100 + 10) }'
check "the normal sender in another /24 got its answers ($pgot of 40 >= 38)" \
    [ "${pgot:-0}" -ge 38 ]
check "the normal call succeeds (exit $brc $arc)" [ "$brc" -eq 0 -a "$arc" -eq 0 ]
check "and both sides heard from the STUN server" \
    sh -c "! grep -q 'no answer from the STUN server' '$T/a.out' '$T/b.out'"
check "the server is still alive" kill -0 "$SERVER_PID"
finish

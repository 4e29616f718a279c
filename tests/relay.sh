#!/bin/sh
# The relay, connectivity checks and signaling drops on loopback:
#   1. --relay-only on both sides: the call goes through the server's
#      relay (path kind relay), speech arrives, and (with tcpdump) no
#      datagram ever goes between the two clients directly;
#   2. relay_only = yes in one side's config: that side's addresses stay
#      hidden, the other side reaches it through the relay;
#   3. forged CHECKs from a stranger get no answer and move nothing;
#   4. the server's relay rate limit holds (--relay-pps);
#   5. kill -9 of the server mid-call: the call goes on, both reconnect to
#      the restarted server, and the call ends normally;
#   6. the relay by hand (tests/sigclient and UDP from python): only the
#      call's parties get legs, a BIND needs the leg's key and a fresh
#      seq, a leg moves to an address only when the BIND from there
#      echoes the cookie sent there, only bound legs' media is forwarded,
#      unchanged, a leg follows a new BIND, and the relay is gone after
#      the call.
. "$top_srcdir/tests/lib.sh"
for t in espeak-ng sox python3; do
	command -v $t >/dev/null 2>&1 || skip_all "$t is not installed"
done
WAVCMP="$top_builddir/tests/wavcmp"
THRESH=0.80	# as in tests/speech.sh

espeak-ng -w "$T/s1.wav" "The quick brown fox jumps over the lazy dog. Encrypted calls keep their secrets between two people." 2>/dev/null
espeak-ng -v en-us -w "$T/s2.wav" "Seven silver swans swam silently seaward, one, two, three, four, five." 2>/dev/null
# 1.5 s of silence first: see tests/nat.sh
sox "$T/s1.wav" -r 48000 -c 1 -b 16 "$T/bob.wav" pad 1.5 0
sox "$T/s2.wav" -r 48000 -c 1 -b 16 "$T/alice.wav" pad 1.5 0

# (debug: the server logs each relay's packet counts only when asked)
start_server --log-level debug || { not_ok "server starts"; finish; }
PORT=${SERVER##*:}
configure alice; configure bob
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# call TAG "ALICE OPTIONS" "BOB OPTIONS": alice listens, bob dials; both
# speak; bob hangs up when his sentence has been sent.
call() {
	apid="" bpid=""
	as_user_bg alice timeout 60 "$E2CALL" listen --batch --auto-answer --once \
		--play "$T/alice.wav" --record "$T/$1.alice.wav" $2 \
		>"$T/$1.a" 2>"$T/$1.a.err" &
	apid=$!; PIDS="$PIDS $apid"
	wait_for "$T/$1.a" '"registered"' 10 || return 1
	as_user_bg bob timeout 60 "$E2CALL" dial alice --batch --hangup-on-eof \
		--play "$T/bob.wav" --record "$T/$1.bob.wav" $3 \
		>"$T/$1.b" 2>"$T/$1.b.err" &
	bpid=$!; PIDS="$PIDS $bpid"
}
finish_call() {	# finish_call TAG: waits for both sides
	if [ -z "$bpid" ]; then
		not_ok "$1: alice registered, so bob could dial"
		kill "$apid" 2>/dev/null; wait "$apid" 2>/dev/null
		return
	fi
	wait "$bpid"; brc=$?
	wait "$apid"; arc=$?
	check "$1: both sides exit 0 ($brc, $arc)" test "$brc" -eq 0 -a "$arc" -eq 0
}
speech() {
	r1=$("$WAVCMP" "$T/bob.wav" "$T/$1.alice.wav")
	r2=$("$WAVCMP" "$T/alice.wav" "$T/$1.bob.wav")
	c1=$(echo "$r1" | sed 's/.*envelope_corr=\([-0-9.]*\).*/\1/')
	c2=$(echo "$r2" | sed 's/.*envelope_corr=\([-0-9.]*\).*/\1/')
	check "$1: alice heard bob (corr $c1 > $THRESH)" above "$c1" $THRESH
	check "$1: bob heard alice (corr $c2 > $THRESH)" above "$c2" $THRESH
}
kind() { json_field "$1" media kind; }
# relay_counts: "CALLER_TO_CALLEE CALLEE_TO_CALLER DROPPED_C DROPPED_E" of
# the last relay the server ended
mark_relays() { nrelays=$(grep -c 'relay for call .* ended' "$T/server/log"); }
relay_counts() {
	# the server frees a relay 2 s after its call ended
	want=$((nrelays + 1)) n=50
	while [ "$(grep -c 'relay for call .* ended' "$T/server/log")" -lt $want ] &&
	    [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	nrelays=$(grep -c 'relay for call .* ended' "$T/server/log")
	sed -n 's/.*relay for call .* ended: caller->callee \([0-9]*\) packets [0-9]* bytes (\([0-9]*\) over the limit), callee->caller \([0-9]*\) packets [0-9]* bytes (\([0-9]*\) over the limit).*/\1 \3 \2 \4/p' \
		"$T/server/log" | tail -n 1
}

nrelays=0
capture=""
if [ "$(id -u)" -eq 0 ] && command -v tcpdump >/dev/null 2>&1; then
	tcpdump -i lo -n -U -w "$T/wire.pcap" udp >/dev/null 2>"$T/tcpdump.err" &
	TCPDUMP=$!; PIDS="$PIDS $TCPDUMP"; capture=1
	sleep 1
fi

# 1. Relay only, both sides.
mark_relays
call r1 --relay-only --relay-only
finish_call "1 (relay-only both)"
check "1: alice's path is the relay (got $(kind "$T/r1.a"))" [ "$(kind "$T/r1.a")" = relay ]
check "1: bob's path is the relay (got $(kind "$T/r1.b"))" [ "$(kind "$T/r1.b")" = relay ]
check "1: the relay is the server ($SERVER)" grep -q "\"media\",\"path\":\"$SERVER\"" "$T/r1.b"
check "1: no STUN in relay-only mode" sh -c "! grep -q 'server-reflexive' '$T/r1.a' '$T/r1.b'"
speech r1
set -- $(relay_counts) x x x x
echo "# 1: relayed caller->callee $1, callee->caller $2 packets; over the limit $3, $4"
check "1: the server relayed both ways ($1, $2 packets)" test "$1" -gt 100 -a "$2" -gt 100
if [ -n "$capture" ]; then
	sleep 0.5; kill $TCPDUMP; wait $TCPDUMP 2>/dev/null
	# The clients' ports are those that talked to the server's port;
	# no datagram may go between two of them.
	tcpdump -n -r "$T/wire.pcap" 2>/dev/null | grep ' UDP' |
		sed -n 's/.* IP6* [^ ]*\.\([0-9]*\) > [^ ]*\.\([0-9]*\): .*/\1 \2/p' \
		>"$T/wire.ports"
	n=$(awk -v s="$PORT" '$1 == s || $2 == s' "$T/wire.ports" | wc -l)
	direct=$(awk -v s="$PORT" '
		$1 == s { c[$2] = 1 } $2 == s { c[$1] = 1 }
		{ p[NR] = $0 }
		END { n = 0; for (i = 1; i <= NR; i++) { split(p[i], f, " ");
			if ((f[1] in c) && (f[2] in c)) n++ } print n }' "$T/wire.ports")
	echo "# 1: $n datagrams to or from the relay, $direct between the clients directly"
	check "1: nothing went between the clients directly ($direct of $n)" \
		test "$n" -gt 200 -a "$direct" -eq 0
fi

# 2. Relay only on alice's side, set in her config file: bob still gets
# through, by the relay.
cp "$T/alice/config/e2call/config" "$T/alice.config"
echo "relay_only = yes" >>"$T/alice/config/e2call/config"
call r2 "" ""
finish_call "2 (relay-only alice)"
cp "$T/alice.config" "$T/alice/config/e2call/config"
check "2: alice's path is the relay (got $(kind "$T/r2.a"))" [ "$(kind "$T/r2.a")" = relay ]
check "2: bob's path is the relay (got $(kind "$T/r2.b"))" [ "$(kind "$T/r2.b")" = relay ]
# alice offered nothing but the relay: bob takes it at once, without the
# 1 s grace that direct pairs get (PROTOCOL 5.5.3)
bms=$(json_field "$T/r2.b" media ms)
check "2: bob's relay path without the grace (${bms:-?} ms < 900)" \
    test "${bms:-9999}" -lt 900
speech r2

# 3. Forged checks: a stranger who knows alice's media port sends CHECKs
# with made-up ciphertext (and copies of the header of real ones).
call r3 "" "--timeout 6"
wait_for "$T/r3.b" '"event":"media"' 10
apath=$(json_field "$T/r3.b" media path)
echo "# 3: alice's media address (bob's path): $apath"
python3 - "$apath" >"$T/forge.out" 2>&1 <<'PY'
import os, socket, sys, time
addr = sys.argv[1]
host, port = addr.rsplit(":", 1)
host = host.strip("[]")
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(0.05)
sent = got = 0
for i in range(100):
    # CONTROL, phase 0, counter i: 5-byte header, a 9-byte CHECK and a tag,
    # all made up
    d = bytes([0x20]) + (1000 + i).to_bytes(4, "big") + os.urandom(9 + 16)
    s.sendto(d, (host, int(port)))
    sent += 1
    try:
        s.recvfrom(2048)
        got += 1
    except OSError:
        pass
time.sleep(0.3)
s.settimeout(0.2)
try:
    while True:
        s.recvfrom(2048)
        got += 1
except OSError:
    pass
print("forged=%d answers=%d" % (sent, got))
PY
echo "# 3: $(cat "$T/forge.out")"
finish_call "3 (forged checks)"
check "3: the forged checks got no answer" grep -q 'forged=100 answers=0' "$T/forge.out"
paths=$(grep -c '"event":"media"' "$T/r3.a")
check "3: alice's path did not move ($paths path event)" [ "$paths" -eq 1 ]
bad=$(sed -n '/"final":true/{s/.*"bad":\([0-9]*\).*/\1/p;q}' "$T/r3.a")
check "3: alice counted the forgeries as bad ($bad >= 100)" [ "${bad:-0}" -ge 100 ]

# 4. The relay's rate limit: 20 packets per second per leg.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
"$E2CALL" serve --listen "$SERVER" --db "$T/server/server.db" --relay-pps 20 \
	--log-level debug \
	>>"$T/server/out" 2>>"$T/server/log" &
SERVER_PID=$!; PIDS="$PIDS $SERVER_PID"
wait_for "$T/server/log" "listening" 10
mark_relays
call r4 --relay-only "--relay-only --timeout 4"
finish_call "4 (rate limit)"
set -- $(relay_counts) x x x x
dur=$(sed -n 's/.*"ended".*"duration_s":\([0-9.]*\).*/\1/p' "$T/r4.b")
echo "# 4: --relay-pps 20, a ${dur}s call at 50 audio packets/s: relayed $1 and $2 packets, $3 and $4 over the limit"
check "4: the limit dropped packets both ways ($3, $4)" test "$3" -gt 50 -a "$4" -gt 50
check "4: at most 20/s (+ a 1 s burst) went through ($1, $2 in ${dur}s)" \
	awk -v a="$1" -v b="$2" -v d="$dur" 'BEGIN { m = 20 * (d + 2) + 20; exit !(a > 0 && b > 0 && a <= m && b <= m) }'

# 5. The server dies (kill -9) mid-call and comes back.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
start_again() {
	"$E2CALL" serve --listen "$SERVER" --db "$T/server/server.db" \
		--log-level debug >>"$T/server/out" 2>>"$T/server/log" &
	SERVER_PID=$!; PIDS="$PIDS $SERVER_PID"
}
start_again
wait_for "$T/server/log" "listening" 10
call r5 "" ""
wait_for "$T/r5.a" '"event":"media"' 10
sleep 1
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
echo "# 5: server killed at $(date +%T.%N | cut -c1-12)"
sleep 1
start_again
finish_call "5 (server restart)"
check "5: alice reconnected during the call" grep -q 'signaling is back; the call goes on' "$T/r5.a"
check "5: bob reconnected during the call" grep -q 'signaling is back; the call goes on' "$T/r5.b"
gaps=$(sed -n 's/.*audio resumed after a \([0-9]*\) ms gap.*/\1/p' "$T/r5.a" "$T/r5.b" | sort -n | tail -n 1)
echo "# 5: largest audio gap during the restart: ${gaps:-none over 200} ms"
# (a gap is reported from 200 ms on; a loaded machine, or a sanitizer
# build, can stall a client for a few hundred ms while it reconnects)
check "5: the audio kept flowing (no gap of 500 ms: ${gaps:-none})" [ "${gaps:-0}" -lt 500 ]
check "5: no hold" sh -c "! grep -q '\"hold\",\"on\":true' '$T/r5.a' '$T/r5.b'"
check "5: bob ended the call (hangup)" grep -q '"ended","reason":"hangup","by":"local"' "$T/r5.b"
check "5: alice saw the hangup" grep -q '"ended","reason":"hangup","by":"peer"' "$T/r5.a"
speech r5
# 6. The relay at the protocol level.
SIGCLIENT=$top_builddir/tests/sigclient
client() {	# client NAME: a sigclient fed from a FIFO
	rm -f "$T/$1.in"; mkfifo "$T/$1.in"
	"$SIGCLIENT" --cmd "$T/$1.in" "$SERVER" >"$T/$1.out" 2>"$T/$1.err" &
	PIDS="$PIDS $!"
	wait_for "$T/$1.out" "^welcome 1" 10
}
say() { timeout 5 sh -c 'echo "$1" > "$2"' sh "$2" "$T/$1.in"; }
client ra; client rb; client rc
say ra "register relay-a"; say rb "register relay-b"; say rc "register relay-c"
wait_for "$T/ra.out" "^registered" 5; wait_for "$T/rb.out" "^registered" 5
wait_for "$T/rc.out" "^registered" 5
say ra "dial 777 relay-b"
wait_for "$T/rb.out" "^incoming 777" 5
say rb "ringing 777"
say rc "relay 777"
say ra "relay 999"
say ra "relay 777"
say rb "relay 777"
wait_for "$T/rb.out" "^relay_grant 777" 5
wait_for "$T/ra.out" "^relay_grant 777" 5
wait_for "$T/rc.out" "^relay_refused" 5
check "6: a stranger gets no leg of the call" grep -q '^relay_refused 777 protocol' "$T/rc.out"
check "6: no leg for a call that does not exist" grep -q '^relay_refused 999 protocol' "$T/ra.out"
set -- $(sed -n 's/^relay_grant 777 //p' "$T/ra.out") x x x
ga=$1 la=$2 ka=$3
set -- $(sed -n 's/^relay_grant 777 //p' "$T/rb.out") x x x
gb=$1 lb=$2 kb=$3
check "6: both parties got a leg at the server's address ($ga, $gb)" \
	test "$ga" = "$SERVER" -a "$gb" = "$SERVER"
check "6: the legs differ" test "$la" != "$lb" -a "$ka" != "$kb"
python3 - "$SERVER" "$la" "$ka" "$lb" "$kb" >"$T/relay6.out" 2>&1 <<'PY'
import hashlib, os, socket, sys
host, port = sys.argv[1].rsplit(":", 1)
srv = (host, int(port))
la, ka = int(sys.argv[2]), bytes.fromhex(sys.argv[3])
lb, kb = int(sys.argv[4]), bytes.fromhex(sys.argv[5])
def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.3)
    return s
def bind(leg, seq, key, cookie=bytes(16)):
    m = bytes([0xe1]) + leg.to_bytes(8, "big") + seq.to_bytes(8, "big") + cookie
    return m + hashlib.blake2b(m, digest_size=16, key=key).digest()
def recv(s):
    try:
        d, a = s.recvfrom(2048)
        return d, a
    except OSError:
        return None, None
def bound(d, leg, seq, key):
    if d is None or len(d) != 34 or d[0] != 0xe2:
        return None
    if hashlib.blake2b(d[:18], digest_size=16, key=key).digest() != d[18:]:
        return None
    if int.from_bytes(d[1:9], "big") != leg or int.from_bytes(d[9:17], "big") != seq:
        return None
    return d[17]
def cookie(d, leg, seq, key):
    if d is None or len(d) != 49 or d[0] != 0xe3:
        return None
    if hashlib.blake2b(d[:33], digest_size=16, key=key).digest() != d[33:]:
        return None
    if int.from_bytes(d[1:9], "big") != leg or int.from_bytes(d[9:17], "big") != seq:
        return None
    return d[17:33]
def say(ok, what):
    print(("ok " if ok else "FAIL ") + what)
a, b, x = sock(), sock(), sock()
x.sendto(bind(la, 1, os.urandom(32)), srv)
say(recv(x)[0] is None, "a BIND under the wrong key gets no answer")
a.sendto(bind(la, 1, ka), srv)
ca = cookie(recv(a)[0], la, 1, ka)
say(ca is not None, "a BIND from a new address gets a cookie, no larger than the BIND")
ba = bind(la, 2, ka, ca)
a.sendto(ba, srv)
say(bound(recv(a)[0], la, 2, ka) == 0, "echoing the cookie binds the caller's leg (the callee's not yet)")
x.sendto(ba, srv)
say(recv(x)[0] is None, "the same BIND replayed from elsewhere gets no answer")
b.sendto(bind(lb, 1, kb), srv)
cb = cookie(recv(b)[0], lb, 1, kb)
b.sendto(bind(lb, 2, kb, cb), srv)
say(bound(recv(b)[0], lb, 2, kb) == 1, "the callee's leg is bound, and sees the caller's")
m1 = bytes([0x10]) + os.urandom(60)
a.sendto(m1, srv)
d, frm = recv(b)
say(d == m1 and frm == srv, "media from the caller reaches the callee unchanged, from the relay")
m2 = bytes([0x21]) + os.urandom(30)
b.sendto(m2, srv)
say(recv(a)[0] == m2, "media from the callee reaches the caller")
x.sendto(bytes([0x10]) + os.urandom(60), srv)
say(recv(a)[0] is None and recv(b)[0] is None, "a stranger's datagram goes nowhere")
a.sendto(bytes([0x55]) + os.urandom(60), srv)
say(recv(b)[0] is None, "what is not a media datagram is not forwarded")
a2 = sock()
a2.sendto(bind(la, 3, ka, ca), srv)
ca2 = cookie(recv(a2)[0], la, 3, ka)
say(ca2 is not None and ca2 != ca, "another address's cookie does not move the leg: a new cookie comes back")
b.sendto(m2, srv)
say(recv(a)[0] == m2 and recv(a2)[0] is None, "until then the media still goes to the old address")
a2.sendto(bind(la, 4, ka, ca2), srv)
say(bound(recv(a2)[0], la, 4, ka) == 1, "the caller binds again from a new address")
b.sendto(m2, srv)
say(recv(a2)[0] == m2 and recv(a)[0] is None, "the callee's media follows to the new address")
PY
sed 's/^/# 6: /' "$T/relay6.out"
check "6: the relay's datagrams behave ($(grep -c '^ok' "$T/relay6.out") of 13)" \
	sh -c "[ \$(grep -c '^ok' '$T/relay6.out') -eq 13 ] && ! grep -q FAIL '$T/relay6.out'"
say ra "hangup 777 hangup"
wait_for "$T/rb.out" "^hangup 777" 5
sleep 2.5
python3 - "$SERVER" "$lb" "$kb" >"$T/relay6b.out" 2>&1 <<'PY'
import hashlib, socket, sys
host, port = sys.argv[1].rsplit(":", 1)
lb, kb = int(sys.argv[2]), bytes.fromhex(sys.argv[3])
m = bytes([0xe1]) + lb.to_bytes(8, "big") + (100).to_bytes(8, "big") + bytes(16)
m += hashlib.blake2b(m, digest_size=16, key=kb).digest()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(m, (host, int(port)))
try:
    s.recvfrom(100)
    print("answered")
except OSError:
    print("no answer")
PY
check "6: after the hangup the relay is gone (a valid BIND: $(cat "$T/relay6b.out"))" \
	grep -q '^no answer' "$T/relay6b.out"

check "the server is still alive" kill -0 "$SERVER_PID"
finish

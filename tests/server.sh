#!/bin/sh
# The signaling server on loopback: registration and its durability across
# kill -9, presence, call routing, limits, and hostile clients that must
# cost only their own connection.
. "$top_srcdir/tests/lib.sh"
SIGCLIENT=${SIGCLIENT:-$top_builddir/tests/sigclient}
[ -x "$SIGCLIENT" ] || skip_all "tests/sigclient is not built"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed for free_port"

D=$T/srv
mkdir -p "$D"
PORT=$(free_port)
ADDR=127.0.0.1:$PORT
nstart=0

start_server() {	# start_server [serve options]
	nstart=$((nstart + 1))
	SLOG=$D/server.$nstart.log
	"$E2CALL" serve --listen "$ADDR" --db "$D/server.db" \
	    --max-per-addr 1000 --hs-rate 0 --handshake-timeout 2 \
	    --ring-timeout 3 --max-names 0 --reg-per-key 0 --reg-per-addr 0 \
	    "$@" 2>"$SLOG" &
	SPID=$!
	PIDS="$PIDS $SPID"
	wait_for "$SLOG" "listening on 127.0.0.1:$PORT"
}

# client NAME [sigclient options]: a scripted connection; NAME.out collects
# its events.
client() {
	n=$1; shift
	rm -f "$T/$n.in" "$T/$n.out"
	mkfifo "$T/$n.in"
	"$SIGCLIENT" --cmd "$T/$n.in" "$@" "$ADDR" >"$T/$n.out" 2>"$T/$n.err" &
	eval "PID_$n=\$!"
	PIDS="$PIDS $!"
	wait_for "$T/$n.out" "^welcome 1"
}
say() {		# say NAME command...
	n=$1; shift
	timeout 5 sh -c 'echo "$1" > "$2"' sh "$*" "$T/$n.in"
}
# expect NAME PATTERN [COUNT]: wait until PATTERN matched COUNT lines
expect() {
	f=$T/$1.out want=${3:-1} i=50
	while [ "$i" -gt 0 ]; do
		[ "$(grep -c -- "$2" "$f" 2>/dev/null)" -ge "$want" ] && return 0
		sleep 0.1; i=$((i - 1))
	done
	echo "# $1: no $want x /$2/ in:"; sed 's/^/#   /' "$f" | tail -n 15
	return 1
}
gone() {	# gone NAME: its process has ended
	eval "p=\$PID_$1"
	i=50
	while [ "$i" -gt 0 ]; do
		kill -0 "$p" 2>/dev/null || return 0
		sleep 0.1; i=$((i - 1))
	done
	return 1
}
alive() { kill -0 "$SPID" 2>/dev/null; }
# stun HOST PORT KIND: send one STUN datagram, print what came back
stun() {
	python3 - "$@" <<'PY'
import os, socket, struct, sys
host, port, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.bind((host, 0))
me = s.getsockname()[:2]
tid = os.urandom(12)
hdr = lambda t, n, c=0x2112a442: struct.pack('>HHI', t, n, c) + tid
pkt = {
    'binding': hdr(1, 0),
    'software': hdr(1, 8) + struct.pack('>HH', 0x8022, 4) + b'test',
    'username': hdr(1, 8) + struct.pack('>HH', 0x0006, 4) + b'user',
    'badcookie': hdr(1, 0, 0x12345678),
    'response': hdr(0x0101, 0),
    'garbage': os.urandom(64),
}[kind]
s.sendto(pkt, (host, port))
try:
    data = s.recv(2048)
except socket.timeout:
    print('noreply')
    sys.exit(0)
t, n, c = struct.unpack('>HHI', data[:8])
if (t, c, data[8:20], n) != (0x0101, 0x2112a442, tid, len(data) - 20):
    print('bad header')
    sys.exit(0)
at, al, af, xp = struct.unpack('>HHxBH', data[20:28])
key = struct.pack('>I', 0x2112a442) + tid
ip = socket.inet_ntop(socket.AF_INET if af == 1 else socket.AF_INET6,
                      bytes(a ^ b for a, b in zip(data[28:24 + al], key)))
ok = at == 0x20 and (ip, xp ^ 0x2112) == tuple(me)
print('mapped %s %d %s' % (ip, xp ^ 0x2112, 'ok' if ok else 'WRONG'))
PY
}

start_server
check "server prints its key fingerprint" \
    grep -q "server key fingerprint: [a-z2-7]\{4\}\( [a-z2-7]\{4\}\)\{7\}$" "$SLOG"
check "server creates its key next to the database" \
    test -f "$D/server_key"
check "database file is private (0600)" \
    sh -c '[ "$(stat -c %a "$1")" = 600 ]' sh "$D/server.db"

# ---- STUN on the same port ----
check "the server answers STUN on UDP too" \
    grep -q "STUN responder on UDP 127.0.0.1:$PORT" "$SLOG"
r=$(stun 127.0.0.1 "$PORT" binding)
check "a STUN Binding request gets the sender's address and port ($r)" \
    [ "${r%% *} ${r##* }" = "mapped ok" ]
r=$(stun 127.0.0.1 "$PORT" software)
check "a comprehension-optional attribute (SOFTWARE) is fine" \
    [ "${r%% *} ${r##* }" = "mapped ok" ]
for k in username badcookie response garbage; do
	r=$(stun 127.0.0.1 "$PORT" "$k")
	check "STUN: no answer to $k" [ "$r" = noreply ]
done

# ---- registration ----
client a1 --key "$T/alice.key"
say a1 register alice
check "register a new name" expect a1 "^registered alice$"
client a2 --key "$T/alice.key"
say a2 register alice
check "the same key registers the same name again" \
    expect a2 "^registered alice$"
check "the older connection is told it was replaced" \
    expect a1 "^error limit name=alice replaced by a newer connection"
check "and is closed" gone a1
client m --key "$T/mallory.key"
say m register alice
check "another key cannot take the name" \
    expect m "^error name_taken name=alice alice belongs to another key"
for bad in Alice -alice .a 'a/b' 'café' abcdefghijklmnopqrstuvwxyz0123456; do
	say m "register $bad"
done
check "bad names are refused with a clear error (6 of 6)" \
    expect m "^error bad_name a name is 1 to 32 characters" 6
say m ping
check "the connection survives bad names" expect m "^pong$"
say m register mallory
check "after bad names the same connection registers" \
    expect m "^registered mallory$"
say m register abcdefghijklmnopqrstuvwxyz012345
check "a 32-character name registers" \
    expect m "^registered abcdefghijklmnopqrstuvwxyz012345$"

# ---- durability: kill -9 right after the acknowledgements ----
client k --key "$T/keep.key"
for i in 1 2 3 4 5; do
	say k register keep$i
	expect k "^registered keep$i$" >/dev/null || break
done
"$SIGCLIENT" --key "$T/keep.key" --clients 20 --prefix many "$ADDR" \
    >"$T/many.out" 2>&1
kill -9 "$SPID"
wait "$SPID" 2>/dev/null
check "20 concurrent registrations acknowledged before kill -9" \
    grep -q "^clients 20 opened 20 registered 20 failed 0" "$T/many.out"
check "keep1..keep5 acknowledged before kill -9" \
    expect k "^registered keep5$"
start_server
check "after restart the server reports the stored names" \
    grep -q "server.db: 28 registered names" "$SLOG"
client m2 --key "$T/mallory.key"
for n in keep1 keep2 keep3 keep4 keep5 many0 many7 many19 alice; do
	say m2 register $n
done
check "after restart no other key can take the names (9 of 9)" \
    expect m2 "^error name_taken" 9
client k2 --key "$T/keep.key"
say k2 register keep3
check "after restart the owner's key registers keep3" \
    expect k2 "^registered keep3$"
say k2 register many19
check "after restart the owner's key registers many19" \
    expect k2 "^registered many19$"

# ---- presence and call routing ----
client al --key "$T/alice.key"
say al register alice
expect al "^registered alice$" >/dev/null
client bo --key "$T/bob.key"
say bo register bob
expect bo "^registered bob$" >/dev/null
client ca --key "$T/carol.key"
say ca register carol
expect ca "^registered carol$" >/dev/null
say ca close
gone ca

say bo dial 101 zed
check "DIAL to an unknown name: offline, as if it were registered" \
    expect bo "^error offline call=101 name=zed zed cannot be reached (offline, or no such name)"
say bo dial 102 carol
check "DIAL to a registered but offline name: the same answer" \
    expect bo "^error offline call=102 name=carol carol cannot be reached (offline, or no such name)"
say bo dial 103 alice aabbcc
check "DIAL arrives as INCOMING with the caller's name and E2E bytes" \
    expect al "^incoming 103 bob aabbcc$"
say al ringing 103 dd01
check "RINGING is relayed to the caller" expect bo "^ringing 103 dd01$"
say bo handshake 103 ee02
check "HANDSHAKE is relayed to the callee" expect al "^handshake 103 ee02 0$"
say al accept 103
check "ACCEPT is relayed to the caller" expect bo "^accept 103$"
say bo hangup 103 hangup
check "HANGUP is relayed to the other party" expect al "^hangup 103 hangup$"
say al accept 103
check "a message for an ended call: protocol error, call id" \
    expect al "^error protocol call=103 no such call"
say al ping
check "the connection stays after an unknown call id" expect al "^pong$"

say bo dial 104 alice
expect al "^incoming 104 bob" >/dev/null
say bo accept 104
check "ACCEPT from the caller is refused" \
    expect bo "^error protocol call=104 accept is not allowed from the caller"
say m2 hangup 104 hangup
check "a stranger cannot touch someone else's call" \
    expect m2 "^error protocol call=104 no such call"
say bo dial 104 alice
check "a call id already in flight is refused" \
    expect bo "^error protocol call=104 call id already in use"
client anon
say anon dial 105 alice
check "DIAL without a registered name is refused" \
    expect anon "^error protocol call=105 register a name before dialing"
say bo dial 106 bob
check "calling yourself is refused" \
    expect bo "^error protocol call=106 name=bob cannot call yourself"
say al reject 104 busy
check "REJECT is relayed and ends the call" expect bo "^reject 104 busy$"
say al hangup 104 hangup
expect al "^error protocol call=104 no such call" >/dev/null ||
    not_ok "REJECT ended the call record"

for c in 110 111 112 113; do say bo dial $c alice; done
expect al "^incoming 113 bob" >/dev/null
say bo dial 114 alice
check "a fifth call in flight on one connection hits the limit" \
    expect bo "^error limit call=114 too many calls"
for c in 110 111 112 113; do say bo hangup $c cancelled; done
expect al "^hangup 113 cancelled$" >/dev/null ||
    not_ok "cancelled calls are relayed"

say bo dial 120 alice
expect al "^incoming 120 bob" >/dev/null
check "an unanswered call ends with no_answer for the caller" \
    expect bo "^hangup 120 no_answer$"
check "and for the callee" expect al "^hangup 120 no_answer$"

say bo dial 130 alice
expect al "^incoming 130 bob" >/dev/null
kill "$PID_al"
check "when a party's connection drops the other gets peer_gone" \
    expect bo "^hangup 130 peer_gone$"
say bo dial 131 alice
check "and the dropped party is offline" \
    expect bo "^error offline call=131 name=alice"

# ---- hostile clients: each costs only its own connection ----
hostile() {	# hostile DESCRIPTION sigclient-mode
	d=$1; shift
	"$SIGCLIENT" "$@" --wait 5000 "$ADDR" >"$T/h.out" 2>&1
	check "$d: the server closes that connection" \
	    grep -q "^closed after" "$T/h.out"
	client n --key "$T/nice.key"
	say n register nice
	check "$d: a normal client still registers right after" \
	    expect n "^registered nice$"
	say n close
	gone n
	say bo ping
	expect bo "^pong$" "$((npong = ${npong:-0} + 1))" >/dev/null ||
	    not_ok "$d: an existing client keeps its connection"
}
"$SIGCLIENT" --silent --wait 8000 "$ADDR" >"$T/silent.out" 2>&1 &
silent=$!
PIDS="$PIDS $silent"
hostile "garbage before the handshake" --garbage
hostile "a zero-length frame" --zero
hostile "an oversized frame" --oversize
hostile "a failed handshake" --bad-handshake
wait "$silent"
check "a silent client is dropped at the handshake timeout (2 s)" \
    grep -q "^closed after [23][0-9][0-9][0-9] ms" "$T/silent.out"

client bad1
say bad1 raw ff00
check "an undecodable message: protocol error, then closed" \
    expect bad1 "^error protocol undecodable"
check "the undecodable sender is disconnected" gone bad1
client bad2
say bad2 raw 11010008000000000000000102000161030001aa
check "a server-only message (INCOMING) from a client is refused" \
    expect bad2 "^error protocol incoming is not a client message"
check "and its sender is disconnected" gone bad2
client bad3
say bad3 big 4097
check "a frame over the limit after the handshake closes the connection" \
    expect bad3 "^closed "
say bo ping
check "the other clients are unaffected" expect bo "^pong$" 5
check "the oversized transport frame is logged" \
    grep -q "frame of 4113 bytes (limit 4112)" "$SLOG"
check "bad input is logged with a reason" \
    grep -q "frame of 18245 bytes (limit 4112)" "$SLOG"
check "failed handshakes are logged" grep -q "handshake failed" "$SLOG"

# ---- per-address connection limit (a second server) ----
P2=$(free_port)
"$E2CALL" serve --listen "127.0.0.1:$P2" --db "$D/limit.db" \
    --max-per-addr 3 --hs-rate 0 2>"$D/limit.log" &
L2=$!
PIDS="$PIDS $L2"
wait_for "$D/limit.log" "listening on"
"$SIGCLIENT" --clients 5 --prefix lim "127.0.0.1:$P2" >"$T/lim.out" 2>&1
check "--max-per-addr 3: three of five connections from one address" \
    grep -q "^clients 5 opened 3 registered 3 failed 2" "$T/lim.out"
kill "$L2"
P4=$(free_port)
"$E2CALL" serve --listen "127.0.0.1:$P4" --db "$D/rate.db" \
    --max-per-addr 1000 --hs-rate 1 2>"$D/rate.log" &
L4=$!
PIDS="$PIDS $L4"
wait_for "$D/rate.log" "listening on"
"$SIGCLIENT" --clients 80 --parallel 100 --prefix rate "127.0.0.1:$P4" \
    >"$T/rate.out" 2>&1
opened=$(sed -n 's/^clients 80 opened \([0-9]*\) .*/\1/p' "$T/rate.out")
check "--hs-rate 1: a burst of 64 new connections, then 1 per second ($opened of 80)" \
    [ "${opened:-0}" -ge 64 -a "${opened:-0}" -le 68 ]
check "refused for the rate, with a log line" \
    grep -q "refused: too many new connections from this address" "$D/rate.log"
kill "$L4"

# ---- an IPv6 literal ----
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
    2>/dev/null; then
	P3=$(free_port)
	"$E2CALL" serve --listen "[::1]:$P3" --db "$D/v6.db" 2>"$D/v6.log" &
	V6=$!
	PIDS="$PIDS $V6"
	check "--listen [::1]:PORT listens on IPv6 loopback" \
	    wait_for "$D/v6.log" "listening on \[::1\]:$P3"
	"$SIGCLIENT" --clients 2 --prefix six "[::1]:$P3" >"$T/v6.out" 2>&1
	check "clients register over IPv6" \
	    grep -q "^clients 2 opened 2 registered 2 failed 0" "$T/v6.out"
	r=$(stun ::1 "$P3" binding)
	check "STUN over IPv6 maps the sender's address ($r)" \
	    [ "${r%% *} ${r##* }" = "mapped ok" ]
	kill "$V6"
else
	echo "# no IPv6 loopback: IPv6 checks skipped"
fi

# ---- the end ----
check "the server is still alive" alive
kill -TERM "$SPID"
wait "$SPID"; rc=$?
check "SIGTERM stops the server with status 0" [ "$rc" -eq 0 ]
check "nothing unexpected on the server's stderr" \
    sh -c '! grep -E "error:|Sanitizer|runtime error" "$1"' sh "$SLOG"
check "nothing unexpected on the clients' stderr" \
    sh -c '! cat "$1"/*.err | grep -E "Sanitizer|runtime error"' sh "$T"
finish

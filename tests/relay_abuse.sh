#!/bin/sh
# The media relay under abuse (docs/PROTOCOL.md 5b.3), each attack next to
# a normal relayed call (both sides --relay-only) that must still succeed:
#   1. reflection: an attacker holding both legs of its own call binds one
#      leg at its socket and tries to bind the other at a third address
#      (127.0.0.2, which never answers) and pours media into the first
#      leg: nothing of it may reach the third address, and what the
#      server does send there is never more than the forged BINDs;
#   2. an orphaned relay: with --max-relays 1 the attacker takes the only
#      relay, closes both of its signaling connections and keeps the relay
#      busy with a BIND every 0.5 s: it must be freed within its linger
#      (10 s, + 1 s of sweep), so the normal call gets the relay after it;
#   3. quotas: one key gets at most --relay-per-key legs (8), one address
#      at most --relay-per-addr (here 4), and the refusal says so.
# The attacker is tests/sigclient (signaling) and tests/relay_attack.py
# (UDP).
. "$top_srcdir/tests/lib.sh"
SIGCLIENT=${SIGCLIENT:-$top_builddir/tests/sigclient}
ATTACK="$top_srcdir/tests/relay_attack.py"
[ -x "$SIGCLIENT" ] || skip_all "tests/sigclient is not built"
for t in sox python3; do
	command -v $t >/dev/null 2>&1 || skip_all "$t is not installed"
done
python3 -c 'import socket; socket.socket().bind(("127.0.0.2", 0))' \
    2>/dev/null || skip_all "cannot bind 127.0.0.2 (all of 127/8 must be loopback)"

sox -n -r 48000 -c 1 -b 16 "$T/tone.wav" synth 1.5 sine 440 2>/dev/null

# serve NAME [options]: a server on a free port; SERVER, SERVER_PID, SLOG
serve() {
	n=$1; shift
	SERVER=127.0.0.1:$(free_port)
	SLOG=$T/$n.log
	"$E2CALL" serve --listen "$SERVER" --db "$T/$n.db" "$@" 2>"$SLOG" &
	SERVER_PID=$!; PIDS="$PIDS $SERVER_PID"
	wait_for "$SLOG" "listening" 10
	configure alice; configure bob
}
# client NAME [sigclient options]: a scripted connection fed from a FIFO
client() {
	c=$1; shift
	rm -f "$T/$c.in" "$T/$c.out"; mkfifo "$T/$c.in"
	"$SIGCLIENT" --cmd "$T/$c.in" --key "$T/$c.key" "$@" "$SERVER" \
	    >"$T/$c.out" 2>"$T/$c.err" &
	PIDS="$PIDS $!"
	wait_for "$T/$c.out" "^welcome 1" 10
}
say() { timeout 5 sh -c 'echo "$1" > "$2"' sh "$2" "$T/$1.in"; }
# pair A B CALL: A and B register, A calls B, B rings
pair() {
	say "$1" "register $1"; say "$2" "register $2"
	wait_for "$T/$1.out" "^registered" 5; wait_for "$T/$2.out" "^registered" 5
	say "$1" "dial $3 $2"
	wait_for "$T/$2.out" "^incoming $3" 5
	say "$2" "ringing $3"
}
# legs CALL A B: both ask for their leg; sets LA KA LB KB
legs() {
	say "$2" "relay $1"; say "$3" "relay $1"
	wait_for "$T/$2.out" "^relay_grant $1" 5; wait_for "$T/$3.out" "^relay_grant $1" 5
	set -- $(sed -n "s/^relay_grant $1 //p" "$T/$2.out") \
	    $(sed -n "s/^relay_grant $1 //p" "$T/$3.out") x x x x x x
	LA=$2 KA=$3 LB=$5 KB=$6
}
# normal TAG: alice and bob make a relayed call; checked by normal_done
normal() {
	as_user_bg alice timeout 30 "$E2CALL" listen --batch --auto-answer \
	    --once --relay-only --play "$T/tone.wav" >"$T/$1.a" 2>"$T/$1.a.err" &
	apid=$!; PIDS="$PIDS $apid"
	wait_for "$T/$1.a" '"registered"' 10
	as_user_bg bob timeout 30 "$E2CALL" dial alice --batch --relay-only \
	    --hangup-on-eof --play "$T/tone.wav" >"$T/$1.b" 2>"$T/$1.b.err" &
	bpid=$!; PIDS="$PIDS $bpid"
}
rx() { sed -n '/"final":true/{s/.*"rx_packets":\([0-9]*\).*/\1/p;q}' "$1"; }
normal_done() {
	wait $bpid; brc=$?
	wait $apid; arc=$?
	ra=$(rx "$T/$1.a") rb=$(rx "$T/$1.b")
	check "$2: the normal relayed call succeeds (exit $brc $arc, path $(json_field "$T/$1.b" media kind), received ${rb:-0} and ${ra:-0} packets)" \
	    sh -c "[ $brc -eq 0 ] && [ $arc -eq 0 ] &&
	    [ '$(json_field "$T/$1.b" media kind)' = relay ] &&
	    [ '${ra:-0}' -gt 20 ] && [ '${rb:-0}' -gt 20 ]"
}

# ---- 1. reflection ----
serve r
client ra; client rb
pair ra rb 501
legs 501 ra rb
normal n1
python3 "$ATTACK" reflect "$SERVER" "$LA" "$KA" "$LB" "$KB" 127.0.0.2 \
    >"$T/reflect.out" 2>&1
echo "# 1: $(cat "$T/reflect.out")"
set -- $(cat "$T/reflect.out") x x x x x x x x x
sent=$2 sbytes=$3 media=$5 mbytes=$6 other=$8 obytes=$9
check "1: the reflection delivers no media to the third address ($media datagrams, $mbytes bytes)" \
    [ "$media" = 0 ]
check "1: what the server sent there is no more than the forged BINDs ($other of $sent datagrams, $obytes of $sbytes bytes)" \
    sh -c "[ '$other' -le '$sent' ] && [ '$obytes' -le '$sbytes' ]"
normal_done n1 1
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null

# ---- 2. an orphaned relay under a stream of BINDs ----
serve o --max-relays 1
client oa; client ob
pair oa ob 601
legs 601 oa ob
python3 "$ATTACK" bindstream "$SERVER" "$LA" "$KA" "$LB" "$KB" 22 \
    >"$T/stream.out" 2>&1 &
spid=$!; PIDS="$PIDS $spid"
wait_for "$T/stream.out" "^bound" 5
say oa close; say ob close
t_close=$(date +%s.%N)
wait_for "$T/oa.out" "^closed" 5; wait_for "$T/ob.out" "^closed" 5
sleep 12
normal n2
normal_done n2 2
wait "$spid"
last=$(sed -n 's/^last_answer //p' "$T/stream.out")
held=$(awk -v a="${last:-0}" -v b="$t_close" 'BEGIN { printf "%.1f", a - b }')
echo "# 2: the attacker's BINDs were answered until ${held} s after its connections closed"
check "2: the orphaned relay is freed within its linger under the BIND stream (answered until ${held} s <= 11.5 s)" \
    awk -v h="$held" 'BEGIN { exit !(h <= 11.5) }'
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null

# ---- 3. quotas ----
# (a server that has no such option, as before the relay had quotas, is
# run without it, so that this part fails on its checks, not at start)
qopt=--relay-per-addr
"$E2CALL" serve --help 2>&1 | grep -q -- --relay-per-addr || qopt=
serve q ${qopt:+$qopt 4}
# one key on three connections, each from its own address: 9 calls
for i in 1 2 3; do
	cp "$T/qk.key" "$T/qa$i.key" 2>/dev/null
	client qa$i --src 127.0.3.$i
	[ -f "$T/qk.key" ] || cp "$T/qa$i.key" "$T/qk.key"
	client qb$i --src 127.0.4.$i
	say qa$i "register qa$i"; say qb$i "register qb$i"
done
for i in 1 2 3; do
	wait_for "$T/qa$i.out" "^registered" 5; wait_for "$T/qb$i.out" "^registered" 5
done
c=700
for i in 1 2 3; do
	for j in 1 2 3; do
		c=$((c + 1))
		say qa$i "dial $c qb$i"
		wait_for "$T/qb$i.out" "^incoming $c" 5
		say qa$i "relay $c"
	done
done
sleep 1
grants=$(cat "$T"/qa?.out | grep -c '^relay_grant')
refused=$(cat "$T"/qa?.out | grep '^relay_refused' | head -n 1)
echo "# 3: one key asked for 9 legs: $grants granted; $refused"
check "3: one key gets at most 8 relay legs ($grants of 9)" [ "$grants" -eq 8 ]
check "3: and is told why" sh -c "cat '$T'/qa?.out | grep -q '^relay_refused [0-9]* limit too many relayed calls for this key'"
# five keys from one address, one call each
for i in 1 2 3 4 5; do
	client qx$i --src 127.0.5.1
	client qy$i --src 127.0.6.$i
	pair qx$i qy$i $((800 + i))
	say qx$i "relay $((800 + i))"
	wait_for "$T/qx$i.out" "^relay_" 5
done
grants=$(cat "$T"/qx?.out | grep -c '^relay_grant')
echo "# 3: five keys from one address asked for a leg each: $grants granted"
check "3: one address gets at most --relay-per-addr 4 legs ($grants of 5)" [ "$grants" -eq 4 ]
check "3: and is told why" grep -q '^relay_refused [0-9]* limit too many relayed calls from this address' "$T/qx5.out"
normal n3
normal_done n3 3

check "the server is still alive" kill -0 "$SERVER_PID"
check "nothing unexpected on the servers' stderr" \
    sh -c '! grep -E "error:|Sanitizer|runtime error" "$1"/r.log "$1"/o.log "$1"/q.log' sh "$T"
finish

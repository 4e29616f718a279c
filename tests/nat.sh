#!/bin/sh
# NAT traversal through real NATs made of network namespaces (root only):
#
#   srv      203.0.113.1    e2call serve (signaling, STUN, relay)
#   nata     203.0.113.10   NAT for cla (10.0.1.2 behind 10.0.1.1)
#   natb     203.0.113.20   NAT for clb (10.0.2.2 behind 10.0.2.1)
#   inet     a bridge joining srv, nata and natb: "the internet"
#
# Each NAT masquerades and drops `ct state new` arriving on its WAN side
# (input and forward), as a home router does: plain masquerade then acts
# as a port-restricted cone NAT (hole punching works), `masquerade random`
# as a symmetric NAT (only the relay works).  The addresses are from the
# documentation ranges and exist only inside these namespaces; nothing
# leaves them.
#
#   (a) both NATs port-restricted: a direct path through them (srflx, not
#       relay), speech arrives both ways;
#   (b) cla's NAT symmetric: the relay carries the call, speech arrives;
#   (c) mid-call, cla's NAT gets a new public address (its mappings go
#       with the old one): the call goes on, audio resumes within a
#       second both ways (measured by the clients' gap reports);
#   (d) the same with cla's NAT symmetric, so the call is relayed when
#       the address changes: the relay leg follows it;
#   (e) IPv6 without NAT: both clients get global addresses
#       (2001:db8::/32, routed, behind the same stateful firewalls): the
#       checks punch through and the path is the IPv6 host pair.
. "$top_srcdir/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root for network namespaces and nftables"
for t in ip nft sysctl python3 espeak-ng sox; do
	command -v $t >/dev/null 2>&1 || skip_all "$t is not installed"
done
WAVCMP="$top_builddir/tests/wavcmp"
THRESH=0.80	# as in tests/speech.sh
# With roaming, up to a second of the sentence is lost in the middle: 0.6
# still tells it from the other sentence (below 0.4, tests/speech.sh).
THRESH_ROAM=0.60
GAP_MAX=1000	# ms: audio must resume within a second after roaming

P=e2n$$
NS="$P-inet $P-srv $P-nata $P-natb $P-cla $P-clb"
net_cleanup() {
	for n in $NS; do ip netns del "$n" 2>/dev/null; done
}
cleanup_all() {
	cleanup
	net_cleanup
}
trap cleanup_all EXIT INT TERM
# need WHY COMMAND...: what this machine must be able to do; where it
# cannot, the test is skipped with WHY, the command and its error.
need() {
	w=$1; shift
	"$@" 2>"$T/need.err" || {
		rc=$?
		skip_all "$w: \"$*\" failed (exit $rc): $(head -n 1 "$T/need.err")"
	}
}
for n in $NS; do
	need "cannot create network namespaces here" ip netns add "$n"
done
# Entering one (ip netns exec, ip -n) also makes / a slave mount and
# mounts a /sys of the namespace: that fails where / is not a mount point
# (a chroot).
need "cannot enter a network namespace here" ip netns exec "$P-inet" true
for n in $NS; do
	ip -n "$n" link set lo up
done
inx() { n=$1; shift; ip netns exec "$P-$n" "$@"; }
# In the background (`inx_bg NS cmd... &`): $! is then the command itself
# (ip netns exec execs it), so cleanup kills it rather than a subshell.
inx_bg() { n=$1; shift; exec ip netns exec "$P-$n" "$@"; }

# The internet: a bridge, and one veth to it from each public host.
need "cannot make a bridge in a namespace" ip -n $P-inet link add br0 type bridge
ip -n $P-inet link set br0 up
uplink() {	# uplink NS ADDR
	need "cannot make a veth pair between namespaces" \
	    ip -n $P-inet link add "to$1" type veth peer name wan netns "$P-$1"
	ip -n $P-inet link set "to$1" master br0 up
	ip -n "$P-$1" addr add "$2/24" dev wan
	ip -n "$P-$1" link set wan up
}
uplink srv 203.0.113.1
uplink nata 203.0.113.10
uplink natb 203.0.113.20
# A home network behind each NAT.
lan() {		# lan NAT CLIENT NET
	ip -n "$P-$1" link add lan type veth peer name eth0 netns "$P-$2"
	ip -n "$P-$1" addr add "$3.1/24" dev lan
	ip -n "$P-$1" link set lan up
	ip -n "$P-$2" addr add "$3.2/24" dev eth0
	ip -n "$P-$2" link set eth0 up
	ip -n "$P-$2" route add default via "$3.1"
	need "cannot turn on forwarding in a namespace" \
	    ip netns exec "$P-$1" sysctl -qw net.ipv4.ip_forward=1
}
lan nata cla 10.0.1
lan natb clb 10.0.2
# nat NS MODE: MODE "cone" (masquerade) or "symmetric" (masquerade random)
nat() {
	m=masquerade
	[ "$2" = symmetric ] && m="masquerade random"
	inx "$1" nft -f - <<EOF
flush ruleset
table ip nat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "wan" $m
	}
}
table inet fw {
	chain input {
		type filter hook input priority 0;
		iifname "wan" ct state new drop
	}
	chain forward {
		type filter hook forward priority 0;
		iifname "wan" ct state new drop
	}
}
EOF
}
nat nata cone 2>"$T/nft.err" ||
    skip_all "nftables masquerade is not available here: \"ip netns exec $P-nata nft -f -\" failed: $(head -n 1 "$T/nft.err")"
nat natb cone

# The server, in its namespace.
mkdir -p "$T/server"
srv_start() {
	inx_bg srv "$E2CALL" serve --listen 203.0.113.1:7350 \
		--db "$T/server/server.db" --log-level debug \
		>>"$T/server/out" 2>>"$T/server/log" &
	SERVER_PID=$!
	PIDS="$PIDS $SERVER_PID"
	wait_for "$T/server/log" "STUN responder" 10
}
srv_start || { not_ok "server starts"; finish; }
SERVER=203.0.113.1:7350
reach() {	# reach NS: a TCP connection to the server from NS
	inx "$1" python3 -c 'import socket; socket.create_connection(("203.0.113.1", 7350), 3).close()'
}
check "the namespaces route: cla reaches the server through its NAT" reach cla
check "the namespaces route: clb reaches the server through its NAT" reach clb
configure alice; configure bob

espeak-ng -w "$T/s1.wav" "The quick brown fox jumps over the lazy dog. Encrypted calls keep their secrets between two people." 2>/dev/null
espeak-ng -v en-us -w "$T/s2.wav" "Seven silver swans swam silently seaward, one, two, three, four, five." 2>/dev/null
# 1.5 s of silence first: a relayed call starts after the direct checks
# had their MEDIA_RELAY_GRACE_MS (1 s), and what is said before a path
# exists is not sent.
sox "$T/s1.wav" -r 48000 -c 1 -b 16 "$T/bob.wav" pad 1.5 0
sox "$T/s2.wav" -r 48000 -c 1 -b 16 "$T/alice.wav" pad 1.5 0

# call TAG [listen options]: alice (cla) listens, bob (clb) dials; both
# send a sentence; bob hangs up when his has been sent.
call() {
	tag=$1; shift
	apid="" bpid=""
	inx_bg cla env HOME="$T/alice" XDG_CONFIG_HOME="$T/alice/config" \
	    XDG_DATA_HOME="$T/alice/data" E2CALL_HOME= \
	    timeout 60 "$E2CALL" listen --batch --auto-answer --once \
	    --play "$T/alice.wav" --record "$T/$tag.alice.wav" "$@" \
	    >"$T/$tag.a" 2>"$T/$tag.a.err" &
	apid=$!; PIDS="$PIDS $apid"
	wait_for "$T/$tag.a" '"registered"' 10 || return 1
	inx_bg clb env HOME="$T/bob" XDG_CONFIG_HOME="$T/bob/config" \
	    XDG_DATA_HOME="$T/bob/data" E2CALL_HOME= \
	    timeout 60 "$E2CALL" dial alice --batch --hangup-on-eof \
	    --play "$T/bob.wav" --record "$T/$tag.bob.wav" \
	    >"$T/$tag.b" 2>"$T/$tag.b.err" &
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
media_kind() { json_field "$1" media kind; }
speech() {	# speech TAG [THRESHOLD]
	th=${2:-$THRESH}
	r1=$("$WAVCMP" "$T/bob.wav" "$T/$1.alice.wav")
	r2=$("$WAVCMP" "$T/alice.wav" "$T/$1.bob.wav")
	c1=$(echo "$r1" | sed 's/.*envelope_corr=\([-0-9.]*\).*/\1/')
	c2=$(echo "$r2" | sed 's/.*envelope_corr=\([-0-9.]*\).*/\1/')
	check "$1: alice heard bob (corr $c1 > $th)" above "$c1" $th
	check "$1: bob heard alice (corr $c2 > $th)" above "$c2" $th
}
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
# path_of FILE: "ADDR KIND after MS ms" of the first media event
path_of() {
	echo "$(json_field "$1" media path) $(json_field "$1" media kind) after $(json_field "$1" media ms) ms"
}

# (a) Two port-restricted cone NATs: hole punching.
call a
finish_call "a (cone, cone)"
echo "# a: alice's path $(path_of "$T/a.a"), bob's path $(path_of "$T/a.b")"
check "a: alice's path is srflx (got $(media_kind "$T/a.a"))" [ "$(media_kind "$T/a.a")" = srflx ]
check "a: bob's path is srflx (got $(media_kind "$T/a.b"))" [ "$(media_kind "$T/a.b")" = srflx ]
check "a: alice sends to natb's public address" grep -q '"media","path":"203.0.113.20:' "$T/a.a"
check "a: bob sends to nata's public address" grep -q '"media","path":"203.0.113.10:' "$T/a.b"
check "a: the host candidates learned their srflx from STUN" grep -q 'server-reflexive candidate 203.0.113.10:' "$T/a.a"
speech a

# (b) nata symmetric: no direct pair, the relay carries the call.
nat nata symmetric
call b
finish_call "b (symmetric, cone)"
echo "# b: alice's path $(path_of "$T/b.a"), bob's path $(path_of "$T/b.b")"
check "b: alice's path is the relay (got $(media_kind "$T/b.a"))" [ "$(media_kind "$T/b.a")" = relay ]
check "b: bob's path is the relay (got $(media_kind "$T/b.b"))" [ "$(media_kind "$T/b.b")" = relay ]
check "b: the relay went to the server's address" grep -q '"media","path":"203.0.113.1:7350"' "$T/b.a"
speech b
# Every call has a relay, freed 2 s after the call: (b)'s is the second.
n=50
while [ "$(grep -c 'relay for call .* ended' "$T/server/log")" -lt 2 ] && [ $n -gt 0 ]; do
	sleep 0.1; n=$((n - 1))
done
fwd=$(sed -n 's/.*relay for call .* ended: caller->callee \([0-9]*\) packets.*callee->caller \([0-9]*\) packets.*/\1 \2/p' "$T/server/log" | sed -n 2p)
echo "# b: the relay forwarded (caller->callee, callee->caller): $fwd packets"
check "b: the server relayed media both ways ($fwd)" sh -c "set -- $fwd; [ \"\${1:-0}\" -gt 100 ] && [ \"\${2:-0}\" -gt 100 ]"

# (c) Roaming: mid-call, nata's public address changes (its conntrack
# mappings are dropped with the old address).
nat nata cone
call c
wait_for "$T/c.a" '"event":"media"' 15
sleep 2
inx nata sysctl -qw net.ipv4.conf.wan.promote_secondaries=1
ip -n $P-nata addr add 203.0.113.11/24 dev wan
ip -n $P-nata addr del 203.0.113.10/24 dev wan
echo "# c: nata moved from 203.0.113.10 to 203.0.113.11 at $(date +%T.%N | cut -c1-12)"
finish_call "c (roaming)"
# The gap each side reported when audio came back, the largest.
gaps() { sed -n 's/.*audio resumed after a \([0-9]*\) ms gap.*/\1/p' "$1" | sort -n | tail -n 1; }
ga=$(gaps "$T/c.a"); gb=$(gaps "$T/c.b")
echo "# c: audio resumed after: alice heard bob again after ${ga:-<200} ms, bob heard alice again after ${gb:-<200} ms"
grep -h '"path' "$T/c.a" "$T/c.b" | grep -v stats | sed 's/^/#   /'
grep -h 'stopped answering\|signaling' "$T/c.a" "$T/c.b" | sed 's/^/#   /'
check "c: alice hears bob again within $GAP_MAX ms (${ga:-<200})" [ "${ga:-0}" -lt $GAP_MAX ]
check "c: bob hears alice again within $GAP_MAX ms (${gb:-<200})" [ "${gb:-0}" -lt $GAP_MAX ]
check "c: alice's call ended normally (hangup by the peer)" grep -q '"ended","reason":"hangup","by":"peer"' "$T/c.a"
check "c: bob's call ended normally (hangup by him)" grep -q '"ended","reason":"hangup","by":"local"' "$T/c.b"
speech c $THRESH_ROAM

# (d) Roaming on a relayed call.
nat nata symmetric
call d
wait_for "$T/d.a" '"event":"media"' 15
sleep 2
ip -n $P-nata addr add 203.0.113.12/24 dev wan
ip -n $P-nata addr del 203.0.113.11/24 dev wan
echo "# d: nata (symmetric) moved from 203.0.113.11 to 203.0.113.12"
finish_call "d (roaming, relayed)"
check "d: alice's path was the relay (got $(media_kind "$T/d.a"))" [ "$(media_kind "$T/d.a")" = relay ]
ga=$(gaps "$T/d.a"); gb=$(gaps "$T/d.b")
echo "# d: audio resumed after: alice heard bob again after ${ga:-<200} ms, bob heard alice again after ${gb:-<200} ms"
check "d: alice hears bob again within $GAP_MAX ms (${ga:-<200})" [ "${ga:-0}" -lt $GAP_MAX ]
check "d: bob hears alice again within $GAP_MAX ms (${gb:-<200})" [ "${gb:-0}" -lt $GAP_MAX ]
check "d: alice's call ended normally (hangup by the peer)" grep -q '"ended","reason":"hangup","by":"peer"' "$T/d.a"
speech d $THRESH_ROAM

# (e) IPv6, no NAT: the routers forward and keep their firewalls.
v6() {		# v6 NAT CLIENT N WAN
	ip -n "$P-$1" addr add "2001:db8::$4/64" dev wan nodad
	ip -n "$P-$1" addr add "2001:db8:$3::1/64" dev lan nodad
	ip -n "$P-$2" addr add "2001:db8:$3::2/64" dev eth0 nodad
	ip -n "$P-$2" -6 route add default via "2001:db8:$3::1"
	inx "$1" sysctl -qw net.ipv6.conf.all.forwarding=1
}
v6 nata cla 1 10
v6 natb clb 2 20
ip -n $P-nata -6 route add 2001:db8:2::/64 via 2001:db8::20
ip -n $P-natb -6 route add 2001:db8:1::/64 via 2001:db8::10
nat nata cone
call e
finish_call "e (IPv6)"
echo "# e: alice's path $(path_of "$T/e.a"), bob's path $(path_of "$T/e.b")"
check "e: alice's path is bob's IPv6 host address" grep -q '"media","path":"\[2001:db8:2::2\]:[0-9]*","kind":"host"' "$T/e.a"
check "e: bob's path is alice's IPv6 host address" grep -q '"media","path":"\[2001:db8:1::2\]:[0-9]*","kind":"host"' "$T/e.b"
speech e

check "the server is still alive" kill -0 "$SERVER_PID"
finish

#!/bin/sh
# The server's STUN responder against a STUN client this project did not
# write: turnutils_stunclient from coturn.  It must print the address and
# port its request came from (checked against a capture of the request
# where tcpdump can run), over IPv4 and IPv6.
. "$top_srcdir/tests/lib.sh"
command -v turnutils_stunclient >/dev/null 2>&1 ||
	skip_all "turnutils_stunclient (Debian package coturn) is not installed"

start_server || { not_ok "server starts"; finish; }
PORT=${SERVER##*:}

# stunclient HOST PORT OUT: runs the client; its output in OUT
stunclient() {
	timeout 10 turnutils_stunclient -p "$2" "$1" >"$3" 2>&1
}
# mapped OUT: the "reflexive addr" it printed (host:port)
mapped() {
	sed -n 's/.*UDP reflexive addr: *\([^ ]*\).*/\1/p' "$1" | head -n 1
}

capture=0
if [ "$(id -u)" -eq 0 ] && command -v tcpdump >/dev/null 2>&1; then
	capture=1
fi

# check_family NAME HOST PORT: one run, with the request captured
check_family() {
	name=$1 host=$2 port=$3
	if [ $capture -eq 1 ]; then
		rm -f "$T/$name.pcap"
		tcpdump -i lo -n -U -c 1 -w "$T/$name.pcap" \
			"udp and dst port $port and src host $host" \
			>"$T/$name.tcpdump" 2>&1 &
		tp=$!
		PIDS="$PIDS $tp"
		# tcpdump says when it listens
		wait_for "$T/$name.tcpdump" "listening on" 5 >/dev/null
	fi
	stunclient "$host" "$port" "$T/$name.out"
	rc=$?
	check "$name: turnutils_stunclient exits 0 (got $rc)" [ "$rc" -eq 0 ]
	m=$(mapped "$T/$name.out")
	echo "# $name: turnutils_stunclient says: $(head -n 1 "$T/$name.out")"
	mhost=${m%:*} mport=${m##*:}
	check "$name: mapped address is $host (got '$mhost')" [ "$mhost" = "$host" ]
	check "$name: mapped port is a port (got '$mport')" \
		sh -c "[ '$mport' -ge 1 ] 2>/dev/null && [ '$mport' -le 65535 ] && [ '$mport' -ne '$port' ]"
	if [ $capture -eq 1 ]; then
		n=50
		while kill -0 "$tp" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
		kill "$tp" 2>/dev/null; wait "$tp" 2>/dev/null
		src=$(tcpdump -n -r "$T/$name.pcap" 2>/dev/null | head -n 1 |
			sed -n 's/.* IP6* \([^ ]*\) > .*/\1/p')
		sport=${src##*.}
		echo "# $name: the request left from port $sport"
		check "$name: mapped port is the request's source port ($sport)" \
			[ -n "$sport" -a "$sport" = "$mport" ]
	fi
}

check_family ipv4 127.0.0.1 "$PORT"

# IPv6: a second server on [::1]
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	P6=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0)); print(s.getsockname()[1])')
	"$E2CALL" serve --listen "[::1]:$P6" --db "$T/server/v6.db" \
		>"$T/server/v6.out" 2>"$T/server/v6.log" &
	PIDS="$PIDS $!"
	if wait_for "$T/server/v6.log" "STUN responder" 10; then
		check_family ipv6 ::1 "$P6"
	else
		not_ok "IPv6 server starts"
	fi
else
	echo "# no IPv6 loopback here: IPv6 not checked"
fi

# Each run gets its own socket, so its own mapping.
stunclient 127.0.0.1 "$PORT" "$T/again.out"
a=$(mapped "$T/ipv4.out"); b=$(mapped "$T/again.out")
check "a second client socket maps elsewhere ($a, $b)" [ -n "$b" -a "$a" != "$b" ]
check "the server is still alive" kill -0 "$SERVER_PID"
finish

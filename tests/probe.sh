#!/bin/sh
# Presence cannot be probed for free (docs/PROTOCOL.md 5a.4), while normal
# users call each other next to the prober:
#   1. a DIAL to a name that is registered but offline and a DIAL to a
#      name nobody registered get the same answer (reason and text, the
#      name aside) and take the same time;
#   2. a key gets 20 DIALs a minute (--dial-per-key), the 21st is refused
#      with when to try again;
#   3. an address gets 60 a minute (--dial-per-addr), whatever its keys.
. "$top_srcdir/tests/lib.sh"
SIGCLIENT=${SIGCLIENT:-$top_builddir/tests/sigclient}
[ -x "$SIGCLIENT" ] || skip_all "tests/sigclient is not built"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed for free_port"
python3 -c 'import socket; socket.socket().bind(("127.0.8.1", 0))' \
    2>/dev/null || skip_all "cannot bind 127.0.8.1 (all of 127/8 must be loopback)"

PORT=$(free_port)
ADDR=127.0.0.1:$PORT
SLOG=$T/server.log
"$E2CALL" serve --listen "$ADDR" --db "$T/server.db" 2>"$SLOG" &
SPID=$!; PIDS="$PIDS $SPID"
wait_for "$SLOG" "listening on $ADDR" || { not_ok "server starts"; finish; }

client() {	# client NAME [sigclient options]: key NAME.key, a FIFO
	c=$1; shift
	rm -f "$T/$c.in" "$T/$c.out"; mkfifo "$T/$c.in"
	"$SIGCLIENT" --cmd "$T/$c.in" --key "$T/$c.key" "$@" "$ADDR" \
	    >"$T/$c.out" 2>"$T/$c.err" &
	PIDS="$PIDS $!"
	wait_for "$T/$c.out" "^welcome 1" 10
}
say() { c=$1; shift; timeout 5 sh -c 'echo "$1" > "$2"' sh "$*" "$T/$c.in"; }
normal() {	# normal TAG: 5 pairs (own keys, 127.0.0.1) register and call
	"$SIGCLIENT" --calls 5 --rounds 1 --own-keys --key "$T/users.key" \
	    --prefix "$1" --phase-timeout 10 "$ADDR" >"$T/$1.out" 2>&1
	check "$2: normal users register and call (5 calls)" \
	    grep -q '^calls 5 accepted 5 failed 0' "$T/$1.out"
}
field() { sed -n "s/^probe $2 .* $3 \([^ ]*\).*/\1/p" "$1"; }

client al; say al register alice; wait_for "$T/al.out" "^registered" 5
client ca; say ca register carol; wait_for "$T/ca.out" "^registered" 5
say ca close
client bo; say bo register bob; wait_for "$T/bo.out" "^registered" 5

# ---- 1. offline and unknown look the same ----
client m --src 127.0.8.1
say m register mallory; wait_for "$T/m.out" "^registered" 5
say m probe 10 carol zed
wait_for "$T/m.out" "^probe zed" 10
sed -n 's/^\(probe\|text\) /# 1: &/p' "$T/m.out"
rc=$(field "$T/m.out" carol reasons) ru=$(field "$T/m.out" zed reasons)
tc=$(sed -n 's/^text carol //p' "$T/m.out") tu=$(sed -n 's/^text zed //p' "$T/m.out")
mc=$(field "$T/m.out" carol median_us) mu=$(field "$T/m.out" zed median_us)
check "1: offline and unknown get the same reason ($rc, $ru)" \
    [ -n "$rc" -a "$rc" = "$ru" ]
check "1: and the same text ('$tc', '$tu')" [ -n "$tc" -a "$tc" = "$tu" ]
check "1: in the same time (medians $mc and $mu us: within 50 % or 150 us)" \
    awk -v a="${mc:-0}" -v b="${mu:-99999}" 'BEGIN {
	d = a > b ? a - b : b - a; m = a > b ? a : b
	exit !(a > 0 && (d <= 150 || d <= m / 2)) }'
normal n1 1

# ---- 2. DIALs per key ----
say m dial 901 alice
wait_for "$T/m.out" "call=901" 5
echo "# 2: the 21st DIAL of one key: $(grep 'call=901' "$T/m.out")"
check "2: a key gets 20 DIALs a minute, the 21st is refused with when to try again" \
    grep -q '^error limit call=901 too many calls from this key (at most 20 a minute); try again in [0-9]* s' "$T/m.out"
check "2: and it did not ring anyone" sh -c "! grep -q 'incoming 901' '$T/al.out'"

# ---- 3. DIALs per address, with other keys ----
for k in 2 3; do
	client m$k --src 127.0.8.1
	say m$k register mallory$k; wait_for "$T/m$k.out" "^registered" 5
	say m$k probe 20 zed
	wait_for "$T/m$k.out" "^probe zed" 10
done
client m4 --src 127.0.8.1
say m4 register mallory4; wait_for "$T/m4.out" "^registered" 5
say m4 dial 902 alice
wait_for "$T/m4.out" "call=902" 5
echo "# 3: a fresh key's first DIAL after 60 from its address: $(grep 'call=902' "$T/m4.out")"
check "3: an address gets 60 DIALs a minute, whatever its keys" \
    grep -q '^error limit call=902 too many calls from this address (at most 60 a minute); try again in [0-9]* s' "$T/m4.out"

# ---- normal users, after all that ----
say bo dial 903 alice
wait_for "$T/al.out" "^incoming 903 bob" 5
check "alice can still be called by bob" grep -q "^incoming 903 bob" "$T/al.out"
normal n3 3
check "the server is still alive" kill -0 "$SPID"
check "nothing unexpected on the server's stderr" \
    sh -c '! grep -E "error:|Sanitizer|runtime error" "$1"' sh "$SLOG"
finish

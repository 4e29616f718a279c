#!/bin/sh
# Names cannot be hoarded (docs/PROTOCOL.md 5a.2), while normal users
# register and call next to the attackers:
#   1. a key owns at most 8 names (--max-names): the ninth is refused with
#      a reason;
#   2. a key gets 10 registrations of names it does not own an hour
#      (--reg-per-key): probing taken names costs them too, and the
#      eleventh is refused with "try again in";
#   3. an address gets 30 an hour (--reg-per-addr), however many keys it
#      uses;
#   4. a taken name's error says what the user can do;
#   5. a name its owner leaves unused for --name-expiry (4 s here) is
#      released and another key can take it, but never a name whose
#      owner is online with it.
. "$top_srcdir/tests/lib.sh"
SIGCLIENT=${SIGCLIENT:-$top_builddir/tests/sigclient}
[ -x "$SIGCLIENT" ] || skip_all "tests/sigclient is not built"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed for free_port"
python3 -c 'import socket; socket.socket().bind(("127.0.7.1", 0))' \
    2>/dev/null || skip_all "cannot bind 127.0.7.1 (all of 127/8 must be loopback)"

PORT=$(free_port)
ADDR=127.0.0.1:$PORT
SLOG=$T/server.log
# (a server that does not know the option, as before names expired, runs
# without it, so that part 5 fails on its checks rather than at start)
xopt=--name-expiry
"$E2CALL" serve --help 2>&1 | grep -q -- --name-expiry || xopt=
"$E2CALL" serve --listen "$ADDR" --db "$T/server.db" ${xopt:+$xopt 4s} \
    2>"$SLOG" &
SPID=$!; PIDS="$PIDS $SPID"
wait_for "$SLOG" "listening on $ADDR" || { not_ok "server starts"; finish; }

# client NAME [sigclient options]: a scripted connection with the key
# NAME.key
client() {
	c=$1; shift
	rm -f "$T/$c.in" "$T/$c.out"; mkfifo "$T/$c.in"
	"$SIGCLIENT" --cmd "$T/$c.in" --key "$T/$c.key" "$@" "$ADDR" \
	    >"$T/$c.out" 2>"$T/$c.err" &
	PIDS="$PIDS $!"
	wait_for "$T/$c.out" "^welcome 1" 10
}
say() { c=$1; shift; timeout 5 sh -c 'echo "$1" > "$2"' sh "$*" "$T/$c.in"; }
# answers NAME N: wait until NAME has N answers to REGISTER
answers() {
	i=50
	while [ "$(grep -c '^registered \|^error ' "$T/$1.out")" -lt "$2" ] &&
	    [ $i -gt 0 ]; do
		sleep 0.1; i=$((i - 1))
	done
}
# normal TAG: 5 pairs (own keys, from 127.0.0.1) register and call
normal() {
	"$SIGCLIENT" --calls 5 --rounds 1 --own-keys --key "$T/users.key" \
	    --prefix "$1" --phase-timeout 10 "$ADDR" >"$T/$1.out" 2>&1
	check "$2: normal users register and call (10 registered, 5 calls)" \
	    sh -c "grep -q '^clients 10 registered 10 failed 0$' '$T/$1.out' &&
	    grep -q '^calls 5 accepted 5 failed 0' '$T/$1.out'"
}

# ---- 1. the quota of names per key ----
client q --src 127.0.7.1
for i in 1 2 3 4 5 6 7 8 9; do
	say q register q$i
	answers q $i
done
n=$(grep -c '^registered q' "$T/q.out")
echo "# 1: one key asked for 9 names: $n registered; $(grep '^error' "$T/q.out" | head -n 1)"
check "1: a key owns at most 8 names ($n of 9)" [ "$n" -eq 8 ]
check "1: the ninth is refused and says why" \
    grep -q '^error limit name=q9 this key has 8 names on this server, the most it may have' "$T/q.out"
normal n1 1

# ---- 2, 4. registrations per key, and what name_taken says ----
client r --src 127.0.7.2
for i in 1 2 3 4 5 6 7 8 1 2 3; do
	say r register q$i
done
answers r 11
taken=$(grep -c '^error name_taken' "$T/r.out")
echo "# 2: one key tried 11 taken names: $taken name_taken; $(grep '^error limit' "$T/r.out" | head -n 1)"
check "2: a key gets 10 registrations of names it does not own ($taken name_taken of 11)" \
    [ "$taken" -eq 10 ]
check "2: the eleventh is refused with when to try again" \
    grep -q '^error limit name=q3 too many registrations for this key (at most 10 an hour); try again in [0-9]* min' "$T/r.out"
check "4: name_taken says what the user can do" \
    grep -q '^error name_taken name=q1 q1 belongs to another key; choose another name (a name its owner leaves unused for 4 s is released)' "$T/r.out"

# ---- 3. registrations per address, with a new key each time ----
"$SIGCLIENT" --calls 15 --rounds 0 --own-keys --key "$T/many.key" \
    --prefix a --src 127.0.7.3 --phase-timeout 10 "$ADDR" >"$T/many.out" 2>&1
client x --src 127.0.7.3
say x register lastone
answers x 1
echo "# 3: 31 keys from one address: $(grep '^clients' "$T/many.out"), then: $(cat "$T/x.out" | grep -v '^server\|^welcome')"
check "3: one address gets 30 registrations an hour, whatever the keys" \
    grep -q '^clients 30 registered 30 failed 0$' "$T/many.out"
check "3: the 31st is refused with when to try again" \
    grep -q '^error limit name=lastone too many registrations from this address (at most 30 an hour); try again in [0-9]* min' "$T/x.out"

# ---- 5. release of unused names ----
client e --src 127.0.7.4
client f --src 127.0.7.4
say e register gone
say f register stay
answers e 1; answers f 1
say e close
sleep 7
client g --src 127.0.7.5
say g register gone
answers g 1
say g register stay
answers g 2
say f ping
echo "# 5: after 7 s: $(grep -v '^server\|^welcome' "$T/g.out" | tr '\n' ';')"
check "5: a name unused for the expiry is released: another key takes it" \
    grep -q '^registered gone$' "$T/g.out"
check "5: a name whose owner stays online is not" \
    grep -q '^error name_taken name=stay' "$T/g.out"
check "5: and its owner is still online with it" \
    sh -c "grep -q '^pong' '$T/f.out' && ! grep -q '^error' '$T/f.out'"
grep -q 'released [0-9]* names' "$SLOG" && echo "# 5: server: $(grep 'released' "$SLOG" | head -n 1 | sed 's/.*serve: //')"
normal n5 5

check "the server is still alive" kill -0 "$SPID"
check "nothing unexpected on the server's stderr" \
    sh -c '! grep -E "error:|Sanitizer|runtime error" "$1"' sh "$SLOG"
finish

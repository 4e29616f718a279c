#!/bin/sh
# Nothing rings before it is authenticated, and a caller that keeps
# abandoning handshakes is turned away (docs/PROTOCOL.md 5.2, 9.4).
#
# A scripted caller (tests/sigclient, registered as mallory) dials bob, a
# real `e2call listen --batch`, with a message 1 of the right size: bob
# answers message 2 at once, as he must.  Then mallory never sends message
# 3, or sends one that does not open: bob must print no "incoming" event,
# only a log line that a call was abandoned, and his screen (the same in
# tmux, part 2) never shows a ring.  After three abandoned handshakes the
# fourth call is refused with REJECT(limit) and bob is told why.  A real
# caller's ring afterwards shows the key state from the first moment.
. "$top_srcdir/tests/lib.sh"
SIGCLIENT=$top_builddir/tests/sigclient
[ -x "$SIGCLIENT" ] || skip_all "tests/sigclient is not built"

start_server || { not_ok "server starts"; finish; }
configure bob
configure alice

# mallory: a scripted connection
rm -f "$T/mal.in"; mkfifo "$T/mal.in"
"$SIGCLIENT" --cmd "$T/mal.in" "$SERVER" >"$T/mal.out" 2>"$T/mal.err" &
PIDS="$PIDS $!"
say() { timeout 5 sh -c 'echo "$1" > "$2"' sh "$*" "$T/mal.in"; }
wait_for "$T/mal.out" '^welcome 1' 10
say register mallory
wait_for "$T/mal.out" '^registered mallory' 10
rhex() { python3 -c "import os,sys; print(os.urandom(int(sys.argv[1])).hex())" "$1"; }

h=$(user_home bob)
rm -f "$T/bob.in"; mkfifo "$T/bob.in"
HOME=$h XDG_CONFIG_HOME=$h/config XDG_DATA_HOME=$h/data E2CALL_HOME= \
    "$E2CALL" listen --batch --audio null <"$T/bob.in" >"$T/bob.out" \
    2>"$T/bob.err" &
BPID=$!
PIDS="$PIDS $BPID"
exec 7>"$T/bob.in"
wait_for "$T/bob.out" '"registered"' 10

no_incoming() { ! grep -q '"event":"incoming"' "$T/bob.out"; }

# 1. message 2 comes back, nothing rings, the caller goes away
say dial 1 bob "$(rhex 64)"
check "a message 1 of the right size gets message 2" \
    wait_for "$T/mal.out" '^ringing 0*1 ' 5
sleep 1
check "no ring while message 3 is missing" no_incoming
say hangup 1 cancelled
check "the abandoned call is a log line" \
    wait_for "$T/bob.out" 'abandoned before it could ring' 5
check "...and still no ring" no_incoming

# 2. a message 3 that does not open (its commit cannot match)
say dial 2 bob "$(rhex 64)"
wait_for "$T/mal.out" '^ringing 0*2 ' 5 >/dev/null
say handshake 2 "$(rhex 96)"
check "a message 3 that does not open is refused" \
    wait_for "$T/mal.out" '^reject 0*2 handshake_failed' 5
check "no ring for it either" no_incoming

# 3. the third one, then the fourth is turned away
say dial 3 bob "$(rhex 64)"
wait_for "$T/mal.out" '^ringing 0*3 ' 5 >/dev/null
say hangup 3 cancelled
wait_for "$T/bob.out" 'abandoned' 5 >/dev/null
n=$(grep -c 'abandoned before it could ring' "$T/bob.out")
check "three abandoned handshakes counted ($n)" [ "$n" -eq 3 ]
say dial 4 bob "$(rhex 64)"
check "the fourth call is refused with limit" \
    wait_for "$T/mal.out" '^reject 0*4 limit' 5
check "bob is told why" wait_for "$T/bob.out" 'turned away a call from mallory' 5
check "no message 2 for it" sh -c '! grep -q "^ringing 0*4 " "$1"' sh "$T/mal.out"
check "no ring at all" no_incoming
exec 7>&-
kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null

# 4. a real caller: the first ring already has the key and fingerprint
rm -f "$T/bob.in"; mkfifo "$T/bob.in"
HOME=$h XDG_CONFIG_HOME=$h/config XDG_DATA_HOME=$h/data E2CALL_HOME= \
    "$E2CALL" listen --batch --audio null <"$T/bob.in" >"$T/bob2.out" \
    2>"$T/bob2.err" &
BPID=$!
PIDS="$PIDS $BPID"
exec 7>"$T/bob.in"
wait_for "$T/bob2.out" '"registered"' 10
as_user_bg alice "$E2CALL" dial bob --batch --audio null --timeout 2 \
    </dev/null >"$T/alice.out" 2>&1 &
APID=$!
PIDS="$PIDS $APID"
check "a real caller rings" wait_for "$T/bob2.out" '"event":"incoming"' 10
first=$(grep -m1 '"event":"incoming"' "$T/bob2.out")
echo "# $first"
check "the first ring has the key state" \
    sh -c 'echo "$1" | grep -q "\"key\":\"new\""' sh "$first"
check "the first ring has the fingerprint" \
    sh -c 'echo "$1" | grep -Eq "\"fingerprint\":\"[a-z2-7]{4}( [a-z2-7]{4}){7}\""' sh "$first"
check "the code comes before the ring" sh -c \
    'c=$(grep -n security_code "$1" | head -n1 | cut -d: -f1); i=$(grep -n "\"incoming\"" "$1" | head -n1 | cut -d: -f1); [ -n "$c" ] && [ "$c" -lt "$i" ]' sh "$T/bob2.out"
echo answer >&7
check "it is answered" wait_for "$T/alice.out" '"answered"' 10
check "and ends normally" wait_for "$T/alice.out" '"ended","reason":"hangup"' 10
exec 7>&-
kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null

# Part 2: the same on the screen, in tmux.
if ! command -v tmux >/dev/null 2>&1; then
	echo "# tmux is not installed: the screen part is not run"
	finish
fi
unset TMUX TMUX_PANE
tm() { tmux -u -f /dev/null -S "$T/tmux.sock" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT INT TERM
screen() { tm capture-pane -p -t "$1"; }
wait_screen() {
	n=$((${3:-10} * 10))
	while [ "$n" -gt 0 ]; do
		screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.1; n=$((n - 1))
	done
	echo "# timeout waiting for /$2/ on screen $1:"
	screen "$1" | sed 's/^/#   /'
	return 1
}
configure carol
hc=$(user_home carol)
cat >"$T/carol.sh" <<EOF
HOME='$hc' XDG_CONFIG_HOME='$hc/config' XDG_DATA_HOME='$hc/data' E2CALL_HOME= LANG=C.UTF-8 LC_ALL=C.UTF-8 '$E2CALL' listen --audio null
exec sleep 600
EOF
tm new-session -d -s c1 -x 100 -y 30 "sh '$T/carol.sh'"
check "screen: carol waits for calls" wait_screen c1 'waiting for calls'
say dial 11 carol "$(rhex 64)"
wait_for "$T/mal.out" '^ringing 0*11 ' 5 >/dev/null
# Watch the screen for a second and a half: never a ring box.
rang=0
i=15
while [ "$i" -gt 0 ]; do
	screen c1 | grep -Eq 'is calling|a answer|r reject|KEY CHANGED' && rang=1
	sleep 0.1; i=$((i - 1))
done
check "screen: no ring box before message 3" [ "$rang" -eq 0 ]
check "screen: still waiting for calls" wait_screen c1 'waiting for calls' 1
check "screen: no bell" [ "$(tm display -p -t c1 '#{window_bell_flag}')" = 0 ]
say hangup 11 cancelled
as_user_bg alice "$E2CALL" dial carol --batch --audio null --timeout 2 \
    </dev/null >"$T/alice2.out" 2>&1 &
PIDS="$PIDS $!"
check "screen: a real caller rings" wait_screen c1 'alice is calling'
check "screen: the ring shows the key state at once" wait_screen c1 'key: new' 1
tm send-keys -t c1 r
check "screen: r rejects" wait_for "$T/alice2.out" '"ended","reason":"rejected","by":"peer"' 10
tm kill-server 2>/dev/null
finish

#!/bin/sh
# What the server's log keeps (docs/PROTOCOL.md 5a.5): at the default log
# level no names of parties, no call ids, no key fingerprints of users and
# no byte or packet counts, while users register, call (signaling only)
# and make a relayed call; with --log-level debug all of that is there,
# so the first check looks for something that would be found.
. "$top_srcdir/tests/lib.sh"
SIGCLIENT=${SIGCLIENT:-$top_builddir/tests/sigclient}
[ -x "$SIGCLIENT" ] || skip_all "tests/sigclient is not built"
for t in python3 sox; do
	command -v $t >/dev/null 2>&1 || skip_all "$t is not installed"
done
sox -n -r 48000 -c 1 -b 16 "$T/tone.wav" synth 1 sine 440 2>/dev/null
# (a server without --log-level, from before it existed, has -v)
dbg=--log-level
"$E2CALL" serve --help 2>&1 | grep -q -- --log-level || dbg=

# activity TAG: 5 pairs register and call, then alice calls bob through
# the relay; then the server is stopped
activity() {
	"$SIGCLIENT" --calls 5 --rounds 1 --own-keys --key "$T/users.key" \
	    --prefix "meta$1" "$SERVER" >"$T/$1.calls" 2>&1
	as_user_bg alice timeout 20 "$E2CALL" listen --batch --auto-answer \
	    --once --relay-only --play "$T/tone.wav" >"$T/$1.a" 2>&1 &
	apid=$!; PIDS="$PIDS $apid"
	wait_for "$T/$1.a" '"registered"' 10
	as_user bob timeout 20 "$E2CALL" dial alice --batch --relay-only \
	    --hangup-on-eof --play "$T/tone.wav" >"$T/$1.b" 2>&1
	wait "$apid"
	sleep 2.5	# the relay ends 2 s after its call
	kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
	cp "$T/server/log" "$T/$1.log"
}
# leaks LOG: the metadata lines in LOG
leaks() {
	grep -E 'meta[a-z]*-[ce][0-9]|alice|bob|[0-9a-f]{16}|bytes|packets|for key' "$1"
}

start_server || { not_ok "server starts"; finish; }
configure alice; configure bob
activity quiet
check "the users' calls went through ($(grep '^calls' "$T/quiet.calls"))" \
    grep -q '^calls 5 accepted 5 failed 0' "$T/quiet.calls"
check "the relayed call went through" grep -q '"ended","reason":"hangup"' "$T/quiet.b"
n=$(leaks "$T/quiet.log" | wc -l)
echo "# default level: $(wc -l <"$T/quiet.log") lines, $n with metadata:"
leaks "$T/quiet.log" | head -n 5 | sed 's/^/#   /'
check "at the default level the log holds no names, call ids or counts ($n lines)" \
    [ "$n" -eq 0 ]

if [ -n "$dbg" ]; then start_server --log-level debug; else start_server -v; fi
configure alice; configure bob
activity debug
n=$(leaks "$T/debug.log" | wc -l)
echo "# debug level: $(wc -l <"$T/debug.log") lines, $n with metadata, e.g.:"
leaks "$T/debug.log" | grep -E 'relay for call|registered' | head -n 2 | sed 's/^/#   /'
check "with --log-level debug they are there ($n lines)" [ "$n" -gt 10 ]
check "nothing unexpected on the server's stderr" \
    sh -c '! grep -E "error:|Sanitizer|runtime error" "$1"/quiet.log "$1"/debug.log' sh "$T"
finish

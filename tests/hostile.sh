#!/bin/sh
# A hostile network: the set-up of tests/impair.sh (server, two batch
# clients with the file backend, media through tests/impair), with the
# proxy replaying, reflecting, truncating, bit-flipping, oversizing,
# retyping, duplicating and injecting datagrams, 3 % each, with the
# delay of tests/impair.sh part 1 (50 ms, jitter 40 ms).  IMPAIR_SEED
# changes the seed (default 11).
# The call must go on to its normal end (bob hangs up when his sentence has
# been sent), speech must still get through both ways, each client must
# count what it dropped and log nothing per packet, and both must exit 0.
#
# Where each hostile datagram lands on the receiving client (media.c
# recv_cb and PROTOCOL 7.6; every one of them is dropped):
#   replay, dup  replayed: the counter was accepted already (or the copy
#                came first, and the original is then the replay);
#   truncate     bad: shorter than 21 bytes, else the tag fails (a
#                truncation to 0 bytes is an empty datagram, not counted);
#   oversize     bad: 1500 bytes do not fit the receive buffer (partial
#                read), and are over 1221 bytes anyway;
#   flip         bad: a type nibble other than 1 and 2 is malformed, a
#                phase nibble is out of reach or the wrong key, anything
#                else fails the tag; replayed when the bit was in the
#                counter and made it one already accepted;
#   wrongtype    bad: types 0 and 3..15 are malformed, and audio retyped as
#                control carries a counter the control window has not
#                seen, so the tag fails; replayed when control retyped as
#                audio carries a counter the audio window has passed;
#   garbage      bad (short, malformed, out-of-reach phase or tag);
#   reflect      the sender's own datagram comes back to it: checked
#                against the window of the other direction, it is replayed
#                when the peer's counter has gone past it and bad (tag:
#                the other direction's key) otherwise.
# So for each client, bad + replayed equals the hostile datagrams that
# reached it while its media ran (the ones still in flight at the hang-up,
# the last 250 ms before its final stats snapshot and empty truncations
# are missing), and replayed is at least replay + dup.
. "$top_srcdir/tests/lib.sh"
command -v espeak-ng >/dev/null || skip_all "espeak-ng not installed (apt-get install espeak-ng)"
command -v sox >/dev/null || skip_all "sox not installed (apt-get install sox)"
IMPAIR="$top_builddir/tests/impair"
WAVCMP="$top_builddir/tests/wavcmp"
[ -x "$IMPAIR" ] || skip_all "tests/impair not built"
THRESH=0.70	# see tests/impair.sh
PCT=3
MODES="replay reflect truncate flip oversize wrongtype garbage"

espeak-ng -w "$T/s1.wav" "The quick brown fox jumps over the lazy dog. Encrypted calls keep their secrets between two people." 2>/dev/null
espeak-ng -v en-us -w "$T/s2.wav" "Seven silver swans swam silently seaward, one, two, three, four, five." 2>/dev/null
sox "$T/s1.wav" -r 48000 -c 1 -b 16 "$T/bob.wav"
sox "$T/s2.wav" -r 48000 -c 1 -b 16 "$T/alice.wav"

start_server || { not_ok "server starts"; finish; }
configure alice; configure bob

final() { sed -n '/"final":true/{s/.*"'"$2"'":\([-0-9.]*\).*/\1/p;q}' "$1"; }
# pst DIRECTION NAME FILE: a counter of the proxy (0 when it wrote none)
pst() { v=$(sed -n "/^$1 /s/.* $2=\([0-9]*\).*/\1/p" "$3"); echo "${v:-0}"; }
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

iopt="--seed ${IMPAIR_SEED:-11} --delay 50 --jitter 40 --dup $PCT"
for m in $MODES; do iopt="$iopt --$m $PCT"; done
echo "# impair $iopt"

PA=$(free_port); PB=$(free_port)
# shellcheck disable=SC2086
"$IMPAIR" --a "$PA" --b "$PB" --stats "$T/impair.stats" $iopt \
	2>"$T/impair.err" &
IPID=$!; PIDS="$PIDS $IPID"
wait_for "$T/impair.err" "ready" 5 || { not_ok "the proxy starts"; finish; }
as_user_bg alice timeout 60 "$E2CALL" listen --batch --auto-answer --once \
	--candidate "127.0.0.1:$PA" --play "$T/alice.wav" \
	--record "$T/alice_heard.wav" </dev/null >"$T/a" 2>"$T/a.err" &
apid=$!; PIDS="$PIDS $apid"
wait_for "$T/a" '"registered"' 10 || { not_ok "alice registers"; finish; }
as_user bob timeout 60 "$E2CALL" dial alice --batch \
	--candidate "127.0.0.1:$PB" --play "$T/bob.wav" \
	--record "$T/bob_heard.wav" --hangup-on-eof </dev/null \
	>"$T/b" 2>"$T/b.err"
brc=$?
wait "$apid"; arc=$?
kill "$IPID"; wait "$IPID"; irc=$?
sed 's/^/# proxy: /' "$T/impair.stats"

check "both clients exit 0 ($arc, $brc)" [ "$arc" -eq 0 -a "$brc" -eq 0 ]
check "the proxy exits 0 on SIGTERM ($irc)" [ "$irc" -eq 0 ]
check "bob hung up at the end of his sentence" grep -q '"input file ended"' "$T/b"
check "bob's call ended with reason hangup, by him" \
	grep -q '"ended","reason":"hangup","by":"local"' "$T/b"
check "alice's call ended with reason hangup, by the peer" \
	grep -q '"ended","reason":"hangup","by":"peer"' "$T/a"
for mode in $MODES dup; do
	na=$(pst to_a "$mode" "$T/impair.stats"); nb=$(pst to_b "$mode" "$T/impair.stats")
	check "the proxy did $mode both ways ($na, $nb)" \
		[ "${na:-0}" -gt 0 -a "${nb:-0}" -gt 0 ]
done

for side in a b; do
	if [ $side = a ]; then
		who=alice dir=to_a other=to_b sent=$T/bob.wav heard=$T/alice_heard.wav
	else
		who=bob dir=to_b other=to_a sent=$T/alice.wav heard=$T/bob_heard.wav
	fi
	f=$T/$side
	bad=$(final "$f" bad); rep=$(final "$f" replayed)
	# hostile datagrams that reached this client: those of its direction,
	# and the reflections of its own datagrams
	hostile=$(($(pst $dir truncate "$T/impair.stats") + $(pst $dir flip "$T/impair.stats") +
	    $(pst $dir oversize "$T/impair.stats") + $(pst $dir wrongtype "$T/impair.stats") +
	    $(pst $dir garbage "$T/impair.stats") + $(pst $dir replay "$T/impair.stats") +
	    $(pst $dir dup "$T/impair.stats") + $(pst $other reflect "$T/impair.stats")))
	copies=$(($(pst $dir replay "$T/impair.stats") + $(pst $dir dup "$T/impair.stats")))
	w=$("$WAVCMP" "$sent" "$heard")
	c=$(echo "$w" | sed 's/.*seg_corr=\([-0-9.]*\).*/\1/')
	errs=$(wc -l <"$f.err")
	logs=$(grep -c '"event":"log"' "$f")
	paths=$(grep -c '"event":"media"' "$f")
	echo "# $who: bad=$bad replayed=$rep (hostile datagrams sent to it: $hostile, of them replay+dup copies: $copies)"
	echo "# $who: played=$(final "$f" played) fec=$(final "$f" fec) concealed=$(final "$f" concealed) late=$(final "$f" late) empty=$(final "$f" empty) loss_pm=$(final "$f" loss_pm) rx_packets=$(final "$f" rx_packets)"
	echo "# $who: $w"
	echo "# $who: stderr lines=$errs, log events=$logs, media path events=$paths"
	check "$who counted dropped datagrams as bad (bad=$bad > 0)" [ "${bad:-0}" -gt 0 ]
	check "$who counted replays (replayed=$rep > 0)" [ "${rep:-0}" -gt 0 ]
	check "$who: bad + replayed = $((bad + rep)) accounts for the $hostile hostile datagrams (90..100 %)" \
		within "$((bad + rep))" "$((hostile * 9 / 10 - 5))" "$hostile"
	check "$who: every replay or duplicate was refused (replayed $rep >= $copies * 0.9)" \
		[ "$((rep * 10))" -ge "$((copies * 9))" ]
	check "$who still heard the sentence (corr $c > $THRESH)" above "$c" "$THRESH"
	check "$who: nothing logged per packet ($errs lines on stderr <= 3)" [ "$errs" -le 3 ]
	check "$who: no log event per packet ($logs <= 5)" [ "$logs" -le 5 ]
	check "$who: no hostile datagram moved the media path ($paths path event)" [ "$paths" -eq 1 ]
	check "$who: playout never ran dry (empty=$(final "$f" empty))" [ "$(final "$f" empty)" = 0 ]
done
finish

#!/bin/sh
# Speech through a real call: a server and two clients on loopback with the
# file audio backend.  An espeak-ng sentence goes in on each side at once;
# each recording must contain what the other side sent (loudness-envelope
# correlation, see tests/wavcmp.c); mute must silence the sender; and no
# captured datagram may carry an encoded Opus frame in the clear.
#
# Threshold: the envelope correlation (second by second, tests/wavcmp.c
# seg_corr) of a sentence with its own recording
# through Opus at 24 kb/s is about 0.95 on this path; a recording of the
# other sentence, or of silence, scores below 0.4.  0.8 separates the two
# with a wide margin on both sides.
. "$top_srcdir/tests/lib.sh"
command -v espeak-ng >/dev/null || skip_all "espeak-ng not installed (apt-get install espeak-ng)"
command -v sox >/dev/null || skip_all "sox not installed (apt-get install sox)"
WAVCMP="$top_builddir/tests/wavcmp"
THRESH=0.80

espeak-ng -w "$T/s1.wav" "The quick brown fox jumps over the lazy dog. Encrypted calls keep their secrets between two people." 2>/dev/null
espeak-ng -v en-us -w "$T/s2.wav" "Seven silver swans swam silently seaward, one, two, three, four, five." 2>/dev/null
sox "$T/s1.wav" -r 48000 -c 1 -b 16 "$T/bob.wav"
sox "$T/s2.wav" -r 48000 -c 1 -b 16 "$T/alice.wav"

start_server || { not_ok "server starts"; finish; }
configure alice; configure bob

capture=""
if [ "$(id -u)" -eq 0 ] && command -v tcpdump >/dev/null; then
	tcpdump -i lo -U -w "$T/wire.pcap" udp >/dev/null 2>"$T/tcpdump.err" &
	TCPDUMP=$!; PIDS="$PIDS $TCPDUMP"; capture=1
	sleep 1
fi

# 1. Both directions at once.
as_user_bg alice timeout 40 "$E2CALL" listen --batch --auto-answer --once \
	--play "$T/alice.wav" --record "$T/alice_heard.wav" \
	--dump-opus "$T/alice.opus" >"$T/a1" 2>"$T/a1.err" &
apid=$!; PIDS="$PIDS $apid"
wait_for "$T/a1" '"registered"' 10
as_user bob timeout 40 "$E2CALL" dial alice --batch \
	--play "$T/bob.wav" --record "$T/bob_heard.wav" --hangup-on-eof \
	--dump-opus "$T/bob.opus" >"$T/b1" 2>"$T/b1.err"
rc=$?
wait $apid; arc=$?
check "speech call: both sides exit 0 ($rc, $arc)" test "$rc" -eq 0 -a "$arc" -eq 0
r1=$("$WAVCMP" "$T/bob.wav" "$T/alice_heard.wav"); echo "# bob -> alice: $r1"
r2=$("$WAVCMP" "$T/alice.wav" "$T/bob_heard.wav"); echo "# alice -> bob: $r2"
r3=$("$WAVCMP" "$T/alice.wav" "$T/alice_heard.wav"); echo "# control (wrong sentence): $r3"
corr() { echo "$1" | sed 's/.*seg_corr=\([-0-9.]*\).*/\1/'; }
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
check "alice heard bob's sentence (corr $(corr "$r1") > $THRESH)" above "$(corr "$r1")" $THRESH
check "bob heard alice's sentence (corr $(corr "$r2") > $THRESH)" above "$(corr "$r2")" $THRESH
check "the wrong sentence does not match (corr $(corr "$r3") < 0.6)" above 0.6 "$(corr "$r3")"
check "no packet failed authentication" sh -c "grep '\"final\":true' '$T/b1' | grep -q '\"bad\":0,'"

if [ -n "$capture" ]; then
	sleep 1; kill $TCPDUMP; wait $TCPDUMP 2>/dev/null
	# Only datagrams between the two clients' media ports count.
	pa=$(json_field "$T/b1" media path | sed 's/.*://'); pb=$(json_field "$T/a1" media path | sed 's/.*://')
	out=$(python3 "$top_srcdir/tests/pcap_search.py" --ports "$pa,$pb" "$T/wire.pcap" "$T/alice.opus" "$T/bob.opus"); prc=$?
	echo "# wire: $out"
	check "the wire checker finds a frame sent in the clear" python3 "$top_srcdir/tests/pcap_search.py" --selftest "$T/bob.opus"
	check "no captured datagram carries a plaintext Opus frame" [ "$prc" -eq 0 ]
	check "the capture saw the media (over 500 datagrams)" sh -c "echo '$out' | awk '{ split(\$2, a, \"=\"); exit !(a[2] > 500) }'"
else
	echo "# SKIP: wire check needs root and tcpdump"
fi

# 2. Mute: bob mutes as soon as the call is answered, unmutes 3 s later.
rm -f "$T/bob.in"; mkfifo "$T/bob.in"
as_user_bg alice timeout 40 "$E2CALL" listen --batch --auto-answer --once \
	--audio file --record "$T/alice_muted.wav" >"$T/a2" 2>&1 &
apid=$!; PIDS="$PIDS $apid"
wait_for "$T/a2" '"registered"' 10
as_user_bg bob timeout 40 "$E2CALL" dial alice --batch --play "$T/bob.wav" \
	--hangup-on-eof <"$T/bob.in" >"$T/b2" 2>&1 &
bpid=$!; PIDS="$PIDS $bpid"
exec 8>"$T/bob.in"
wait_for "$T/b2" '"answered"' 10 && echo mute >&8
sleep 3
echo unmute >&8
wait $bpid; wait $apid
exec 8>&-
check "mute was reported" grep -q '"mute","muted":true' "$T/b2"
rms() { sox "$1" -n trim "$2" "$3" stat 2>&1 | awk '/RMS     amplitude/ { print $3 }'; }
m1=$(rms "$T/alice_muted.wav" 0.5 2); m2=$(rms "$T/alice_muted.wav" 3.5 2.5)
echo "# while muted rms=$m1, after unmute rms=$m2"
check "silence reached the peer while muted (rms $m1 < 0.002)" above 0.002 "$m1"
check "speech reached the peer after unmute (rms $m2 > 0.01)" above "$m2" 0.01
finish

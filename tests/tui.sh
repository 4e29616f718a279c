#!/bin/sh
# The call screen, as a person sees it: programs run inside tmux (a private
# server on its own socket), keys go in with send-keys, the screen comes
# out with capture-pane.
#
# Part 1 drives tests/ui_driver: the real screen code over a fake client
# whose model the test sets, hostile strings included.  Part 2 runs the
# real e2call: a server, batch peers, and a person's screen dialing and
# listening.
. "$top_srcdir/tests/lib.sh"

command -v tmux >/dev/null 2>&1 ||
	skip_all "tmux is not installed (apt-get install tmux)"
DRIVER=$top_builddir/tests/ui_driver
[ -x "$DRIVER" ] || skip_all "tests/ui_driver is not built"
UTF8=C.UTF-8
locale -a 2>/dev/null | grep -qi '^c\.utf-\{0,1\}8$' ||
	skip_all "no C.UTF-8 locale to test the lock glyph with"

unset TMUX TMUX_PANE
LOCK=$(printf '\360\237\224\222')	# U+1F512
ESC=$(printf '\033')
CHECKMARK=$(printf '\342\234\223')	# U+2713
tm() { tmux -u -f /dev/null -S "$T/tmux.sock" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT INT TERM

# pane NAME 'COMMAND': runs COMMAND (sh syntax) in a new 100x30 session.
# Afterwards $T/NAME.rc holds its exit status and $T/NAME.stty.before and
# .after the terminal settings around it; the pane shows EXITED.
pane() {
	cat >"$T/$1.sh" <<EOF
stty -g >"$T/$1.stty.before"
$2
echo \$? >"$T/$1.rc"
stty -g >"$T/$1.stty.after"
echo EXITED
exec sleep 600
EOF
	tm new-session -d -s "$1" -x 100 -y 30 "sh '$T/$1.sh'"
}
screen() { tm capture-pane -p -t "$1"; }
row0() { screen "$1" | head -n 1; }
keys() { tm send-keys -t "$@"; sleep 0.2; }
# wait_screen NAME PATTERN [SECONDS]: until the screen has PATTERN (grep -E)
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
has() { screen "$1" | grep -Eq -- "$2"; }		# has NAME ERE
hasF() { screen "$1" | grep -Fq -- "$2"; }		# hasF NAME STRING
hasnt() { ! screen "$1" | grep -Eq -- "$2"; }
# has_attr NAME ERE [LINE]: the screen with attributes (capture-pane -e)
has_attr() {
	if [ -n "${3:-}" ]; then
		tm capture-pane -e -p -t "$1" | sed -n "${3}p" | grep -Eq -- "$2"
	else
		tm capture-pane -e -p -t "$1" | grep -Eq -- "$2"
	fi
}
hasnt_attr() { ! has_attr "$@"; }
# REV: an SGR sequence that turns reverse video on
REV="$ESC\\[([0-9]+;)*7m"
row_has() { screen "$1" | sed -n "${2}p" | grep -Eq -- "$3"; }	# NAME N ERE
# eventually COMMAND...: COMMAND succeeds within 5 seconds
eventually() {
	n=50
	until "$@"; do
		n=$((n - 1)); [ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}
locks_are() { [ "$(nlocks "$1")" -eq "$2" ]; }		# locks_are NAME N
flag_is() { [ "$(flag "$1" "$2")" = "$3" ]; }		# flag_is NAME FLAG VALUE
nlocks() { screen "$1" | grep -o "$LOCK" | wc -l | tr -d ' '; }
flag() { tm display -p -t "$1" "#{$2}"; }
restored() {	# the terminal is back: main screen, cursor on, same tty modes
	[ "$(flag "$1" alternate_on)" = 0 ] && [ "$(flag "$1" cursor_flag)" = 1 ] &&
	    cmp -s "$T/$1.stty.before" "$T/$1.stty.after"
}
wait_exit() {	# wait_exit NAME [SECONDS]
	n=$((${2:-10} * 10))
	while [ ! -s "$T/$1.rc" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ -s "$T/$1.rc" ]
}

# ---- part 1: the screen over a fake model ----

# drv NAME [ENV...] [-- DRIVER ARGS]: starts the driver in a pane.
drv() {
	n=$1; shift
	: >"$T/$n.ctl"; : >"$T/$n.log"
	e="LANG=$UTF8 LC_ALL=$UTF8"
	a=""
	while [ $# -gt 0 ]; do
		case $1 in --) shift; a="$*"; break ;; *) e="$e $1" ;; esac
		shift
	done
	pane "$n" "env $e '$DRIVER' $a '$T/$n.ctl' '$T/$n.log'"
	wait_for "$T/$n.log" '^ready' 5
}
ctl() { n=$1; shift; printf '%s\n' "$@" >>"$T/$n.ctl"; sleep 0.2; }

drv d1
ctl d1 'me bob' 'server 127.0.0.1:7350' 'peer alice' \
    'fp abcd efgh ijkl mnop qrst uvwx yz23 4567' 'key known' 'outgoing 1' \
    'state ringing_out'
wait_screen d1 'alice \(known\) . ringing'
check "no lock while the model says no e2ee" [ "$(nlocks d1)" -eq 0 ]
ctl d1 'state in_call' 'start 65' 'e2ee 1' 'code 01234 56789 01234 98765' \
    'ev security_code'
wait_screen d1 'in call'
check "one lock once e2ee is set" eventually locks_are d1 1
check "the lock starts the status bar" eventually has d1 "^ $LOCK alice"
check "the call time shows as mm:ss" eventually has d1 '^ .*in call +01:[0-5][0-9] *$'
ctl d1 'stat rtt 42' 'stat loss 17' 'stat jitter 6' 'stat delay 60' \
    'stat tx 24' 'stat rx 23' 'stat bad 5' 'stat replayed 2' \
    'stat concealed 9' 'stat in 0.5' 'ev stats'
wait_screen d1 'RTT 42 ms'
check "figures: loss, jitter, buffer" \
    hasF d1 'loss 1.7% (peer 0.0%)   jitter 6 ms   buffer 60 ms'
check "figures: bitrate" eventually hasF d1 'bitrate tx 24 kb/s  rx 23 kb/s'
check "figures: counters" eventually has d1 'concealed 9 .* bad 5  replayed 2'
check "figures: bad packets stand out" eventually has_attr d1 "bad $ESC\\[[0-9;]*31m5"

check "input level meter at -6 dB" wait_screen d1 'In  \[.*\]  -6 dB'

# The security code and type-back verification.
keys d1 c
check "c shows the code in groups of five" wait_screen d1 '01234 56789 01234 98765'
check "c says what to do" wait_screen d1 'Read these digits to alice; they must see the same code'
keys d1 v
check "v asks for the last group" wait_screen d1 'Type the last five digits'
keys d1 1 2 3 4 5 Enter
check "a wrong group is refused with a message" wait_screen d1 'does not match'
check "a wrong group marks nothing" sh -c "! grep -q verified '$T/d1.log'"
keys d1 9 8 7 Enter
check "a short group is refused" wait_screen d1 'type all five digits'
keys d1 BSpace BSpace BSpace 9 8 7 6 5 Enter
check "the right group calls client_mark_verified" wait_for "$T/d1.log" '^verified$' 3
check "the status bar then shows verified $CHECKMARK" wait_screen d1 "^ $LOCK alice \\(verified $CHECKMARK\\)"

# Mute, device switching, keys that do not apply.
keys d1 m
check "m mutes" wait_for "$T/d1.log" '^mute 1$' 3
check "mute shows on screen" wait_screen d1 'in call  MUTED'
check "the help bar offers unmute" wait_screen d1 ' m unmute '
keys d1 m
check "m again unmutes" wait_for "$T/d1.log" '^mute 0$' 3
keys d1 d b a d Enter Enter
check "d prompts and passes the names to client_switch_audio" wait_for "$T/d1.log" '^switch bad -$' 3
check "a failed switch is shown" wait_screen d1 'switching devices failed: cannot open capture device bad'
keys d1 d Enter p l u g h w : 1 , 0 Enter
check "an empty capture name keeps it" wait_for "$T/d1.log" '^switch - plughw:1,0$' 3
keys d1 '?'
help_complete() {
	for k in 'a  answer' 'r  reject' 'm  mute' 'h  end the call' \
	    'c  show the security code' 'v  verify' 'd  switch ALSA' \
	    '?  show this help' 'q  quit' '^L redraw'; do
		hasF d1 "$k" || { echo "# help lacks '$k'"; return 1; }
	done
}
check "? shows every key with its help" help_complete
keys d1 Escape
check "the help bar lists the keys of this state" wait_screen d1 'm mute  h hang up  c code  v verify  d device  \? help  q quit'
keys d1 a
check "a outside a ring is refused" wait_screen d1 'no call to answer'

# q during a call asks first.
keys d1 q
check "q in a call asks for confirmation" wait_screen d1 'Hang up and quit\? \(y/n\)'
keys d1 n
check "n keeps the call" sh -c "! grep -q '^quit' '$T/d1.log'"
keys d1 q y
check "y quits" wait_for "$T/d1.log" '^quit$' 3
wait_exit d1
check "quit restores the terminal" restored d1
check "ui_free twice is harmless, the loop closes" [ "$(cat "$T/d1.rc")" = 0 ]

# Hostile strings: escape sequences, a fake lock, bidi and C1 controls.
drv d2
ctl d2 'me bob' 'peer al\e[2J\e]0;pwned\x07\xf0\x9f\x94\x92ice' \
    'fp \e[7m\xf0\x9f\x94\x92 fake' 'path \xe2\x80\xaeevil' \
    'note \xc2\x9b2J \xf0\x9f\x94\x92 secure' 'state in_call' \
    'ev log evil \e[2J\e]0;pwned\x07\xf0\x9f\x94\x92 00000 11111 22222 33333' \
    'ev error \e[H\e[5mblink' 'logmsg logged \e]0;pwned\x07\xf0\x9f\x94\x92'
wait_screen d2 'logged'
check "hostile strings: no lock drawn anywhere" [ "$(nlocks d2)" -eq 0 ]
check "hostile strings: the status bar stays (no clear screen)" wait_screen d2 '^ al\?\[2J\?\]0;pwned\?\?ice'
check "hostile strings: escapes shown as ?" wait_screen d2 'evil \?\[2J\?\]0;pwned\?\? 00000'
check "hostile strings: the title was not set" [ "$(flag d2 pane_title)" != pwned ]
check "hostile strings: no reverse video from the peer key" \
    hasnt_attr d2 "Peer key.*$REV"
check "hostile strings: log text via log_msg lands in the pane" wait_screen d2 'logged \?\]0;pwned\?\?'
ctl d2 'e2ee 1'
wait_screen d2 "^ $LOCK al" >/dev/null
check "hostile strings: e2ee draws exactly one lock" eventually locks_are d2 1
ctl d2 quit
wait_exit d2
check "hostile strings: terminal restored" restored d2

# An incoming call, a changed key, the bell.
drv d3
ctl d3 'me bob' 'peer carol' 'fp aaaa bbbb cccc dddd eeee ffff gggg hhhh' \
    'key new' 'state incoming' 'ev incoming'
check "incoming: the ring shows the caller" wait_screen d3 'carol is calling'
check "incoming: the ring shows the key state" wait_screen d3 'key: new'
check "incoming: the bell rang" eventually flag_is d3 window_bell_flag 1
keys d3 c a
check "incoming: a answers (even after the code box)" wait_for "$T/d3.log" '^answer$' 3
ctl d3 'end 1 1'
check "ended: reason in words" wait_screen d3 '^ carol .*ended: hangup \(by peer\)'
ctl d3 'peer dave' 'fp 2222 3333 4444 5555 6666 7777 aaaa bbbb' \
    'oldfp 7777 6666 5555 4444 3333 2222 zzzz yyyy' 'key changed' \
    'outgoing 0' 'state key_held' 'ev incoming' 'ev key_changed'
check "changed key: a loud warning" wait_screen d3 'WARNING: KEY CHANGED'
check "changed key: the old fingerprint" wait_screen d3 'old: 7777 6666 5555 4444 3333 2222 zzzz yyyy'
check "changed key: the new fingerprint" wait_screen d3 'new: 2222 3333 4444 5555 6666 7777 aaaa bbbb'
check "changed key: answering accepts it" wait_screen d3 'a accept and answer   r reject'
check "changed key: in reverse video on the status bar" \
    has_attr d3 "$REV($ESC\\[[0-9;]*m)*KEY CHANGED" 1
keys d3 r
check "changed key: r rejects" wait_for "$T/d3.log" '^reject$' 3
check "changed key: the event log line is loud too" \
    has_attr d3 "$REV($ESC\\[[0-9;]*m)*THE KEY OF dave HAS CHANGED"
ctl d3 'state idle'
keys d3 q
check "q outside a call quits at once" wait_for "$T/d3.log" '^quit$' 3
wait_exit d3

# Glyphs without UTF-8, colors, resizing.
drv d4 LANG=C LC_ALL=C
ctl d4 'peer alice' 'state in_call' 'e2ee 1' 'key verified' 'fp x'
check "LANG=C: [E2EE] instead of the lock" wait_screen d4 '^ \[E2EE\] alice \(verified\) - in call'
check "LANG=C: no lock glyph" [ "$(nlocks d4)" -eq 0 ]
ctl d4 quit
drv d5 -- --ascii
ctl d5 'peer alice' 'state in_call' 'e2ee 1'
check "--ascii: [E2EE] in a UTF-8 locale" wait_screen d5 '^ \[E2EE\] alice'
check "colors without NO_COLOR" eventually has_attr d5 "$ESC\\[[0-9;]*44m" 1
ctl d5 quit
drv d6 NO_COLOR=1
ctl d6 'peer alice' 'state in_call' 'e2ee 1' 'key changed' 'fp x'
wait_screen d6 'in call' >/dev/null
check "NO_COLOR: no color on screen" \
    hasnt_attr d6 "$ESC\\[([0-9]+;)*(3[0-7]|4[0-7])(;[0-9]+)*m"
check "NO_COLOR: the status bar is reverse video" eventually has_attr d6 "^$REV" 1
tm resize-window -t d6 -x 60 -y 14
nrows() { tm capture-pane -p -t "$1" | wc -l | tr -d ' '; }
check "resize: the screen has the new size" eventually eval '[ "$(nrows d6)" -eq 14 ]'
check "resize: the help bar is on row 14" eventually row_has d6 14 '^ m mute  h hang up'
check "resize: the log shrank, not the status" eventually row_has d6 1 'in call'
check "resize: the status bar is intact" eventually has d6 '^ .* alice KEY CHANGED! . in call'
ctl d6 quit

# Every way out restores the terminal.
for how in abort segv exit; do
	drv "x$how"
	ctl "x$how" 'peer alice' 'state in_call' 'e2ee 1' "$how"
	wait_exit "x$how"
	check "$how: terminal restored" restored "x$how"
done
check "abort still dies of SIGABRT" [ "$(cat "$T/xabort.rc")" -eq 134 ]
# (139: killed by SIGSEGV; under ASan its own handler reports and exits 1)
rc=$(cat "$T/xsegv.rc")
check "segv still ends the process, as a failure (got $rc)" [ "$rc" -ne 0 ]
for sig in TERM HUP INT; do
	drv "s$sig"
	ctl "s$sig" 'peer alice' 'state in_call'
	pid=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$T/s$sig.log")
	kill -"$sig" "$pid"
	wait_exit "s$sig"
	check "SIG$sig: client_quit" grep -q '^quit$' "$T/s$sig.log"
	check "SIG$sig: the loop ends normally" [ "$(cat "$T/s$sig.rc")" = 0 ]
	check "SIG$sig: tty restored" restored "s$sig"
done

driver_ok() { ! grep -H '^bad ' "$T"/*.log; }
check "the driver understood every control line" driver_ok

# ---- part 2: the real program ----

if ! "$E2CALL" serve --help >/dev/null 2>&1 ||
    "$E2CALL" dial x 2>&1 | grep -q 'not available in this build'; then
	echo "# e2call has no serve/dial in this build: part 2 skipped"
	finish
fi
start_server || { not_ok "server starts"; finish; }
for u in alice bob; do configure $u; done
uenv() {	# uenv USER: the environment of as_user, for a pane command
	h=$T/$1
	echo "HOME='$h' XDG_CONFIG_HOME='$h/config' XDG_DATA_HOME='$h/data' E2CALL_HOME= LANG=${2:-$UTF8} LC_ALL=${2:-$UTF8}"
}
# listen_bg USER OUT [options]: a batch listener, commands through fd 7
listen_bg() {
	u=$1 out=$2; shift 2
	rm -f "$T/$u.in"; mkfifo "$T/$u.in"
	h=$(user_home "$u")
	HOME=$h XDG_CONFIG_HOME=$h/config XDG_DATA_HOME=$h/data E2CALL_HOME= \
	    "$E2CALL" listen --batch --audio null "$@" \
	    <"$T/$u.in" >"$out" 2>"$out.err" &
	LPID=$!
	PIDS="$PIDS $LPID"
	exec 7>"$T/$u.in"
	wait_for "$out" '"registered"' 10
}
stop_bg() {	# stop_bg PID: TERM, and KILL if that is not enough in 3 s
	kill "$1" 2>/dev/null
	n=30
	while kill -0 "$1" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
dial_bg() {	# dial_bg USER OUT ARGS: a batch dialer; its PID in DPID
	u=$1 out=$2; shift 2
	h=$(user_home "$u")
	HOME=$h XDG_CONFIG_HOME=$h/config XDG_DATA_HOME=$h/data E2CALL_HOME= \
	    "$E2CALL" dial --batch --audio null "$@" </dev/null >"$out" 2>&1 &
	DPID=$!
	PIDS="$PIDS $DPID"
}

# Dialing from the screen: lock only after the handshake, the code,
# verification, mute, hang-up.
listen_bg alice "$T/a1"
pane r1 "env $(uenv bob) '$E2CALL' dial alice --audio null"
wait_for "$T/a1" '"incoming"' 10
check "dial: the screen shows ringing" wait_screen r1 'alice .*ringing'
check "dial: no lock before the answer" [ "$(nlocks r1)" -eq 0 ]
check "dial: no [E2EE] before the answer" hasnt r1 'E2EE'
echo answer >&7
check "dial: in call after the answer" wait_screen r1 "^ $LOCK alice .* in call"
check "dial: exactly one lock" eventually locks_are r1 1
code=$(json_field "$T/a1" security_code code)
echo "# alice's code: $code"
keys r1 c
check "dial: c shows the code the peer printed" wait_screen r1 "$code"
last=${code##* }
wrong=00000; [ "$last" = 00000 ] && wrong=11111
keys r1 v $(echo "$wrong" | sed 's/./& /g') Enter
check "dial: a wrong group is refused" wait_screen r1 'does not match'
bob_verified_alice() {
	as_user bob "$E2CALL" contacts | grep -q '^alice .* verified'
}
bob_not_verified() { ! bob_verified_alice; }
check "dial: contacts not verified after a wrong group" bob_not_verified
keys r1 $(echo "$last" | sed 's/./& /g') Enter
check "dial: the right group verifies" wait_screen r1 "alice \\(verified $CHECKMARK\\)"
check "dial: contacts then show alice verified" bob_verified_alice
keys r1 m
check "dial: mute shows" wait_screen r1 'in call  MUTED'
keys r1 h
check "dial: h ends the peer's call" wait_for "$T/a1" '"ended","reason":"hangup","by":"peer"' 10
check "dial: h ends the dialer" wait_exit r1 10
check "dial: exit status 0" [ "$(cat "$T/r1.rc")" = 0 ]
check "dial: terminal restored" restored r1
check "dial: how it ended stays on the terminal" wait_screen r1 'e2call: call with alice ended: hangup after 00:'
exec 7>&-; stop_bg "$LPID"

# LANG=C: [E2EE]; q in a call asks, y hangs up.
listen_bg alice "$T/a2" --auto-answer
pane r2 "env $(uenv bob C) '$E2CALL' dial alice --audio null"
check "LANG=C: [E2EE] in the status bar" wait_screen r2 '^ \[E2EE\] alice .* in call'
check "LANG=C: no lock glyph" [ "$(nlocks r2)" -eq 0 ]
keys r2 q
check "q in a call asks first" wait_screen r2 'Hang up and quit\?'
keys r2 y
check "y ends the call on both sides" wait_for "$T/a2" '"ended"' 10
check "y: the dialer exits" wait_exit r2 10
check "y: terminal restored" restored r2
exec 7>&-; stop_bg "$LPID"

# Listening on the screen: a ring with the caller and key state; reject.
pane r3 "env $(uenv alice) '$E2CALL' listen --audio null"
check "listen: registered" wait_screen r3 'waiting for calls'
dial_bg bob "$T/b3" alice
check "listen: the ring shows the caller" wait_screen r3 'bob is calling'
check "listen: the ring shows the key state" wait_screen r3 'key: known'
check "listen: the bell rang" eventually flag_is r3 window_bell_flag 1
check "listen: no lock while it rings" [ "$(nlocks r3)" -eq 0 ]
keys r3 r
check "listen: r rejects" wait_for "$T/b3" '"ended","reason":"rejected"' 10
stop_bg "$DPID"
keys r3 q
check "listen: q with no call quits at once" wait_exit r3 10
check "listen: terminal restored" restored r3

# A changed key: alice's contacts say bob had another key (alice's own).
# The warning shows both fingerprints; answering accepts the new key.
idline() { as_user "$1" "$E2CALL" id 2>/dev/null | sed -n "s/^$2: //p"; }
bobpub=$(idline bob 'public key'); bobfp=$(idline bob fingerprint)
oldpub=$(idline alice 'public key'); oldfp=$(idline alice fingerprint)
c=$T/alice/config/e2call/contacts
# NAME PLACE KEY STATUS FIRST-SEEN: the key is the third field
sed "s|^bob \([^ ]*\) [^ ]* |bob \1 $oldpub |" "$c" >"$c.new" && mv "$c.new" "$c"
check "changed key: the contacts file was changed" grep -q "^bob [^ ]* $oldpub " "$c"
pane r4 "env $(uenv alice) '$E2CALL' listen --audio null"
wait_screen r4 'waiting for calls' >/dev/null
dial_bg bob "$T/b4" alice
check "changed key: the warning" wait_screen r4 'WARNING: KEY CHANGED'
check "changed key: old fingerprint shown" wait_screen r4 "old: $oldfp"
check "changed key: new fingerprint shown" wait_screen r4 "new: $bobfp"
check "changed key: answering accepts the key" eventually hasF r4 'a accept and answer'
check "changed key: the bell rang" eventually flag_is r4 window_bell_flag 1
keys r4 a
check "changed key: a answers" wait_for "$T/b4" '"answered"' 10
check "changed key: in call with the lock" wait_screen r4 "^ $LOCK bob .* in call"
check "changed key: the new key is pinned" grep -q "^bob [^ ]* $bobpub " "$c"
keys r4 h
check "listen: h hangs up" wait_for "$T/b4" '"ended","reason":"hangup","by":"peer"' 10
check "listen: waits for the next call" wait_screen r4 'ended: hangup'
stop_bg "$DPID"
keys r4 q
check "listen: q quits" wait_exit r4 10
check "listen: exit status 0" [ "$(cat "$T/r4.rc")" = 0 ]
finish

#!/bin/sh
# The ALSA backend in real time without a sound card: a private PulseAudio
# daemon with a null sink, reached through ALSA's pulse plugin from an
# asoundrc written here.  tests/audio_loop plays speech into the sink
# through the backend's playback while the backend's capture records the
# sink's monitor; the capture must contain the speech (cross-correlation),
# the run must take real time, and xruns must be counted and survived.
. "$top_srcdir/tests/lib.sh"

LOOP=$top_builddir/tests/audio_loop
[ -x "$LOOP" ] || skip_all "tests/audio_loop not built"
for c in pulseaudio parec pactl espeak-ng sox; do
	command -v "$c" >/dev/null 2>&1 ||
	    skip_all "$c is missing (apt-get install pulseaudio pulseaudio-utils espeak-ng sox)"
done
plugin=""
for d in "$(pkg-config --variable=libdir alsa 2>/dev/null)/alsa-lib" \
    /usr/lib/*/alsa-lib /usr/lib/alsa-lib /usr/lib64/alsa-lib; do
	[ -f "$d/libasound_module_pcm_pulse.so" ] && plugin=$d && break
done
[ -n "$plugin" ] ||
    skip_all "ALSA's pulse plugin is missing (apt-get install libasound2-plugins)"

# A private daemon: its own runtime, state and home directories, a unix
# socket in the test directory, anonymous access.  As root pulseaudio only
# warns ("not intended to be run as root") with --system=false.
P=$T/pa
mkdir -p "$P/run" "$P/state" "$T/home"
chmod 700 "$P/run"
SOCK=$P/native
[ ${#SOCK} -lt 100 ] || skip_all "socket path too long: $SOCK"
cat >"$P/default.pa" <<EOF
load-module module-null-sink sink_name=e2sink rate=48000 channels=1
load-module module-native-protocol-unix socket=$SOCK auth-anonymous=1
EOF
printf 'autospawn = no\n' >"$P/client.conf"
HOME=$T/home XDG_RUNTIME_DIR=$P/run PULSE_RUNTIME_PATH=$P/run
PULSE_STATE_PATH=$P/state PULSE_SERVER=unix:$SOCK
PULSE_CLIENTCONFIG=$P/client.conf
export HOME XDG_RUNTIME_DIR PULSE_RUNTIME_PATH PULSE_STATE_PATH PULSE_SERVER \
    PULSE_CLIENTCONFIG
unset ALSA_CONFIG_PATH DISPLAY

pulseaudio -n --daemonize=no --exit-idle-time=-1 --system=false \
    --use-pid-file=no --disallow-exit=yes -F "$P/default.pa" \
    --log-target=file:"$P/log" >"$P/out" 2>&1 &
PA_PID=$!
PIDS="$PIDS $PA_PID"
n=50
until pactl info >/dev/null 2>"$P/pactl.err"; do
	n=$((n - 1))
	if [ "$n" -le 0 ] || ! kill -0 "$PA_PID" 2>/dev/null; then
		sed 's/^/# /' "$P/out" "$P/log" 2>/dev/null | tail -n 15
		why=$(grep -h '^E:' "$P/out" "$P/log" 2>/dev/null | head -n 1)
		[ -n "$why" ] || why=$(cat "$P/out" "$P/log" 2>/dev/null | tail -n 1)
		if kill -0 "$PA_PID" 2>/dev/null; then
			skip_all "the private pulseaudio daemon did not answer \"pactl info\" in 5 s ($(head -n 1 "$P/pactl.err")): ${why:-it logged nothing}"
		fi
		skip_all "the private pulseaudio daemon did not start: ${why:-it logged nothing}"
	fi
	sleep 0.1
done

# An idle null sink renders in 2 s blocks and only shortens them when the
# block ends, so a stream arriving at an idle sink waits up to 2 s.  A
# low-latency reader of the monitor, started first, keeps it short.
parec --latency-msec=10 -d e2sink.monitor --raw >/dev/null 2>&1 &
PIDS="$PIDS $!"

cat >"$HOME/.asoundrc" <<EOF
pcm.e2play {
	type pulse
	server "unix:$SOCK"
	device "e2sink"
	handle_underrun true
	hint { show on description "e2call test sink" }
}
pcm.e2mon {
	type pulse
	server "unix:$SOCK"
	device "e2sink.monitor"
	hint { show on description "e2call test monitor" }
}
pcm.!default { type pulse server "unix:$SOCK" }
ctl.!default { type pulse server "unix:$SOCK" }
EOF

espeak-ng -w "$T/speech.wav" "The quick brown fox jumps over the lazy dog. \
Encrypted calls from a terminal." 2>"$T/espeak.err" ||
    skip_all "espeak-ng cannot speak here: $(head -n 1 "$T/espeak.err")"
sox "$T/speech.wav" -r 48000 -c 1 -b 16 "$T/in.wav"
dur=$(soxi -D "$T/in.wav")
sleep 2	# the keep-alive reader gets the sink out of its idle block

# field NAME FILE: the value of NAME=... in a result line
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2" | head -n 1; }
# within X LO HI: LO <= X <= HI (decimals allowed)
within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
# rms FILE START LEN: sox's RMS amplitude of a stretch
rms() { sox "$1" -n trim "$2" "$3" stat 2>&1 | awk '/RMS +amplitude/ { print $3 }'; }

# ---- 1: 20 ms frames, speech after 0.5 s of silence ----
secs=$(awk -v d="$dur" 'BEGIN { printf "%.1f", d + 1.5 }')
"$LOOP" -f 20 -c e2mon -p e2play -i "$T/in.wav" -o "$T/out20.wav" -d 0.5 \
    -t "$secs" >"$T/r1" 2>"$T/e1"
rc=$?
sed 's/^/# /' "$T/r1" "$T/e1"
check "20 ms: the loop ran and closed cleanly" [ "$rc" -eq 0 ]
el=$(field elapsed_ms "$T/r1")
cap=$(field captured "$T/r1")
play=$(field played "$T/r1")
cpu=$(field cpu_ms "$T/r1")
xr=$(field xruns "$T/r1")
want=$(awk -v s="$secs" 'BEGIN { print s * 50 }')
check "20 ms: took real time ($el ms for ${secs} s)" \
    within "$el" "$(awk -v s="$secs" 'BEGIN { print s * 1000 - 20 }')" \
    "$(awk -v s="$secs" 'BEGIN { print s * 1000 + 500 }')"
check "20 ms: captured frames keep time ($cap of $want)" \
    within "$cap" "$(awk -v w="$want" 'BEGIN { print w * 0.9 }')" "$((want + 2))"
check "20 ms: played frames keep time ($play of $want)" \
    within "$play" "$(awk -v w="$want" 'BEGIN { print w * 0.9 }')" "$((want + 6))"
check "20 ms: no busy loop (cpu $cpu ms)" \
    within "$cpu" 0 "$(awk -v e="$el" 'BEGIN { print e * 0.3 }')"
check "20 ms: xruns are reported (xruns=$xr)" within "${xr:--1}" 0 1000000
"$LOOP" -x "$T/in.wav" "$T/out20.wav" >"$T/x1"
sed 's/^/# /' "$T/x1"
corr=$(field corr "$T/x1")
lag=$(field lag_ms "$T/x1")
check "20 ms: the capture is the speech (corr $corr at lag $lag ms)" \
    within "${corr:-0}" 0.5 1.01
check "20 ms: lag = 0.5 s lead-in + device latency ($lag ms)" \
    within "${lag:-0}" 450 1000
quiet=$(rms "$T/out20.wav" 0 0.3)
loud=$(rms "$T/out20.wav" 0.5 "$dur")
echo "# rms: lead-in $quiet, speech $loud"
check "20 ms: speech energy well above the silent lead-in" \
    awk -v q="${quiet:-1}" -v l="${loud:-0}" 'BEGIN { exit !(l > 0.02 && l > 20 * q) }'

# ---- 2: 10 ms frames; devices switched at 1 s, speech from 1.5 s ----
secs=$(awk -v d="$dur" 'BEGIN { printf "%.1f", d + 2.5 }')
"$LOOP" -f 10 -c e2mon -p e2play -i "$T/in.wav" -o "$T/out10.wav" -d 1.5 \
    -s 1.0 -t "$secs" >"$T/r2" 2>"$T/e2"
rc=$?
sed 's/^/# /' "$T/r2" "$T/e2"
check "10 ms: ran, switch reopened both devices" \
    sh -c "[ $rc -eq 0 ] && grep -q 'switch=ok' '$T/r2'"
cap=$(field captured "$T/r2")
want=$(awk -v s="$secs" 'BEGIN { print s * 100 }')
check "10 ms: captured frames keep time across the switch ($cap of $want)" \
    within "$cap" "$(awk -v w="$want" 'BEGIN { print w * 0.85 }')" "$((want + 2))"
"$LOOP" -x "$T/in.wav" "$T/out10.wav" >"$T/x2"
sed 's/^/# /' "$T/x2"
corr=$(field corr "$T/x2")
lag=$(field lag_ms "$T/x2")
check "10 ms: speech captured after the switch (corr $corr at lag $lag ms)" \
    within "${corr:-0}" 0.5 1.01
check "10 ms: it is the speech played after the switch (lag $lag ms)" \
    within "${lag:-0}" 1000 2000

# ---- 3: the loop blocked for 300 ms: xruns counted, audio goes on ----
"$LOOP" -f 20 -c e2mon -p e2play -i "$T/in.wav" -o "$T/outk.wav" -k 1.0 \
    -t 3 >"$T/r3" 2>"$T/e3"
rc=$?
sed 's/^/# /' "$T/r3" "$T/e3"
xr=$(field xruns "$T/r3")
cap=$(field captured "$T/r3")
check "stall: ran and closed cleanly" [ "$rc" -eq 0 ]
check "stall: xruns counted (xruns=$xr)" within "${xr:-0}" 1 100
check "stall: capture recovered ($cap frames in 3 s)" within "${cap:-0}" 115 152
tail_rms=$(rms "$T/outk.wav" 2.0 1.0)
check "stall: speech still captured after the stall (rms $tail_rms)" \
    awk -v l="${tail_rms:-0}" 'BEGIN { exit !(l > 0.02) }'

# ---- e2call devices lists what ALSA knows ----
if "$E2CALL" devices >"$T/dev" 2>"$T/deverr"; then
	check "devices: lists the test monitor as capture device" \
	    sh -c "sed -n '/^Capture/,/^\$/p' '$T/dev' | grep -q 'e2mon'"
	check "devices: shows descriptions" grep -q "e2call test sink" "$T/dev"
	if [ ! -e /proc/asound/cards ] ||
	    grep -q "no soundcards" /proc/asound/cards; then
		check "devices: says there is no sound card" \
		    grep -q "No sound card" "$T/dev"
		check "devices: offers --audio file and null" \
		    sh -c "grep -q -- '--audio file' '$T/dev' && grep -q -- '--audio null' '$T/dev'"
	fi
else
	not_ok "e2call devices failed: $(cat "$T/deverr")"
fi
"$E2CALL" devices extra >/dev/null 2>&1
check "devices: an extra argument is a usage error" [ $? -eq 2 ]
finish

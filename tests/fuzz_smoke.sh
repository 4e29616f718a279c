#!/bin/sh
# Every libFuzzer target (tests/fuzz/) runs briefly on its seed corpus
# and must neither crash nor leak.  Uses the targets of this build when it
# is configured with --enable-fuzzing; otherwise builds them with clang in
# a private directory.  SKIP without clang or its libFuzzer runtime.
# FUZZ_SMOKE_SECONDS sets the time per target (default 4).
. "$top_srcdir/tests/lib.sh"

targets="frame sigmsg noise mpkt jbuf conf pins call wav stun relay"
secs=${FUZZ_SMOKE_SECONDS:-4}
cc=${FUZZ_CC:-clang}

command -v "$cc" >/dev/null 2>&1 ||
	skip_all "$cc not found (Debian: apt-get install clang libclang-rt-14-dev)"
cat >"$T/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return 0; }
EOF
"$cc" -fsanitize=fuzzer,address,undefined "$T/probe.c" -o "$T/probe" \
    >"$T/probe.log" 2>&1 ||
	skip_all "$cc cannot link -fsanitize=fuzzer (Debian: apt-get install libclang-rt-14-dev): $(head -n 1 "$T/probe.log")"

if grep -q '^FUZZ_TARGETS =' "$top_builddir/Makefile" 2>/dev/null &&
    [ -x "$top_builddir/tests/fuzz/fuzz_frame" ]; then
	bin=$top_builddir/tests/fuzz
	echo "# using the targets in $bin"
else
	echo "# building the targets with $cc in a private directory"
	mkdir -p "$T/build"
	if ! (cd "$T/build" &&
	    "$top_srcdir/configure" -q CC="$cc" --enable-fuzzing \
	    --disable-werror >"$T/configure.log" 2>&1 &&
	    make -s -j2 fuzz-targets >"$T/make.log" 2>&1); then
		sed 's/^/#   /' "$T/configure.log" "$T/make.log" 2>/dev/null |
		    tail -n 30
		not_ok "build the fuzz targets"
		finish
	fi
	ok "build the fuzz targets"
	bin=$T/build/tests/fuzz
fi

# Runs one target: new inputs go to a scratch directory, the seeds are
# only read.
run_target() {
	t=$1
	mkdir -p "$T/$t/new" "$T/$t/art"
	(cd "$T/$t" && "$bin/fuzz_$t" -seed=1 -max_total_time="$secs" \
	    -runs=20000 -max_len=4096 -timeout=20 -print_final_stats=1 \
	    -artifact_prefix="$T/$t/art/" "$T/$t/new" \
	    "$top_srcdir/tests/fuzz/corpus/$t" >"$T/$t/log" 2>&1)
	echo $? >"$T/$t/status"
}

# Two at a time.
set -- $targets
while [ $# -gt 0 ]; do
	run_target "$1" &
	p1=$!
	p2=
	if [ $# -gt 1 ]; then
		run_target "$2" &
		p2=$!
		shift
	fi
	shift
	wait "$p1"
	[ -z "$p2" ] || wait "$p2"
done

for t in $targets; do
	st=$(cat "$T/$t/status" 2>/dev/null || echo '?')
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$t/log")
	nart=$(find "$T/$t/art" -type f | wc -l)
	if [ "$st" = 0 ] && [ "$nart" -eq 0 ] && [ -n "$runs" ] &&
	    [ "$runs" -gt 0 ]; then
		ok "fuzz_$t: $runs runs, no crash, no leak"
	else
		grep -E 'ERROR|invariant|SUMMARY|^#[0-9]+ .*(crash|leak)' \
		    "$T/$t/log" | head -n 20 | sed 's/^/#   /'
		for a in "$T/$t"/art/*; do
			[ -f "$a" ] && echo "#   input (base64): $(base64 -w0 "$a" | head -c 400)"
		done
		not_ok "fuzz_$t: exit $st, ${runs:-no} runs, $nart crash/leak inputs"
	fi
done
finish

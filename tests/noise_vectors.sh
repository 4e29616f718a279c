#!/bin/sh
# Runs the Noise test-vector program on every JSON file in
# $NOISE_VECTORS_DIR (the standard vectors; SKIP when absent) and on the
# copy kept in tests/vectors.
. "$top_srcdir/tests/lib.sh"
ran=0
for dir in "${NOISE_VECTORS_DIR:-}" "$top_srcdir/tests/vectors"; do
	[ -n "$dir" ] && [ -d "$dir" ] || { echo "# SKIP: vector directory '$dir' not present"; continue; }
	for f in "$dir"/*.json; do
		[ -f "$f" ] || continue
		ran=1
		check "vectors in $f" "$top_builddir/tests/noise_vectors" "$f"
	done
done
[ "$ran" -eq 1 ] ||
	skip_all "no Noise vector files (*.json) in '${NOISE_VECTORS_DIR:-}' or $top_srcdir/tests/vectors"
finish

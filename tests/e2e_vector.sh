#!/bin/sh
# Runs tests/e2e_vector.py, an independent implementation of the end-to-end
# handshake written from docs/PROTOCOL.md, on docs/PROTOCOL.md: every value
# the document publishes for the handshake (5.1.1, 5.1.6, 6.2, ...) must be
# what its text says to compute.
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 not found"
vector() {
	python3 "$top_srcdir/tests/e2e_vector.py" "$top_srcdir/docs/PROTOCOL.md" \
		>"$T/tap" 2>&1
	rc=$?
	sed 's/^/#   /' "$T/tap"
	return $rc
}
check "the handshake values of docs/PROTOCOL.md, computed independently" vector
finish

#!/bin/sh
# run_fuzz.sh: the ctest tests fuzz_blob (registered by tests/blob.cmake)
# and fuzz_ccshim (tests/ccshim.cmake).
#
#   run_fuzz.sh FUZZER SECONDS SEED_DIR DICT [EXTRA_SEED...]
#   run_fuzz.sh --skip REASON
#
# 1. Every seed (each committed file in SEED_DIR, and each EXTRA_SEED that
#    exists) is run once with PYWELD_FUZZ_EXPECT_VALID=1: each must be valid
#    input and keep every promise the fuzzer checks.  fuzz_blob's seeds are
#    blobs of format version 4 (runtime/blob.h) written by pyweld's packer or
#    by make_seeds.py, plus a real build's modules.blob as EXTRA_SEED: each
#    must be accepted by rt_blob_check as it is (its index checksum right)
#    and every entry's payloads must have their checksum (rt_blob_verify).
#    fuzz_ccshim's are real command lines written by make_ccshim_seeds.py:
#    each must classify without an error.
# 2. libFuzzer runs for SECONDS from the committed seeds, in a fresh
#    temporary directory; a crash keeps the directory (the crashing input is
#    in artifacts/, replay it with `FUZZER FILE`) and fails the test.
#
# Exit: 0 passed, 1 failed, 77 skipped (clang or its libFuzzer missing; the
# reason is printed).
set -u

if [ "${1-}" = "--skip" ]; then
	echo "SKIP: ${2-the fuzzer was not built}"
	exit 77
fi
if [ $# -lt 4 ]; then
	echo "usage: run_fuzz.sh FUZZER SECONDS SEED_DIR DICT [EXTRA_SEED...]" >&2
	exit 2
fi
fuzzer=$1 seconds=$2 seeds=$3 dict=$4
shift 4
if [ ! -x "$fuzzer" ]; then
	echo "FAIL: the fuzzer '$fuzzer' was not built"
	exit 1
fi

name=$(basename "$fuzzer")
work=$(mktemp -d "${TMPDIR:-/tmp}/pyweld-$name-XXXXXX") || exit 1
mkdir "$work/corpus" "$work/artifacts" "$work/seeds"

# The small seeds, and the extra ones given (those only for phase 1: a real
# standard-library blob is megabytes, too large to mutate at speed).
n=0
for f in "$seeds"/*; do
	[ -f "$f" ] || continue
	cp "$f" "$work/seeds/" && n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "FAIL: no seeds in '$seeds'"
	exit 1
fi
set -- "$work"/seeds/* "$@"
valid=""
for f in "$@"; do
	if [ -f "$f" ]; then
		valid="$valid $f"
	else
		echo "note: no seed at '$f' (the fixture that makes it did not run): only the committed seeds"
	fi
done

echo "phase 1: every seed is valid and keeps its promises"
# shellcheck disable=SC2086
if ! PYWELD_FUZZ_EXPECT_VALID=1 "$fuzzer" -error_exitcode=1 $valid >"$work/seeds.log" 2>&1; then
	cat "$work/seeds.log"
	echo "FAIL: a seed was refused or broke a promise; kept: $work"
	exit 1
fi
for f in $valid; do
	echo "  ok $(basename "$f") ($(wc -c <"$f") bytes)"
done

echo "phase 2: fuzzing for $seconds s from $n seeds"
"$fuzzer" -max_total_time="$seconds" -error_exitcode=1 -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-dict="$dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
	"$work/corpus" "$work/seeds" >"$work/fuzz.log" 2>&1
rc=$?
grep -E '^(INFO: Seed|#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' \
	"$work/fuzz.log"
if [ "$rc" -ne 0 ] || [ -n "$(ls "$work/artifacts")" ]; then
	tail -n 60 "$work/fuzz.log"
	echo "FAIL: the fuzzer exited $rc; its log and the crashing input are kept in $work"
	echo "      replay: $fuzzer $work/artifacts/<file>"
	exit 1
fi
echo "corpus grew to $(ls "$work/corpus" | wc -l) inputs"
rm -rf "$work"
exit 0

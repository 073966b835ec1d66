#!/bin/sh
# prepare-python.sh: the Python side of pyweld's integration tests.
#
# Creates a virtual environment with the pinned build back ends of
# tests/python-requirements.txt (hash-checked, wheels only) and downloads the
# pinned sdists of tests/python-sdists.txt (hash-checked).  Idempotent: a
# stamp keyed by the requirement files, this script and the interpreter makes
# a second run a no-op.
#
#   PYWELD_TEST_PYTHON  interpreter the venv is made from (default: python3;
#                       later pyweld's own CPython build)
#   PYWELD_TEST_CACHE   where it all goes (default: ~/.cache/pyweld/test):
#                       venv/ and sdists/
#
# Prints the venv's python on its last line.  Exit status 0, or 1 with a
# message that says what failed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
py=${PYWELD_TEST_PYTHON:-python3}
cache=${PYWELD_TEST_CACHE:-${HOME:?}/.cache/pyweld/test}
reqs=$here/python-requirements.txt
sdist_reqs=$here/python-sdists.txt
venv=$cache/venv
sdists=$cache/sdists

die() { echo "prepare-python: error: $*" >&2; exit 1; }

# Nothing of a pyweld build in progress may leak in: reading psutil's
# metadata runs its setup.py, which compiles a probe with $CC or cc on PATH.
unset CC CXX LD AR RANLIB LDSHARED LDCXXSHARED CFLAGS CXXFLAGS LDFLAGS CPPFLAGS \
	PYWELD_DB PYWELD_BUILD PYWELD_SHIM_DIR PYWELD_STRICT 2>/dev/null || true
clean_path=
old_ifs=$IFS
IFS=:
for d in $PATH; do
	[ -n "$d" ] && [ ! -f "$d/pyweld-shim.conf" ] && clean_path=${clean_path:+$clean_path:}$d
done
IFS=$old_ifs
PATH=$clean_path
export PATH

command -v "$py" >/dev/null 2>&1 || die "no interpreter '$py' (set PYWELD_TEST_PYTHON)"
mkdir -p "$cache" || die "cannot create '$cache'"

# One preparation at a time per cache (ctest may start two builds' fixtures).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
fi

# The key: what we install, how, and with which interpreter.
interp=$("$py" -c 'import sys, platform; print(sys.executable, platform.python_version(), sys.implementation.cache_tag)') \
	|| die "'$py' does not run"
key=$( { cat "$reqs" "$sdist_reqs" "$0"; echo "$interp"; } | sha256sum | cut -d' ' -f1)

# The sdists listed with their hashes: "name version hash" per line.
sdist_list() {
	awk '/^[A-Za-z0-9_.-]+==/ { split($1, a, "=="); n = a[1]; v = a[2] }
	     /--hash=sha256:/ { sub(/.*--hash=sha256:/, ""); print n, v, $1 }' "$sdist_reqs"
}

# 0 when every sdist is present with its hash.
sdists_ok() {
	sdist_list | while read -r name version hash; do
		found=
		for f in "$sdists"/*.tar.gz "$sdists"/*.zip; do
			[ -f "$f" ] || continue
			if [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$hash" ]; then
				found=$f
				break
			fi
		done
		[ -n "$found" ] || { echo "missing $name $version" >&2; return 1; }
	done
}

if [ -f "$venv/.pyweld-stamp" ] && [ "$(cat "$venv/.pyweld-stamp")" = "$key" ] &&
   [ -x "$venv/bin/python" ] && sdists_ok 2>/dev/null; then
	echo "prepare-python: up to date ($cache)"
	echo "$venv/bin/python"
	exit 0
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
# A user's pip configuration may point at a mirror; keep it, but never let
# it turn hash checking or binary-only off.
unset PIP_NO_BINARY PIP_ONLY_BINARY PIP_REQUIRE_HASHES PIP_NO_DEPS 2>/dev/null || true

if ! [ -f "$venv/.pyweld-stamp" ] || [ "$(cat "$venv/.pyweld-stamp")" != "$key" ]; then
	echo "prepare-python: creating '$venv' from $interp"
	rm -rf "$venv"
	"$py" -m venv "$venv" || die "cannot create the venv '$venv'"
	# Every package, its dependencies too, must be pinned with a hash.
	"$venv/bin/python" -m pip install --quiet --require-hashes --only-binary :all: \
		-r "$reqs" || die "cannot install the build back ends of '$reqs'"
	"$venv/bin/python" -m pip check || die "the venv's packages are inconsistent"
fi

if ! sdists_ok 2>/dev/null; then
	echo "prepare-python: downloading the sdists of '$sdist_reqs'"
	mkdir -p "$sdists"
	# --no-build-isolation: reading an sdist's metadata uses the pinned
	# setuptools just installed, nothing unpinned.
	"$venv/bin/python" -m pip download --quiet --require-hashes --no-deps \
		--no-binary :all: --no-build-isolation -d "$sdists" -r "$sdist_reqs" \
		|| die "cannot download the sdists of '$sdist_reqs'"
	sdists_ok || die "the sdists in '$sdists' do not match '$sdist_reqs'"
fi

echo "$key" >"$venv/.pyweld-stamp.tmp"
mv "$venv/.pyweld-stamp.tmp" "$venv/.pyweld-stamp"
echo "prepare-python: ready ($cache)"
echo "$venv/bin/python"

#!/usr/bin/env bash
# A thin archive (ar T, as meson makes for internal static libraries) holds
# only its members' paths, and the build deletes the members: the shim must
# record a regular archive with the members' bytes, for the archive record
# and for a link that reads it through -L/-l.
# usage: ccshim_thin_archive.sh BINDIR
set -u
bin=$(cd "$1" && pwd) || exit 1
dir=$(mktemp -d "${TMPDIR:-/tmp}/ccshim_thin.XXXXXX")
fail() { echo "FAIL: $*"; echo "left in '$dir'"; exit 1; }
cd "$dir" || exit 1
export PATH=/usr/bin:/bin
cat > a.c <<'C'
int helper_a(int x) { return x + 1; }
C
cat > b.c <<'C'
int helper_b(int x) { return x * 2; }
C
cat > m.c <<'C'
int helper_a(int), helper_b(int);
int PyInit_thinmod(void) { return helper_a(helper_b(1)); }
C
eval "$("$bin/pyweld" env --db "$dir/t.linkdb")" || fail "pyweld env"
export PYWELD_STRICT=1
cc -fPIC -c a.c -o a.o && cc -fPIC -c b.c -o b.o || fail "compile"
ar csrT libh.a a.o b.o || fail "ar T"
[ "$(head -c 7 libh.a)" = '!<thin>' ] || fail "ar T did not make a thin archive"
cc -fPIC -c m.c -o m.o && cc -shared m.o -L. -lh -o thinmod.so || fail "link"
rm -f a.o b.o                                   # the build cleans up
json=$("$bin/pyweld" db show link:1 --json) || fail "db show"
hash=$(printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
arch = [i for i in d["input"] if i["kind"] == "archive"]
assert len(arch) == 1 and arch[0]["value"] == "h", arch
print(arch[0]["object"])') || fail "the link has no archive input for -lh: $json"
store=$("$bin/pyweld" db info --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["store"])')
f="$store/${hash:0:2}/$hash"
[ "$(head -c 8 "$f")" = '!<arch>' ] || fail "the stored archive is not a regular one: $(head -c 8 "$f")"
members=$(ar t "$f" | tr '\n' ' ')
[ "$members" = "a.o b.o " ] || fail "stored members: '$members'"
nm "$f" | grep -q ' T helper_a' && nm "$f" | grep -q ' T helper_b' || fail "the members' code is not stored"
rec=$("$bin/pyweld" db archives --json | python3 -c 'import json,sys; a=json.load(sys.stdin); print(a[-1]["object"])')
[ "$rec" = "$hash" ] || fail "the ar record stores $rec, the link $hash"
"$bin/pyweld" db check >/dev/null || fail "db check"
rm -rf "$dir"
echo "ok: thin archive recorded as a regular one (members a.o b.o)"

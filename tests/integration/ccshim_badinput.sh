#!/bin/bash
# ccshim_badinput.sh BINDIR: the wrapper compiler on bad input.
#
# BINDIR holds the built `pyweld` and `pyweld-cc`.  Each case runs in its
# own temporary directory with a scrubbed environment (env -i with PATH,
# HOME, TMPDIR and what the case sets), the way a build would reach the
# shims after `eval "$(pyweld env --db X)"`, and asserts exit codes and
# messages:
#   a  a missing real compiler: the shim fails like the missing compiler,
#      naming it; `pyweld env` refuses a $CC that does not exist
#   b  a shim loop: a configured real tool that is the shim itself is
#      skipped with a warning and the compile succeeds; two shim directories
#      that name each other through different pyweld-cc binaries stop with
#      an error instead of running for ever
#   c  an unreadable @file: the real compiler's error and exit status, and a
#      warning that nothing was recorded; a readable one with quotes and
#      spaces is recorded
#   d  a read-only database (as an unprivileged user): the build succeeds
#      with a warning; PYWELD_STRICT=1 turns it into an error
#   e  argv with invalid UTF-8: recorded, and `pyweld db ... --json` stays
#      valid JSON
#   f  pyweld-cc run by its own name: usage, exit 2
#   g  a shim with no configuration beside it: a warning, the real tool,
#      nothing recorded
#   h  a compile error: the compiler's own status and messages, unrecorded
# A failing case leaves its directory in place and prints its path.
# Exit 0 when every case passed, 1 when one failed, 77 (skip) only when
# there is no C compiler at all.

# Messages quote $CC and $(...) literally; as_user is called through run.
# shellcheck disable=SC2016,SC2317
set -u

if [ $# -ne 1 ]; then
	echo "usage: ccshim_badinput.sh BINDIR" >&2
	exit 2
fi
BIN=$(cd "$1" && pwd) || exit 1
PYWELD=$BIN/pyweld
SHIM=$BIN/pyweld-cc
for f in "$PYWELD" "$SHIM"; do
	if [ ! -x "$f" ]; then
		echo "ccshim_badinput: '$f' is missing; build it first" >&2
		exit 1
	fi
done

BASEPATH=/usr/local/bin:/usr/bin:/bin
PATH=$BASEPATH command -v cc > /dev/null || {
	echo "ccshim_badinput: SKIP: no 'cc' on $BASEPATH" >&2
	exit 77
}
PYTHON=$(PATH=$BASEPATH command -v python3) || PYTHON=

TOP=$(mktemp -d "${TMPDIR:-/tmp}/ccshim_badinput.XXXXXX") || exit 1
chmod 755 "$TOP"
FAILED=0
CASE=
D=
CASE_FAILED=0

begin() {
	CASE=$1
	CASE_FAILED=0
	D=$TOP/$CASE
	mkdir -p "$D"
	cd "$D" || exit 1
	E=(env -i PATH="$BASEPATH" HOME="$D" TMPDIR="$D" LC_ALL=C)
	S=()
	printf 'int f(void) { return 1; }\n' > x.c
	echo "--- $CASE"
}

end() {
	cd "$TOP" || exit 1
	if [ "$CASE_FAILED" -ne 0 ]; then
		FAILED=1
		echo "FAILED $CASE: left '$D' for a look" >&2
	else
		chmod -R u+rwX "$D" 2>/dev/null
		rm -rf "$D"
		echo "ok     $CASE"
	fi
}

fail() {
	echo "FAIL [$CASE]: $*" >&2
	CASE_FAILED=1
}

# run NAME CMD...: runs CMD, stdout to NAME.out, stderr to NAME.err, status
# in RC.
run() {
	local name=$1
	shift
	"$@" > "$D/$name.out" 2> "$D/$name.err"
	RC=$?
}

# E: the scrubbed environment of a build, only what is named here (set by
# begin).  S: the same with the shims of $SHIMDIR on, as `pyweld env` prints
# them, PYWELD_DB and PYWELD_BUILD from its output (set by set_shim_env).
E=()
S=()
set_shim_env() {
	local home=${1:-$D}
	S=(env -i PATH="$SHIMDIR:$BASEPATH" HOME="$home" TMPDIR="$home" LC_ALL=C
	   PYWELD_DB="$DB" PYWELD_BUILD="$BUILD")
}

expect_rc() {
	local want=$1 name=$2
	if [ "$RC" -ne "$want" ]; then
		fail "$name: exit status $RC, want $want; stderr:"
		sed 's/^/    /' "$D/$name.err" >&2
	fi
}

expect_fail_rc() {
	local name=$1
	if [ "$RC" -eq 0 ]; then
		fail "$name: exit status 0, want a failure"
	fi
}

# expect_grep NAME.err TEXT: TEXT (fixed string) is in the file.
expect_grep() {
	if ! grep -qF -- "$2" "$D/$1"; then
		fail "'$2' not in $1:"
		sed 's/^/    /' "$D/$1" >&2
	fi
}

expect_no_grep() {
	if grep -qF -- "$2" "$D/$1"; then
		fail "'$2' unexpectedly in $1:"
		sed 's/^/    /' "$D/$1" >&2
	fi
}

expect_file() {
	[ -f "$1" ] || fail "'$1' was not made"
}

expect_no_file() {
	[ ! -e "$1" ] || fail "'$1' exists and should not"
}

# Sets up a shim directory in the case directory: $DB, $SHIMDIR, $BUILD.
setup_shims() {
	DB=$D/app.linkdb
	run env "${E[@]}" "$PYWELD" env --db "$DB"
	if [ "$RC" -ne 0 ]; then
		fail "pyweld env failed ($RC):"
		sed 's/^/    /' "$D/env.err" >&2
		return 1
	fi
	SHIMDIR=$(sed -n "s/^export PYWELD_SHIM_DIR='\(.*\)'\$/\1/p" "$D/env.out")
	BUILD=$(sed -n "s/^export PYWELD_BUILD='\(.*\)'\$/\1/p" "$D/env.out")
	if [ -z "$SHIMDIR" ] || [ ! -f "$SHIMDIR/pyweld-shim.conf" ]; then
		fail "no shim directory from pyweld env"
		return 1
	fi
	set_shim_env
}

# set_conf KEY VALUE: rewrites one line of the shim configuration.
set_conf() {
	local conf=$SHIMDIR/pyweld-shim.conf
	grep -q "^$1=" "$conf" || { fail "no '$1=' in $conf"; return 1; }
	sed -i "s|^$1=.*|$1=$2|" "$conf"
}

# count_records KIND [DBFILE]: how many compiles/links/archives are recorded.
count_records() {
	local out
	out=$("$PYWELD" db "$1" --db "${2:-$DB}" --json) || { echo "error"; return; }
	if [ -n "$PYTHON" ]; then
		printf '%s' "$out" | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))'
	else
		printf '%s' "$out" | grep -c '"id":'
	fi
}

expect_records() {
	local n
	n=$(count_records "$1" "${3:-$DB}")
	[ "$n" = "$2" ] || fail "$2 $1 records wanted in '${3:-$DB}', found $n"
}

# --- a: a missing real compiler ---------------------------------------------

case_missing_compiler() {
	begin a_missing_compiler
	setup_shims || { end; return; }
	set_conf cc /nonexistent/gcc

	# What happens without pyweld: the compiler is missing.
	run direct "${E[@]}" /nonexistent/gcc -c x.c
	expect_fail_rc direct

	run compile "${S[@]}" cc -c x.c -o x.o
	expect_fail_rc compile
	expect_grep compile.err "pyweld: error: cannot run '/nonexistent/gcc'"
	expect_grep compile.err "No such file or directory"
	expect_no_file x.o
	expect_records compiles 0

	# A command the shim does not record fails the same way.
	run version "${S[@]}" cc --version
	expect_fail_rc version
	expect_grep version.err "/nonexistent/gcc"

	# The other roles are untouched.
	run cxx "${S[@]}" c++ -c x.c -o y.o
	expect_rc 0 cxx
	expect_file y.o

	# pyweld env refuses a $CC that does not exist.
	run env_cc "${E[@]}" CC=/nonexistent/gcc "$PYWELD" env --db "$D/other.linkdb"
	expect_rc 1 env_cc
	expect_grep env_cc.err "pyweld: error: cannot find the real cc '/nonexistent/gcc'"
	expect_grep env_cc.err 'hint: install it, or set $CC to the real program'
	expect_no_grep env_cc.out "export CC="
	run env_cxx "${E[@]}" CXX=no-such-c++ "$PYWELD" env --db "$D/other.linkdb"
	expect_rc 1 env_cxx
	expect_grep env_cxx.err "pyweld: error: cannot find the real cxx 'no-such-c++' on PATH (other than pyweld's own shims)"
	end
}

# --- b: a shim loop -----------------------------------------------------------

case_shim_loop() {
	begin b_shim_loop
	setup_shims || { end; return; }

	# The configured cc is the shim directory's own cc.
	set_conf cc "$SHIMDIR/cc"
	run self "${S[@]}" cc -c x.c -o x.o
	expect_rc 0 self
	expect_grep self.err "pyweld: warning: the real cc configured in '$SHIMDIR' is this shim itself ('$SHIMDIR/cc'); running 'cc' from PATH unrecorded"
	expect_file x.o
	expect_records compiles 0

	# ... or pyweld-cc itself, by its own path.
	set_conf cc "$SHIM"
	run exe "${S[@]}" cc -c x.c -o y.o
	expect_rc 0 exe
	expect_grep exe.err "is this shim itself ('$SHIM')"
	expect_file y.o
	expect_records compiles 0

	# Two shim directories whose real cc is each other's, through two
	# copies of pyweld-cc: a loop no inode comparison sees.
	mkdir -p other copy
	cp "$SHIM" copy/pyweld-cc
	ln -s "$D/copy/pyweld-cc" other/cc
	printf 'db=%s\ncc=%s\n' "$DB" "$SHIMDIR/cc" > other/pyweld-shim.conf
	set_conf cc "$D/other/cc"
	run loop "${S[@]}" timeout 120 cc -c x.c -o z.o
	expect_rc 1 loop
	expect_grep loop.err "pyweld: error: shim loop: "
	expect_grep loop.err "leads back to a shim"
	expect_grep loop.err 'hint: run '"'"'pyweld env'"'"' again with $CC naming the real program'
	expect_no_file z.o

	# pyweld env with $CC naming a shim already uses the real cc.
	run env_again "${E[@]}" CC="$SHIMDIR/cc" "$PYWELD" env --db "$D/again.linkdb"
	expect_rc 0 env_again
	expect_grep env_again.err "pyweld: warning: \$CC points at pyweld's shims already"
	if grep -q "^cc=.*pyweld" "$D/again.linkdb.shims/pyweld-shim.conf" ||
	   ! grep -q "^cc=/" "$D/again.linkdb.shims/pyweld-shim.conf"; then
		fail "pyweld env kept the shim as the real cc:"
		sed 's/^/    /' "$D/again.linkdb.shims/pyweld-shim.conf" >&2
	fi
	end
}

# --- c: an unreadable @file ----------------------------------------------------

case_response_files() {
	begin c_response_files
	setup_shims || { end; return; }

	# gcc on its own, then through the shim: the same error and status,
	# and a warning from the shim.
	local args want
	for args in "@missing.rsp" "-c x.c @missing.rsp"; do
		# shellcheck disable=SC2086
		run direct "${E[@]}" cc $args
		expect_fail_rc direct
		want=$RC
		# shellcheck disable=SC2086
		run shim "${S[@]}" cc $args
		expect_rc "$want" shim
		expect_grep shim.err "pyweld: warning: cannot record this command: the response file 'missing.rsp' cannot be read (the build goes on without it)"
		grep -v '^pyweld: ' "$D/shim.err" > "$D/shim.rest"
		if ! cmp -s "$D/shim.rest" "$D/direct.err"; then
			fail "cc $args: the compiler's messages differ through the shim:"
			diff "$D/direct.err" "$D/shim.rest" | sed 's/^/    /' >&2
		fi
	done
	run strict "${S[@]}" PYWELD_STRICT=1 cc -c x.c @missing.rsp
	expect_fail_rc strict
	expect_grep strict.err "pyweld: error: cannot record this command: the response file 'missing.rsp' cannot be read"
	expect_records compiles 0

	# A readable one with quotes and spaces, and one naming another.
	mkdir -p "out dir" "obj dir"
	printf '%s\n' '-c x.c -o "out dir/x.o"' > ok.rsp
	run ok "${S[@]}" cc @ok.rsp
	expect_rc 0 ok
	expect_file "out dir/x.o"
	printf '%s\n' "@inner.rsp -o 'obj dir/y.o'" > outer.rsp
	printf '%s\n' '-c' 'x.c' '-DMSG=\"a\ b\"' > inner.rsp
	run nested "${S[@]}" cc -O1 @outer.rsp
	expect_rc 0 nested
	expect_file "obj dir/y.o"
	expect_records compiles 2
	"$PYWELD" db compiles --db "$DB" --json > compiles.json
	if [ -n "$PYTHON" ]; then
		run check "$PYTHON" - compiles.json <<'EOF'
import json, sys
rows = {r["output"]: r for r in json.load(open(sys.argv[1]))}
a = rows["out dir/x.o"]
assert a["argv"][1:] == ["-c", "x.c", "-o", "out dir/x.o"], a["argv"]
assert a["object"], a
b = rows["obj dir/y.o"]
assert b["argv"][1:] == ["-O1", "-c", "x.c", '-DMSG="a b"', "-o", "obj dir/y.o"], b["argv"]
assert b["language"] == "c", b
EOF
		expect_rc 0 check
	else
		expect_grep compiles.json '"out dir/x.o"'
		expect_grep compiles.json '"obj dir/y.o"'
	fi
	end
}

# --- d: a read-only database ---------------------------------------------------

# Runs "$@" as an unprivileged user (as ourselves when not root).
as_user() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	elif command -v setpriv > /dev/null; then
		setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups -- "$@"
	else
		runuser -u nobody -- "$@"
	fi
}

case_readonly_db() {
	begin d_readonly_db
	if [ "$(id -u)" -eq 0 ] && ! command -v setpriv > /dev/null &&
	   ! command -v runuser > /dev/null; then
		fail "running as root without setpriv or runuser: cannot drop privileges"
		end
		return
	fi
	# The user needs nothing of the build tree: a copy of the wrapper.
	mkdir -p bin dbdir work
	cp "$SHIM" bin/pyweld-cc
	chmod 755 bin bin/pyweld-cc
	DB=$D/dbdir/app.linkdb
	run env "${E[@]}" PYWELD_SHIM_EXE="$D/bin/pyweld-cc" "$PYWELD" env --db "$DB" \
		--shim-dir "$D/shims"
	expect_rc 0 env
	SHIMDIR=$D/shims
	BUILD=$(sed -n "s/^export PYWELD_BUILD='\(.*\)'\$/\1/p" "$D/env.out")
	chmod 755 "$D" shims
	chmod 555 dbdir
	chmod 444 "$DB"
	mv x.c work/
	chmod 777 work
	chmod 644 work/x.c
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody work
	fi
	cd work || exit 1
	set_shim_env "$D/work"

	# The user cannot write there: make sure before going on.
	run probe as_user sh -c ': > "$1/probe"' sh "$D/dbdir"
	[ "$RC" -ne 0 ] || fail "the database directory is writable by the build user"

	run compile as_user "${S[@]}" cc -fPIC -c x.c -o x.o
	expect_rc 0 compile
	expect_file x.o
	expect_grep compile.err "pyweld: warning: cannot record the compile of 'x.c': "
	expect_grep compile.err "(the build goes on without it)"
	run link as_user "${S[@]}" cc -shared x.o -o libx.so
	expect_rc 0 link
	expect_file libx.so
	expect_grep link.err "pyweld: warning: cannot record the link of 'libx.so': "
	run archive as_user "${S[@]}" ar rcs libx.a x.o
	expect_rc 0 archive
	expect_file libx.a
	expect_grep archive.err "pyweld: warning: cannot record the archive 'libx.a': "

	# Strict: the compile runs, then the recording failure fails it.
	run strict as_user "${S[@]}" PYWELD_STRICT=1 cc -fPIC -c x.c -o y.o
	expect_rc 1 strict
	expect_file y.o
	expect_grep strict.err "pyweld: error: cannot record the compile of 'x.c': "
	expect_no_grep strict.err "warning: cannot record"

	# A database that does not exist yet, in a directory nobody may write.
	run create as_user env -i PATH="$SHIMDIR:$BASEPATH" HOME="$D/work" \
		TMPDIR="$D/work" LC_ALL=C PYWELD_DB="$D/dbdir/new.linkdb" cc -c x.c -o z.o
	expect_rc 0 create
	expect_file z.o
	expect_grep create.err "pyweld: warning: cannot record the compile of 'x.c': "
	expect_no_file "$D/dbdir/new.linkdb"

	# Nothing reached the database, which is still sound.
	cd "$D" || exit 1
	expect_records compiles 0
	expect_records links 0
	expect_records archives 0
	run check "$PYWELD" db check --db "$DB"
	expect_rc 0 check
	chmod 755 dbdir
	end
}

# --- e: argv with invalid UTF-8 ------------------------------------------------

case_bad_utf8() {
	begin e_bad_utf8
	setup_shims || { end; return; }
	local src=$'bad\xff\xfe.c' obj=$'obj\xff.o' lib=$'lib\xfe.so'
	printf 'const char *v = V;\n' > "$src"
	run compile "${S[@]}" PYWELD_STRICT=1 cc -fPIC -c "$src" -o "$obj" $'-DV="v\xff\xfe"'
	expect_rc 0 compile
	expect_file "$obj"
	run link "${S[@]}" PYWELD_STRICT=1 cc -shared "$obj" -o "$lib" $'-Wl,-soname,lib\xfe.so'
	expect_rc 0 link
	expect_file "$lib"
	expect_records compiles 1
	expect_records links 1
	for kind in compiles links; do
		run "$kind" "$PYWELD" db "$kind" --db "$DB" --json
		expect_rc 0 "$kind"
		if [ -n "$PYTHON" ]; then
			run "$kind.json" "$PYTHON" -c '
import json, sys
rows = json.load(open(sys.argv[1], encoding="utf-8"))
assert len(rows) == 1, rows
argv = rows[0]["argv"]
want = {"compiles": 7, "links": 6}[sys.argv[2]]
assert len(argv) == want, argv
assert argv[0].endswith("cc"), argv
assert rows[0]["output"].startswith(("obj", "lib")), rows[0]
' "$D/$kind.out" "$kind"
			expect_rc 0 "$kind.json"
		fi
		run "$kind.text" "$PYWELD" db "$kind" --db "$DB"
		expect_rc 0 "$kind.text"
	done
	run check "$PYWELD" db check --db "$DB"
	expect_rc 0 check
	end
}

# --- f: pyweld-cc by its own name -------------------------------------------------

case_own_name() {
	begin f_own_name
	run bare "${E[@]}" "$SHIM"
	expect_rc 2 bare
	expect_grep bare.err "pyweld-cc is pyweld's wrapper compiler"
	expect_grep bare.err 'eval "$(pyweld env --db app.linkdb)"'
	run args "${E[@]}" "$SHIM" -c x.c -o x.o
	expect_rc 2 args
	expect_grep args.err "pyweld-cc is pyweld's wrapper compiler"
	expect_no_file x.o
	# A name that is none of ours, through a link.
	ln -s "$SHIM" clang
	run clang "${E[@]}" ./clang -c x.c -o x.o
	expect_rc 2 clang
	expect_grep clang.err "pyweld-cc is pyweld's wrapper compiler"
	expect_no_file x.o
	end
}

# --- g: a shim with no configuration ----------------------------------------------

case_no_conf() {
	begin g_no_conf
	mkdir lonely
	ln -s "$SHIM" lonely/cc
	run lonely "${E[@]}" PYWELD_DB="$D/app.linkdb" "$D/lonely/cc" -c x.c -o x.o
	expect_rc 0 lonely
	expect_file x.o
	expect_grep lonely.err "pyweld: warning: no shim configuration for '$D/lonely/cc' in '$D/lonely'; running the real 'cc' from PATH unrecorded"
	expect_no_file "$D/app.linkdb"
	end
}

# --- h: a compile error -------------------------------------------------------------

case_compile_error() {
	begin h_compile_error
	setup_shims || { end; return; }
	printf 'int f(void) { return }\n' > broken.c
	run direct "${E[@]}" cc -c broken.c -o broken.o
	local want=$RC
	[ "$want" -ne 0 ] || fail "broken.c compiled"
	run shim "${S[@]}" PYWELD_STRICT=1 cc -c broken.c -o broken.o
	expect_rc "$want" shim
	if ! cmp -s "$D/shim.err" "$D/direct.err"; then
		fail "the compiler's messages differ through the shim:"
		diff "$D/direct.err" "$D/shim.err" | sed 's/^/    /' >&2
	fi
	expect_no_file broken.o
	expect_records compiles 0
	end
}

case_missing_compiler
case_shim_loop
case_response_files
case_readonly_db
case_bad_utf8
case_own_name
case_no_conf
case_compile_error

if [ "$FAILED" -ne 0 ]; then
	echo "ccshim_badinput: FAILED (cases left in '$TOP')" >&2
	exit 1
fi
rm -rf "$TOP"
echo "ccshim_badinput: all cases passed"
exit 0

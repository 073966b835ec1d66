/*
 * test_cache: cmocka unit tests of what keeps pyweld's caches its user's
 * own: the weld's derived-object cache (inittab-gen/cache.c), atomic writes
 * and links (util_atomic_*, util_write_atomic, util_symlink_atomic) and the
 * directory check (util_private_dir).
 *
 * What is asserted:
 *   - a cache store never writes through a symbolic link planted where a
 *     temporary could be (<entry>.tmp.<pid>, the name pyweld once used), and
 *     never touches another writer's temporary of that name (a process of
 *     the same pid in another container sharing the cache): both stay as
 *     they were and the entry holds the stored bytes;
 *   - store then fetch gives the same bytes; a fetch of a missing entry or
 *     with no cache misses; the store leaves no temporary behind;
 *   - util_write_atomic replaces a file (and a symbolic link, never its
 *     target), sets the mode and leaves nothing beside it; a failed commit
 *     leaves the old file; util_atomic_abort removes the temporary;
 *   - util_symlink_atomic creates and replaces a link and leaves nothing;
 *   - util_private_dir accepts a directory of this user and one it creates
 *     (with missing parents, none writable by others); refuses one that
 *     others can write (world, sticky or not; group, unless it is the
 *     user's own private group), one above it that others can write unless
 *     sticky, a file, a missing directory without create; as root also one
 *     owned by another user, a symbolic link of another user as the
 *     directory or on the way, and follows this user's own link to check
 *     where it leads.  Each refusal names the directory at fault.
 *
 * Everything happens in a fresh directory under $TMPDIR (or /tmp), removed
 * at the end.  The cases about other users need root (chown); without it
 * they are skipped, saying so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itg.h"
#include "util.h"

#define HEX "aa00000000000000000000000000000000000000000000000000000000000001"
#define OTHER_UID 65534

static char *
tmpdir_new(void)
{
	const char *base = getenv("TMPDIR");
	char *d;

	if (!base || !*base)
		base = "/tmp";
	d = xasprintf("%s/test_cache.XXXXXX", base);
	assert_non_null(mkdtemp(d));
	return d;
}

static int
setup(void **state)
{
	*state = tmpdir_new();
	return 0;
}

static int
teardown(void **state)
{
	util_remove_tree(*state);
	free(*state);
	return 0;
}

static char *
path_in(void **state, const char *rel)
{
	return xasprintf("%s/%s", (const char *)*state, rel);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The file's text, or "(missing)". */
static char *
read_text(const char *path)
{
	char *buf;

	if (util_read_file(path, &buf, NULL) < 0)
		return xstrdup("(missing)");
	return buf;
}

static void
assert_text(const char *path, const char *want)
{
	char *got = read_text(path);

	if (strcmp(got, want) != 0)
		fail_msg("'%s' holds '%s', not '%s'", path, got, want);
	free(got);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir other than . and .., sorted, joined by spaces. */
static char *
listing(const char *dir)
{
	struct strvec names = { 0 };
	struct strbuf sb = { 0 };
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strvec_push(&names, e->d_name);
	closedir(d);
	qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		if (i)
			strbuf_addc(&sb, ' ');
		strbuf_adds(&sb, names.v[i]);
	}
	strvec_free(&names);
	return strbuf_detach(&sb);
}

/* Skips the test, saying why (a prerequisite that is truly absent). */
#define skip_why(why) do { print_message("skipped: %s\n", why); skip(); } while (0)

static bool
root(void)
{
	return geteuid() == 0;
}

/* --- the derived-object cache ---------------------------------------------- */

/* A symbolic link planted at <entry>.tmp.<pid> is neither written through
 * nor replaced; the entry gets the stored bytes. */
static void
test_store_ignores_planted_symlink(void **state)
{
	char *cache = path_in(state, "cache"), *dir = path_in(state, "cache/derived/aa");
	char *entry = xasprintf("%s/%s", dir, HEX);
	char *planted = xasprintf("%s.tmp.%ld", entry, (long)getpid());
	char *victim = path_in(state, "victim"), *src = path_in(state, "object.o");
	char target[4096];
	ssize_t n;

	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	write_text(victim, "the user's file\n");
	write_text(src, "object bytes\n");
	assert_int_equal(symlink(victim, planted), 0);

	itg_cache_store(cache, HEX, src);

	assert_text(victim, "the user's file\n");
	n = readlink(planted, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, victim);
	struct stat st;
	assert_int_equal(lstat(entry, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_text(entry, "object bytes\n");
	free(cache); free(dir); free(entry); free(planted); free(victim); free(src);
}

/* Another writer's temporary of the same name (same pid, another pid
 * namespace) is left alone. */
static void
test_store_leaves_other_writers_temporary(void **state)
{
	char *cache = path_in(state, "cache"), *dir = path_in(state, "cache/derived/aa");
	char *entry = xasprintf("%s/%s", dir, HEX);
	char *theirs = xasprintf("%s.tmp.%ld", entry, (long)getpid());
	char *src = path_in(state, "object.o");

	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	write_text(theirs, "half of another container's object");
	write_text(src, "ours\n");

	itg_cache_store(cache, HEX, src);

	assert_text(theirs, "half of another container's object");
	assert_text(entry, "ours\n");
	free(cache); free(dir); free(entry); free(theirs); free(src);
}

static void
test_store_fetch_roundtrip(void **state)
{
	char *cache = path_in(state, "cache"), *dir = path_in(state, "cache/derived/aa");
	char *src = path_in(state, "object.o"), *dest = path_in(state, "fetched.o");
	char *list;

	write_text(src, "some object\n");
	assert_false(itg_cache_fetch(cache, HEX, dest));
	assert_false(itg_cache_fetch(NULL, HEX, dest));
	itg_cache_store(cache, HEX, src);
	assert_true(itg_cache_fetch(cache, HEX, dest));
	assert_text(dest, "some object\n");
	/* a second store of the same entry replaces it whole */
	write_text(src, "another object\n");
	itg_cache_store(cache, HEX, src);
	assert_true(itg_cache_fetch(cache, HEX, dest));
	assert_text(dest, "another object\n");
	list = listing(dir);
	assert_string_equal(list, HEX);            /* no temporary left */
	free(list);
	free(cache); free(dir); free(src); free(dest);
}

/* --- atomic writes and links ------------------------------------------------- */

static void
test_write_atomic_replaces(void **state)
{
	char *file = path_in(state, "out"), *link = path_in(state, "link");
	char *victim = path_in(state, "victim"), *list;
	struct stat st;

	write_text(file, "old\n");
	assert_int_equal(util_write_atomic(file, "new\n", 4, 0750, true), 0);
	assert_text(file, "new\n");
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	/* a link at the destination is replaced, its target untouched */
	write_text(victim, "victim\n");
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(util_write_atomic(link, "x", 1, 0644, false), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_text(victim, "victim\n");
	list = listing(*state);
	assert_string_equal(list, "link out victim");
	free(list);
	free(file); free(link); free(victim);
}

static void
test_atomic_open_commit_abort(void **state)
{
	char *file = path_in(state, "out"), *tmp, *tmp2, *list;
	int fd, fd2;

	write_text(file, "old\n");
	fd = util_atomic_open(NULL, file, &tmp);
	assert_true(fd >= 0);
	assert_true(util_starts_with(tmp, file));
	fd2 = util_atomic_open(NULL, file, &tmp2);
	assert_true(fd2 >= 0);
	assert_string_not_equal(tmp, tmp2);     /* two writers, two names */
	assert_int_equal(util_write_all(fd, "mine\n", 5), 0);
	util_atomic_abort(fd2, tmp2);
	assert_text(file, "old\n");
	assert_int_equal(util_atomic_commit(fd, tmp, file, 0644, true), 0);
	assert_text(file, "mine\n");
	list = listing(*state);
	assert_string_equal(list, "out");
	free(list);
	/* a commit that cannot rename (the destination is a non-empty
	 * directory) fails, removes its temporary and keeps what was there */
	char *sub = path_in(state, "sub"), *subfile = path_in(state, "sub/f");
	assert_int_equal(mkdir(sub, 0755), 0);
	write_text(subfile, "keep\n");
	fd = util_atomic_open(*state, sub, &tmp);
	assert_true(fd >= 0);
	assert_int_equal(util_atomic_commit(fd, tmp, sub, 0644, false), -1);
	assert_text(subfile, "keep\n");
	list = listing(*state);
	assert_string_equal(list, "out sub");
	free(list);
	free(file); free(sub); free(subfile);
}

static void
test_symlink_atomic(void **state)
{
	char *link = path_in(state, "current"), *list;
	char target[64];
	ssize_t n;

	assert_int_equal(util_symlink_atomic("one", link), 0);
	assert_int_equal(util_symlink_atomic("two", link), 0);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "two");
	list = listing(*state);
	assert_string_equal(list, "current");
	free(list);
	free(link);
}

/* --- directories no other user controls -------------------------------------- */

static void
expect_refused(const char *path, bool create, enum util_private why, const char *at)
{
	struct util_private_check c;

	if (util_private_dir(path, create, 0755, &c) == 0)
		fail_msg("'%s' was accepted (expected refusal %d at '%s')", path, (int)why, at);
	if (c.why != why || !c.path || strcmp(c.path, at) != 0)
		fail_msg("'%s' refused for %d at '%s', expected %d at '%s'", path, (int)c.why,
		         c.path ? c.path : "(null)", (int)why, at);
	util_private_free(&c);
}

static void
expect_accepted(const char *path, bool create)
{
	struct util_private_check c;

	if (util_private_dir(path, create, 0755, &c) < 0)
		fail_msg("'%s' was refused (%d at '%s', errno %d)", path, (int)c.why,
		         c.path ? c.path : "(null)", c.err);
	util_private_free(&c);
}

static void
test_private_own_and_created(void **state)
{
	char *deep = path_in(state, "a/b/c");
	struct stat st;

	expect_accepted(*state, false);
	char *a = path_in(state, "a");
	expect_refused(deep, false, UTIL_PRIVATE_ERRNO, a);
	free(a);
	expect_accepted(deep, true);
	static const char *const made[] = { "a", "a/b", "a/b/c" };
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		char *p = path_in(state, made[i]);
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 022, 0);
		free(p);
	}
	/* a file where a directory should be */
	char *file = path_in(state, "file");
	write_text(file, "x");
	expect_refused(file, true, UTIL_PRIVATE_NOT_DIR, file);
	free(deep);
	free(file);
}

static void
test_private_writable(void **state)
{
	char *d = path_in(state, "d"), *below = path_in(state, "d/cache");

	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(mkdir(below, 0755), 0);
	expect_accepted(below, false);
	/* writable by everyone: refused as the directory (sticky or not) and
	 * above it (not sticky); sticky above it is /tmp and fine */
	assert_int_equal(chmod(below, 0777), 0);
	expect_refused(below, false, UTIL_PRIVATE_WRITABLE, below);
	assert_int_equal(chmod(below, 01777), 0);
	expect_refused(below, false, UTIL_PRIVATE_WRITABLE, below);
	assert_int_equal(chmod(below, 0755), 0);
	assert_int_equal(chmod(d, 0777), 0);
	expect_refused(below, false, UTIL_PRIVATE_WRITABLE, d);
	char *created = path_in(state, "d/new/cache");
	expect_refused(created, true, UTIL_PRIVATE_WRITABLE, d);
	assert_int_equal(chmod(d, 01777), 0);
	expect_accepted(below, false);
	assert_int_equal(chmod(d, 0755), 0);
	free(d); free(below); free(created);
}

/* A group that is not this user's private group, or -1. */
static gid_t
foreign_group(void)
{
	struct group *g = getgrnam("staff");

	if (g && g->gr_gid != getegid())
		return g->gr_gid;
	g = getgrgid(OTHER_UID);
	return g ? g->gr_gid : (gid_t)-1;
}

static void
test_private_group(void **state)
{
	char *d = path_in(state, "cache");
	struct passwd *pw = getpwuid(geteuid());
	struct group *own = pw ? getgrgid(pw->pw_gid) : NULL;
	gid_t other = foreign_group();

	if (!root() || other == (gid_t)-1)
		skip_why("chgrp to a group of others needs root and such a group");
	assert_int_equal(mkdir(d, 0775), 0);
	assert_int_equal(chmod(d, 0775), 0);
	assert_int_equal(chown(d, (uid_t)-1, other), 0);
	expect_refused(d, false, UTIL_PRIVATE_WRITABLE, d);
	/* the user's own private group (root's "root", no members) is the user */
	if (own && pw && !strcmp(own->gr_name, pw->pw_name) && !own->gr_mem[0]) {
		assert_int_equal(chown(d, (uid_t)-1, pw->pw_gid), 0);
		expect_accepted(d, false);
	}
	free(d);
}

static void
test_private_other_owner(void **state)
{
	char *d = path_in(state, "theirs"), *below = path_in(state, "theirs/cache");

	if (!root())
		skip_why("making a directory of another user needs root");
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(mkdir(below, 0755), 0);
	assert_int_equal(chown(d, OTHER_UID, OTHER_UID), 0);
	/* they can rename what is in their directory */
	expect_refused(below, false, UTIL_PRIVATE_OWNER, d);
	expect_refused(d, false, UTIL_PRIVATE_OWNER, d);
	assert_int_equal(chown(d, 0, 0), 0);
	assert_int_equal(chown(below, OTHER_UID, OTHER_UID), 0);
	expect_refused(below, false, UTIL_PRIVATE_OWNER, below);
	free(d); free(below);
}

static void
test_private_symlinks(void **state)
{
	char *real = path_in(state, "real"), *mine = path_in(state, "mine");
	char *planted = path_in(state, "planted"), *bad = path_in(state, "bad");
	char *badlink = path_in(state, "badlink"), *via = path_in(state, "via/cache");
	char *vialink = path_in(state, "via");

	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(mkdir(bad, 0777), 0);
	assert_int_equal(chmod(bad, 0777), 0);
	assert_int_equal(symlink(real, mine), 0);
	assert_int_equal(symlink(bad, badlink), 0);
	/* this user's own link: where it leads is checked */
	expect_accepted(mine, false);
	expect_refused(badlink, false, UTIL_PRIVATE_WRITABLE, bad);
	/* a link on the way leads to a directory others can write */
	assert_int_equal(symlink(bad, vialink), 0);
	char *inbad = path_in(state, "bad/cache");
	assert_int_equal(mkdir(inbad, 0755), 0);
	expect_refused(via, false, UTIL_PRIVATE_WRITABLE, bad);
	if (!root()) {
		free(real); free(mine); free(planted); free(bad); free(badlink); free(via);
		free(vialink); free(inbad);
		skip_why("a link of another user needs root (lchown)");
	}
	/* a link planted by another user, even to a good directory */
	assert_int_equal(symlink(real, planted), 0);
	assert_int_equal(lchown(planted, OTHER_UID, OTHER_UID), 0);
	expect_refused(planted, false, UTIL_PRIVATE_OWNER, planted);
	char *through = path_in(state, "planted/sub");
	char *realsub = path_in(state, "real/sub");
	assert_int_equal(mkdir(realsub, 0755), 0);
	expect_refused(through, false, UTIL_PRIVATE_OWNER, planted);
	free(real); free(mine); free(planted); free(bad); free(badlink); free(via);
	free(vialink); free(inbad); free(through); free(realsub);
}

/* An entry directory of builds/ with one file of n bytes, used at time t. */
static char *
make_entry(void **state, const char *key, size_t n, time_t t)
{
	char *dir = xasprintf("%s/builds/%.2s/%s", (const char *)*state, key, key);
	char *f = xasprintf("%s/wheel.whl", dir), *text = malloc(n + 1);
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	assert_int_equal(util_mkdir_p(dir, 0700), 0);
	memset(text, 'x', n);
	text[n] = '\0';
	write_text(f, text);
	assert_int_equal(utimensat(AT_FDCWD, dir, ts, 0), 0);
	free(f);
	free(text);
	return dir;
}

/* builds/ holds a directory per entry: counted by its files, removed whole
 * (the least recently used first), nothing left in builds/tmp. */
static void
test_prune_directory_entries(void **state)
{
	char *old = make_entry(state, "aa01", 4000, 1000000);
	char *mid = make_entry(state, "aa02", 4000, 2000000);
	char *recent = make_entry(state, "bb03", 4000, 3000000);
	char *builds = path_in(state, "builds"), *tmp = path_in(state, "builds/tmp");

	assert_int_equal(itg_cache_prune(builds, 20000), 0);     /* under the limit */
	assert_true(util_is_dir(old));
	/* over 10000: down to 7500, the oldest two go, each whole */
	assert_int_equal(itg_cache_prune(builds, 10000), 2);
	assert_false(util_is_dir(old));
	assert_false(util_is_dir(mid));
	assert_true(util_is_dir(recent));
	char *f = xasprintf("%s/wheel.whl", recent), *text = read_text(f);
	assert_int_equal(strlen(text), 4000);
	DIR *d = opendir(tmp);
	struct dirent *e;
	size_t left = 0;
	while (d && (e = readdir(d)))
		left += e->d_name[0] != '.';
	if (d)
		closedir(d);
	assert_int_equal(left, 0);
	free(f); free(text); free(old); free(mid); free(recent); free(builds); free(tmp);
}

/* What dead writers left in builds/tmp (an entry half written, one half
 * removed) goes once a day old; a live writer's, recent, stays. */
static void
test_prune_sweeps_stale_tmp(void **state)
{
	char *recent = make_entry(state, "cc04", 100, time(NULL));
	char *builds = path_in(state, "builds");
	char *dead = path_in(state, "builds/tmp/entry-dead01");
	char *dead_file = path_in(state, "builds/tmp/entry-dead01/wheel.whl");
	char *live = path_in(state, "builds/tmp/entry-live01");
	char *stray = path_in(state, "builds/tmp/prune-stray1");
	time_t two_days_ago = time(NULL) - 2 * 24 * 60 * 60;
	struct timespec ts[2] = { { two_days_ago, 0 }, { two_days_ago, 0 } };

	assert_int_equal(util_mkdir_p(dead, 0700), 0);
	write_text(dead_file, "half a wheel");
	assert_int_equal(utimensat(AT_FDCWD, dead, ts, 0), 0);
	assert_int_equal(util_mkdir_p(live, 0700), 0);
	write_text(stray, "x");
	assert_int_equal(utimensat(AT_FDCWD, stray, ts, 0), 0);
	/* under the limit: no entry goes, the stale leftovers do */
	assert_int_equal(itg_cache_prune(builds, 1 << 30), 0);
	assert_false(util_is_dir(dead));
	assert_false(util_is_file(stray));
	assert_true(util_is_dir(live));
	assert_true(util_is_dir(recent));
	free(recent); free(builds); free(dead); free(dead_file); free(live); free(stray);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prune_sweeps_stale_tmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_directory_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_ignores_planted_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_leaves_other_writers_temporary, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_store_fetch_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_open_commit_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_own_and_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_other_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_symlinks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

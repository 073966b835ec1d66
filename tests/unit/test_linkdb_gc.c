/*
 * test_linkdb_gc: garbage collection, alone and beside writers.
 *
 * What gc drops and removes (and what a dry run counts), and its races with
 * a writer, replayed deterministically: linkdb__test_hook (internal.h)
 * stops one handle between two steps while a second handle acts there.
 */
#include "linkdb_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The race tests set linkdb__test_hook and a handle's busy timeout. */
#include "internal.h"

TEST(test_gc)
{
	char ha[LINKDB_HASH_HEX + 1], hb[LINKDB_HASH_HEX + 1], hc[LINKDB_HASH_HEX + 1],
	     hd[LINKDB_HASH_HEX + 1], he[LINKDB_HASH_HEX + 1];
	char *pa, *pb, *pc, *pd, *pe, *tmp_old, *tmp_new, *dir;
	struct linkdb_gc_stats s;
	struct linkdb_counts c;
	int64_t build = 0, id;
	struct stat st;
	int64_t bytes_old = 0;

	/* A: referenced by a compile. */
	compile_c(fx, "ext", ext_c);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);
	record_ext_compile(fx, build);
	file_hash("ext.o", ha);
	/* B: its compile record is deleted afterwards. */
	compile_c(fx, "helper", helper_c);
	{
		const char *sources[] = { "helper.c" };
		struct linkdb_compile cc = { .cwd = fx->dir, .argc = COMPILE_ARGC,
		                             .argv = compile_argv, .nsources = 1,
		                             .sources = sources, .output = "helper.o" };
		assert_int_equal(linkdb_add_compile(fx->db, build, &cc, &id), 0);
		char *sql = xasprintf("PRAGMA foreign_keys = ON;"
		                      "DELETE FROM compile WHERE id = %lld", (long long)id);
		sql_exec(fx->db_path, sql);
		free(sql);
	}
	file_hash("helper.o", hb);
	/* C: stored, never referenced.  E: the same, but young. */
	put_text("c.txt", "object c\n");
	assert_int_equal(linkdb_store_file(fx->db, "c.txt", hc), 0);
	put_text("e.txt", "object e\n");
	assert_int_equal(linkdb_store_file(fx->db, "e.txt", he), 0);
	/* D: a file in the store without an object row. */
	linkdb_hash_buffer("object d\n", 9, hd);
	pd = linkdb_store_path(fx->db, hd);
	dir = util_dirname(pd);
	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	put_text(pd, "object d\n");
	free(dir);
	/* Two abandoned temporaries, one old, one young. */
	tmp_old = xasprintf("%s/tmp/0123456789abcdef.old", linkdb_store_dir(fx->db));
	tmp_new = xasprintf("%s/tmp/0123456789abcdef.new", linkdb_store_dir(fx->db));
	put_text(tmp_old, "half a file");
	put_text(tmp_new, "half a file");

	pa = linkdb_store_path(fx->db, ha);
	pb = linkdb_store_path(fx->db, hb);
	pc = linkdb_store_path(fx->db, hc);
	pe = linkdb_store_path(fx->db, he);
	const char *old_files[] = { pa, pb, pc, pd, tmp_old };
	for (size_t i = 0; i < 5; i++)
		set_age(old_files[i], 7200);
	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(stat(old_files[i], &st), 0);
		bytes_old += st.st_size;
	}
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.objects, 4);                 /* A B C E */
	assert_int_equal(c.store_files, 5);             /* A B C D E */

	/* Dry run: counts what a real run removes, removes nothing. */
	assert_int_equal(linkdb_gc(fx->db, true, 3600, &s), 0);
	assert_int_equal(s.rows_dropped, 3);            /* B C E */
	assert_int_equal(s.files_removed, 3);           /* B C D: old, without a row */
	assert_int_equal(s.bytes_removed, bytes_old);
	assert_int_equal(s.temps_removed, 1);
	const char *all[] = { pa, pb, pc, pd, pe, tmp_old, tmp_new };
	for (size_t i = 0; i < 7; i++)
		assert_true(util_is_file(all[i]));
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.objects, 4);
	assert_int_equal(c.store_files, 5);

	/* Real run with the same age: the same numbers, and done. */
	assert_int_equal(linkdb_gc(fx->db, false, 3600, &s), 0);
	assert_int_equal(s.rows_dropped, 3);
	assert_int_equal(s.files_removed, 3);
	assert_int_equal(s.bytes_removed, bytes_old);
	assert_int_equal(s.temps_removed, 1);
	assert_true(util_is_file(pa));                  /* referenced, however old */
	assert_false(util_is_file(pb));
	assert_false(util_is_file(pc));
	assert_false(util_is_file(pd));
	assert_true(util_is_file(pe));                  /* no row now, but young */
	assert_false(util_is_file(tmp_old));
	assert_true(util_is_file(tmp_new));
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.objects, 1);
	assert_int_equal(c.compiles, 1);
	assert_int_equal(c.store_files, 2);
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);

	/* min_age 0: the young leftovers go too; the referenced object stays. */
	assert_int_equal(linkdb_gc(fx->db, false, 0, &s), 0);
	assert_int_equal(s.rows_dropped, 0);
	assert_int_equal(s.files_removed, 1);
	assert_int_equal(s.temps_removed, 1);
	assert_true(util_is_file(pa));
	assert_false(util_is_file(pe));
	assert_false(util_is_file(tmp_new));
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);

	/* Nothing left to do. */
	assert_int_equal(linkdb_gc(fx->db, false, 0, &s), 0);
	assert_int_equal(s.rows_dropped + s.files_removed + s.temps_removed, 0);

	free(pa);
	free(pb);
	free(pc);
	free(pd);
	free(pe);
	free(tmp_old);
	free(tmp_new);
}

/*
 * gc beside a writer.  linkdb__test_hook stops one handle between two of its
 * steps ("begin": a writer's files are stored and it is about to take the
 * write lock; "gc-candidate": gc has decided a store file may go) and lets a
 * second handle on the same file act there, as another process could.
 */
struct race {
	struct linkdb *at;              /* the handle to stop */
	const char *point;              /* where to stop it */
	const char *arg;                /* for "gc-candidate": only this file */
	void (*act)(struct race *r);    /* what the other handle does there */
	struct fx *fx;
	struct linkdb *other;
	double min_age;
	const char *arg_seen;           /* the arg the hook stopped at */
	bool arg_kept;                  /* that file was still there after act */
	int fired;                      /* times act ran */
	int rc;                         /* what the other handle's call returned */
	char err[1024];
	struct linkdb_gc_stats gs;
};

static struct race *the_race;

static void
race_hook(struct linkdb *db, const char *point, const char *arg)
{
	struct race *r = the_race;

	if (!r || db != r->at || strcmp(point, r->point) != 0 ||
	    (r->arg && (!arg || strcmp(arg, r->arg) != 0)) || r->fired)
		return;
	r->fired++;
	r->arg_seen = arg;
	r->act(r);
}

static void
race_arm(struct race *r)
{
	the_race = r;
	linkdb__test_hook = race_hook;
}

static void
race_disarm(void)
{
	linkdb__test_hook = NULL;
	the_race = NULL;
}

/* A second handle on the fixture's database that waits for locks only briefly. */
static struct linkdb *
second_handle(struct fx *fx)
{
	struct linkdb *db = NULL;

	if (linkdb_open(&db, fx->db_path, 0) < 0)
		fail_msg("cannot open a second handle: %s", linkdb_errmsg(db));
	return db;
}

static void
act_gc(struct race *r)
{
	r->rc = linkdb_gc(r->other, false, r->min_age, &r->gs);
	snprintf(r->err, sizeof(r->err), "%s", linkdb_errmsg(r->other));
}

/* The other handle records a compile of ext.o, waiting for the write lock
 * for at most half a second. */
static void
act_record_compile(struct race *r)
{
	const char *sources[] = { "ext.c" };
	struct linkdb_compile c = {
		.cwd = r->fx->dir, .argc = COMPILE_ARGC, .argv = compile_argv,
		.language = "c", .nsources = 1, .sources = sources, .output = "ext.o",
	};

	sqlite3_busy_timeout(r->other->sql, 500);
	r->rc = linkdb_add_compile(r->other, 0, &c, NULL);
	snprintf(r->err, sizeof(r->err), "%s", linkdb_errmsg(r->other));
	sqlite3_busy_timeout(r->other->sql, 120000);
}

/* The kind of a stored object and whether it has symbol name (defined). */
static void
assert_object(struct linkdb *db, const char *file, const char *kind, const char *sym)
{
	char hex[LINKDB_HASH_HEX + 1], spec[80];
	struct rows rs = { 0 };

	file_hash(file, hex);
	snprintf(spec, sizeof(spec), "object:%s", hex);
	show(db, spec, &rs);
	if (strcmp(text(&rs.v[0], "kind"), kind) != 0)
		fail_msg("object '%s' is recorded as kind '%s', not '%s'", file,
		         text(&rs.v[0], "kind"), kind);
	if (!find_row(&rs, "symbol", "name", sym))
		fail_msg("object '%s' is recorded without its symbol '%s'", file, sym);
	rows_free(&rs);
}

/*
 * The writer found its inputs' object rows ("object known", so it did not
 * scan their symbols); gc drops those rows, which no record references, and
 * with min_age 0 their files, before the writer takes the write lock.  The
 * record must still come out complete: every object row with its kind and
 * symbols, the link's init symbols found, every store file present.
 */
static void
gc_between_known_and_insert(struct fx *fx, double min_age)
{
	static const char *const inputs[] = { "ext.o", "uinit.o", "libhelp.a", "libdep.so" };
	char hex[LINKDB_HASH_HEX + 1];
	struct race r = { .point = "begin", .act = act_gc, .fx = fx, .min_age = min_age };
	struct problems pr = { 0 };
	int64_t build = 0, lid;
	char **names = NULL;
	size_t n = 0;

	make_inputs(fx);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(linkdb_store_file(fx->db, inputs[i], hex), 0);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);

	r.at = fx->db;
	r.other = second_handle(fx);
	race_arm(&r);
	lid = record_ext_link(fx, build);
	race_disarm();
	assert_int_equal(r.fired, 1);
	if (r.rc != 0)
		fail_msg("gc beside the writer failed: %s", r.err);
	assert_int_equal(r.gs.rows_dropped, 4);     /* it did run in the window */
	assert_int_equal(r.gs.files_removed, min_age == 0 ? 4 : 0);

	n = (size_t)linkdb_check(fx->db, on_problem, &pr);
	if (n != 0)
		fail_msg("check found %zu problem(s), the first: %s: %s", n,
		         pr.subjects.v[0], pr.texts.v[0]);
	problems_free(&pr);
	assert_object(fx->db, "ext.o", "object", "PyInit_foo");
	assert_object(fx->db, "uinit.o", "object", "PyInitU_spam_abcdef");
	assert_object(fx->db, "libhelp.a", "archive", "helper");
	assert_object(fx->db, "libdep.so", "shared", "dep_fn");
	assert_int_equal(linkdb_link_inits(fx->db, lid, &names, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	linkdb_close(r.other);
}

TEST(test_gc_between_known_and_insert)
{
	gc_between_known_and_insert(fx, 3600);
}

TEST(test_gc_between_known_and_insert_min_age_0)
{
	gc_between_known_and_insert(fx, 0);
}

/* gc --min-age 0, then the build rewrites ext.o with other content. */
static void
act_gc_then_rewrite(struct race *r)
{
	act_gc(r);
	put_text("ext.o", "not the object that was stored\n");
}

/*
 * gc removed a writer's stored file before its transaction, and the input
 * it came from no longer has that content: the record fails, saying so,
 * and leaves nothing behind.
 */
TEST(test_gc_removed_file_and_input_changed)
{
	const char *sources[] = { "ext.c" };
	struct linkdb_compile c = {
		.cwd = fx->dir, .argc = COMPILE_ARGC, .argv = compile_argv,
		.language = "c", .nsources = 1, .sources = sources, .output = "ext.o",
	};
	struct race r = { .point = "begin", .act = act_gc_then_rewrite, .fx = fx };
	struct linkdb_counts counts;

	compile_c(fx, "ext", ext_c);
	r.at = fx->db;
	r.other = second_handle(fx);
	race_arm(&r);
	assert_int_equal(linkdb_add_compile(fx->db, 0, &c, NULL), -1);
	race_disarm();
	assert_int_equal(r.fired, 1);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.gs.files_removed, 1);
	assert_contains(linkdb_errmsg(fx->db), "ext.o");
	assert_contains(linkdb_errmsg(fx->db), "the file changed while it was being recorded");
	assert_int_equal(linkdb_counts(fx->db, &counts), 0);
	assert_int_equal(counts.compiles + counts.objects + counts.store_files, 0);
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);
	linkdb_close(r.other);
}

/*
 * gc has found a store file without an object row and old enough to go;
 * before it removes the file, a writer finds that content already stored,
 * refreshes the file and commits a record naming it.  gc must keep it.
 */
static void
gc_keeps_refreshed_file(struct fx *fx, double min_age)
{
	char hex[LINKDB_HASH_HEX + 1];
	struct race r = { .point = "gc-candidate", .act = act_record_compile, .fx = fx };
	struct linkdb_gc_stats gs;
	struct problems pr = { 0 };
	size_t len;
	char *content, *sp, *dir;
	int n;

	compile_c(fx, "ext", ext_c);
	file_hash("ext.o", hex);
	sp = linkdb_store_path(fx->db, hex);
	dir = util_dirname(sp);
	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	content = slurp("ext.o", &len);
	put_file(sp, content, len);
	set_age(sp, 7200);              /* an orphan, long untouched */

	r.at = second_handle(fx);       /* gc runs on this one */
	r.other = fx->db;               /* the writer */
	r.arg = sp;
	race_arm(&r);
	assert_int_equal(linkdb_gc(r.at, false, min_age, &gs), 0);
	race_disarm();
	assert_int_equal(r.fired, 1);   /* the writer did come in between */
	if (r.rc != 0)
		fail_msg("the writer beside gc failed: %s", r.err);
	n = linkdb_check(fx->db, on_problem, &pr);
	if (n != 0)
		fail_msg("check found %d problem(s), the first: %s: %s", n,
		         pr.subjects.v[0], pr.texts.v[0]);
	problems_free(&pr);
	assert_int_equal(gs.files_removed, 0);
	assert_true(util_is_file(sp));
	assert_object(fx->db, "ext.o", "object", "PyInit_foo");
	linkdb_close(r.at);
	free(content);
	free(dir);
	free(sp);
}

TEST(test_gc_keeps_refreshed_file)
{
	gc_keeps_refreshed_file(fx, 3600);
}

TEST(test_gc_keeps_refreshed_file_min_age_0)
{
	gc_keeps_refreshed_file(fx, 0);
}

/* gc, a dry run and then a real one with min_age 0, while a writer's
 * temporary is written and not yet renamed into place. */
static void
act_gc_temps(struct race *r)
{
	struct linkdb_gc_stats dry;

	r->rc = linkdb_gc(r->other, true, 0, &dry);
	if (r->rc == 0)
		r->rc = linkdb_gc(r->other, false, 0, &r->gs);
	snprintf(r->err, sizeof(r->err), "%s", linkdb_errmsg(r->other));
	r->gs.temps_removed += dry.temps_removed;
	r->arg_kept = util_is_file(r->arg_seen);
}

/*
 * gc --min-age 0 removes abandoned temporaries, but never one a writer is
 * writing: the writer would find it gone at the rename (and, twice in a row,
 * fail its record).
 */
TEST(test_gc_leaves_temporaries_in_use)
{
	struct race r = { .point = "store-temp", .act = act_gc_temps, .fx = fx };
	struct linkdb_counts c;
	int64_t build = 0;
	char *tmpdir = xasprintf("%s/tmp", linkdb_store_dir(fx->db));

	compile_c(fx, "ext", ext_c);
	assert_int_equal(linkdb_begin_build(fx->db, "test", fx->dir, NULL, &build), 0);
	r.at = fx->db;
	r.other = second_handle(fx);
	race_arm(&r);
	record_ext_compile(fx, build);
	race_disarm();
	assert_int_equal(r.fired, 1);
	if (r.rc != 0)
		fail_msg("gc beside the writer failed: %s", r.err);
	assert_int_equal(r.gs.temps_removed, 0);
	assert_true(r.arg_kept);
	assert_int_equal(dir_entries(tmpdir), 0);       /* renamed into place */
	assert_object(fx->db, "ext.o", "object", "PyInit_foo");
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.store_files, 1);
	assert_int_equal(linkdb_check(fx->db, on_problem, &(struct problems){ 0 }), 0);

	/* An abandoned temporary (nobody holds its lock) does go. */
	char *old = xasprintf("%s/0123456789abcdef.abandoned", tmpdir);
	put_text(old, "half a file");
	assert_int_equal(linkdb_gc(r.other, false, 0, &r.gs), 0);
	assert_int_equal(r.gs.temps_removed, 1);
	assert_false(util_is_file(old));
	linkdb_close(r.other);
	free(old);
	free(tmpdir);
}

/*
 * A dry run only reads: a writer records while it walks the store, without
 * waiting for it.  Its counts are still those of a real run.
 */
TEST(test_gc_dry_run_lets_writers_in)
{
	char hd[LINKDB_HASH_HEX + 1];
	struct race r = { .point = "gc-candidate", .act = act_record_compile, .fx = fx };
	struct linkdb_gc_stats gs;
	struct linkdb_counts c;
	char *pd, *dir;

	compile_c(fx, "ext", ext_c);
	/* An orphan store file for the dry run to find. */
	linkdb_hash_buffer("object d\n", 9, hd);
	pd = linkdb_store_path(fx->db, hd);
	dir = util_dirname(pd);
	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	put_text(pd, "object d\n");
	set_age(pd, 7200);

	r.at = second_handle(fx);       /* the dry run */
	r.other = fx->db;               /* the writer */
	race_arm(&r);
	assert_int_equal(linkdb_gc(r.at, true, 3600, &gs), 0);
	race_disarm();
	assert_int_equal(r.fired, 1);
	if (r.rc != 0)
		fail_msg("a writer could not record during a dry run: %s", r.err);
	assert_int_equal(gs.files_removed, 1);
	assert_int_equal(gs.bytes_removed, 9);
	assert_true(util_is_file(pd));
	assert_int_equal(linkdb_counts(fx->db, &c), 0);
	assert_int_equal(c.compiles, 1);
	linkdb_close(r.at);
	free(dir);
	free(pd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_gc),
		T(test_gc_between_known_and_insert),
		T(test_gc_between_known_and_insert_min_age_0),
		T(test_gc_removed_file_and_input_changed),
		T(test_gc_keeps_refreshed_file),
		T(test_gc_keeps_refreshed_file_min_age_0),
		T(test_gc_dry_run_lets_writers_in),
		T(test_gc_leaves_temporaries_in_use),
	};

	return linkdb_test_run("linkdb_gc", tests, countof(tests));
}

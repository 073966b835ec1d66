/*
 * pydist.c: one distribution build, from a source to a cached directory,
 * step by step (internal.h names the file of each step):
 *   1. source: Debian's python3.X source package (3.11, 3.13, 3.14), or the
 *      .dsc, tarball or tree the user gives (3.11 to 3.14), identified and
 *      hashed into the cache key;
 *   2. unpack, then pyweld's adjustments to the tree (Debian's policy for
 *      its system python undone, a build guard, changes for speed);
 *   3-5. configure, make -jN and make install, through the wrappers, so
 *      that every compile and shared link is recorded;
 *   5b. LTO: libpython3.X.a optimised into one object of machine code;
 *   5c. the standard library's regexes precompiled, then the standard
 *      library deep-frozen for welds;
 *   6. record: the new interpreter checked, its modules recorded.
 * (docs/distribution.md says why for each step.)
 *
 * Invariants: the build runs in a work directory of its own, locked for
 * its life; COMPLETE is written only after everything else is on disk,
 * and the directory is then renamed to <cache>/python/<key>.  A build that
 * fails leaves its log as <key>.failed.log and nothing a later call would
 * trust.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *
pydist_phase_name(enum pydist_phase p)
{
	static const char *const n[] = {
		"fetch source", "unpack", "configure", "make", "make install",
		"link-time optimisation", "deep-freeze", "record",
	};
	return (unsigned)p < PYDIST__PHASES ? n[p] : "?";
}

static void
fill_result(struct pydist_result *res, const char *dir, const char *version)
{
	res->dir = xstrdup(dir);
	res->prefix = util_path_join(dir, "prefix");
	res->python = xasprintf("%s/prefix/bin/python%s", dir, version);
	res->version = xstrdup(version);
	res->db = util_path_join(dir, "dist.linkdb");
	res->log = util_path_join(dir, "build.log");
}

/* The work directory made and locked, with the build's log in it. */
static int
start_work(struct pydist_job *j)
{
	pydist_sweep_stale(j);
	if (pydist_make_work(j) < 0)
		return -1;
	/* From here the log lives in the work directory. */
	if (j->logfd >= 0)
		close(j->logfd);
	free(j->log);
	j->log = util_path_join(j->work, "build.log");
	j->logfd = open(j->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (j->logfd < 0)
		return pydist_fail(j, "cannot write the log '%s': %s", j->log, strerror(errno));
	pydist_log(j, "pyweld: building CPython from %s (key %s)", j->source, j->key);
	j->src = util_path_join(j->work, "src");
	j->build = util_path_join(j->work, "build");
	j->destdir = util_path_join(j->work, "destdir");
	j->prefix = util_path_join(j->work, "prefix");
	return 0;
}

/* The recipe's steps, in order, in the work directory. */
static int
run_steps(struct pydist_job *j)
{
	char jobs[32];

	pydist_jobs_flag(j, jobs, sizeof(jobs));
	if (pydist_unpack(j) < 0 || pydist_adjust(j) < 0 ||
	    pydist_configure_make_install(j) < 0 ||
	    (!j->o->no_lto && pydist_lto_libpython(j) < 0) ||
	    pydist_freeze_stdlib(j, jobs) < 0 || pydist_record(j) < 0)
		return -1;
	if (!j->o->keep_build) {
		util_remove_tree(j->src);
		util_remove_tree(j->build);
	}
	util_remove_tree(j->destdir);
	return 0;
}

/* The work directory made the distribution: COMPLETE, then renamed to its
 * key (or dropped when another build of the same inputs got there first). */
static int
finish(struct pydist_job *j)
{
	/* Everything on disk before the marker that says it is: after a
	 * power failure a COMPLETE distribution is a whole one. */
	int wfd = open(j->work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (wfd < 0 || syncfs(wfd) < 0) {
		pydist_fail(j, "cannot sync '%s' to disk: %s", j->work, strerror(errno));
		if (wfd >= 0)
			close(wfd);
		return -1;
	}
	close(wfd);
	char *marker = util_path_join(j->work, "COMPLETE");
	if (util_write_atomic(marker, j->key, strlen(j->key), 0644, true) < 0) {
		pydist_fail(j, "cannot write '%s': %s", marker, strerror(errno));
		free(marker);
		return -1;
	}
	free(marker);
	if (rename(j->work, j->final) < 0) {
		if (pydist_complete(j->final)) {
			/* Another build of the same inputs finished first: use it. */
			util_remove_tree(j->work);
		} else {
			util_remove_tree(j->final);
			if (rename(j->work, j->final) < 0)
				return pydist_fail(j, "cannot move '%s' to '%s': %s", j->work, j->final,
				                   strerror(errno));
		}
	}
	util_fsync_dir(j->final);
	char *lock = util_path_join(j->final, PYDIST_WORK_LOCK);
	unlink(lock);
	free(lock);
	return 0;
}

/* After a failure: keep the log where the user can read it; drop the
 * half-built tree.  The tree goes first (a full disk is a common cause),
 * and the log is renamed, which needs no space. */
static void
keep_failure_log(struct pydist_job *j)
{
	char *kept;

	if (!j->work || !j->log)
		return;
	kept = xasprintf("%s/%s.failed.log", j->pydir, j->key);
	if (!j->o->keep_build) {
		util_remove_tree(j->src);
		util_remove_tree(j->build);
		util_remove_tree(j->destdir);
		util_remove_tree(j->prefix);
	}
	if (rename(j->log, kept) == 0) {
		free(j->log);
		j->log = kept;
	} else {
		free(kept);
	}
	if (!j->o->keep_build)
		util_remove_tree(j->work);
	if (!j->o->keep_build && !util_is_file(j->log)) {
		free(j->log);
		j->log = NULL;
	}
}

int
pydist_build(const struct pydist_options *o, const struct pydist_progress *p,
             struct pydist_result *res, char *err, size_t errlen)
{
	struct pydist_job j = { .o = o, .p = p, .err = err, .errlen = errlen, .logfd = -1,
	                        .lockfd = -1 };
	double t0 = util_now();
	int rc = -1;

	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	j.cache = pydist_cache_root(o->cache, true, err, errlen, NULL, 0);
	if (!j.cache)
		goto out;
	j.pydir = util_path_join(j.cache, "python");
	if (util_mkdir_p(j.pydir, 0755) < 0) {
		pydist_fail(&j, "cannot create the cache '%s': %s", j.pydir, strerror(errno));
		goto out;
	}
	/* A log for the fetch, before the key (and work directory) is known. */
	j.log = util_path_join(j.pydir, "fetch.log");
	j.logfd = open(j.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (pydist_identify(&j) < 0)
		goto out;
	pydist_make_key(&j);
	j.final = util_path_join(j.pydir, j.key);
	if (!o->force && pydist_complete(j.final)) {
		fill_result(res, j.final, j.pyver);
		res->cached = true;
		res->seconds = util_now() - t0;
		pydist_set_current(&j);
		rc = 0;
		goto out;
	}
	if (start_work(&j) < 0)
		goto out;
	if (run_steps(&j) < 0)
		goto failed;
	pydist_log(&j, "pyweld: built in %.0f s", util_now() - t0);
	if (finish(&j) < 0)
		goto failed;
	pydist_set_current(&j);
	fill_result(res, j.final, j.pyver);
	res->seconds = util_now() - t0;
	rc = 0;
	goto out;

failed:
	keep_failure_log(&j);
	res->log = j.log ? xstrdup(j.log) : NULL;
out:
	if (j.logfd >= 0)
		close(j.logfd);
	if (j.lockfd >= 0)
		close(j.lockfd);     /* the build is over: its directory is gone or final */
	free(j.cache); free(j.pydir); free(j.source); free(j.final); free(j.work);
	free(j.src); free(j.build); free(j.destdir); free(j.prefix); free(j.log);
	free(j.py_version); free(j.deb_version);
	strvec_free(&j.adjustments);
	strvec_free(&j.configure_args);
	return rc;
}

void
pydist_result_free(struct pydist_result *res)
{
	free(res->dir);
	free(res->prefix);
	free(res->python);
	free(res->db);
	free(res->log);
	free(res->version);
	memset(res, 0, sizeof(*res));
}

/*
 * build_reuse.c: the build cache of the install step (docs/buildcache.md).
 *
 * A requirement that names a local sdist by an absolute path is built
 * alone (pip wheel, its records under a build record of their own) and
 * kept in <cache>/builds/<2 hex>/<key>/ with the wheel and those records;
 * a later build with the same key installs the wheel and copies the
 * records into its link database instead of building.  The install then
 * gets the wheels in place of the sdists.  Every failure of the cache is
 * a miss with a note: it costs the build it would have saved, never the
 * build itself.
 */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "itg.h"

extern char **environ;

#define ENTRY_FORMAT "pyweld build cache entry 1"
#define ENTRY_DB "records.linkdb"

/* One local sdist of the requirements. */
struct item {
	char *sdist;                    /* absolute */
	char *name, *version;           /* from its file name */
	char key[LINKDB_HASH_HEX + 1];  /* "" when its key could not be made */
	char *wheel;                    /* in the work directory, once there */
	bool given;                     /* its wheel is in the install's specs */
};

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/*
 * Whether s (n bytes) starts with a letter or digit and holds nothing but
 * those and the bytes of more: what a distribution's name, its version or
 * a wheel's file name holds.  Nothing else reaches pip's --only-binary
 * (where ',' or ':all:' would mean more), a requirements line or the
 * progress.
 */
static bool
plain_word(const char *s, size_t n, const char *more)
{
	size_t ok = 0;

	if (!n || !s[0] || !strchr(ALNUM, s[0]))
		return false;
	while (ok < n && s[ok] && (strchr(ALNUM, s[ok]) || strchr(more, s[ok])))
		ok++;
	return ok == n;
}

/* "name" and "version" of "name-version.tar.gz" (false when not so named). */
static bool
sdist_name(const char *path, char **name, char **version)
{
	static const char *const exts[] = { ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz",
	                                    NULL };
	const char *base = util_basename(path), *dash;
	size_t n = 0;

	for (size_t i = 0; exts[i] && !n; i++)
		if (util_ends_with(base, exts[i]))
			n = strlen(base) - strlen(exts[i]);
	dash = n ? memrchr(base, '-', n) : NULL;
	if (!dash || !plain_word(base, (size_t)(dash - base), "._-") ||
	    !plain_word(dash + 1, n - (size_t)(dash - base) - 1, "._+!-"))
		return false;
	*name = xasprintf("%.*s", (int)(dash - base), base);
	*version = xasprintf("%.*s", (int)(n - (size_t)(dash - base) - 1), dash + 1);
	return true;
}

static void
add_item(struct item **items, size_t *n, const char *path)
{
	char *name, *version;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*items)[i].sdist, path))
			return;
	if (path[0] != '/' || strpbrk(path, " \t\r\n;#") || !util_is_file(path) ||
	    !sdist_name(path, &name, &version))
		return;
	*items = xreallocarray(*items, *n + 1, sizeof(**items));
	(*items)[(*n)++] = (struct item){ .sdist = xstrdup(path), .name = name,
	                                   .version = version };
}

/*
 * Only a plain requirements file is copied without its sdists: in a copy
 * elsewhere, what a -r or a relative path in it names could be another
 * file.
 */
bool
cli_build_requirement_lines(const char *file, struct strvec *lines)
{
	char *text = NULL, *save = NULL;
	bool plain = true;

	if (util_read_file(file, &text, NULL) < 0)
		return false;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(l);

		while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
			l[--n] = '\0';
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '-' || (n && l[strlen(l) - 1] == '\\') ||
		    (*l != '#' && *l != '/' && strchr(l, '/') && !strstr(l, "://")))
			plain = false;
		strvec_push(lines, l);
	}
	free(text);
	return plain;
}

/* pip's command line building it's wheel into out. */
static void
wheel_argv(const struct cli_build *b, const struct item *it, const char *out,
           struct strvec *av)
{
	strvec_push_owned(av, util_path_join(b->venv, "bin/python"));
	strvec_push(av, "-m");
	strvec_push(av, "pip");
	strvec_push(av, "wheel");
	strvec_push(av, "--no-deps");
	cli_build_pip_options(av, cli_build_tools);
	strvec_push(av, "-w");
	strvec_push(av, out);
	strvec_push(av, it->sdist);
}

/* s with each whole path component run equal to work (followed by '/',
 * ':', '=', a space or the end) written as "<work>". */
static char *
without_work(const char *s, const char *work)
{
	struct strbuf sb = { 0 };
	size_t n = strlen(work);
	const char *p = s, *at;

	while ((at = strstr(p, work))) {
		char next = at[n];
		bool whole = !next || strchr("/:= ", next);
		strbuf_add(&sb, p, (size_t)(at - p) + (whole ? 0 : n));
		if (whole)
			strbuf_adds(&sb, "<work>");
		p = at + n;
	}
	strbuf_adds(&sb, p);
	if (sb.failed)
		util_fatal("out of memory");
	return strbuf_detach(&sb);
}

/*
 * pyweld's part of it's build, into k: pip's command line and the variables
 * of the build's environment that pyweld set or changed (the shims, the
 * venv, pip's settings, --env), the work directory's path and the build's
 * record id left out.  The caller's own variables are the key's through
 * cli_build_vars.  So a pyweld rebuilt that hands pip the same reuses the
 * builds kept before.
 */
static void
key_add_pip(struct cli_build *b, const struct item *it, struct itg_key *k)
{
	struct strvec av = { 0 }, env = { 0 };

	wheel_argv(b, it, "<out>", &av);
	for (size_t i = 0; i < av.n; i++) {
		char *v = without_work(av.v[i], b->work);
		itg_key_add(k, "pip", v);
		free(v);
	}
	cli_build_install_env(b, it->name, &env);
	for (size_t i = 0; i < env.n; i++) {
		bool theirs = false;
		for (char **e = environ; e && *e && !theirs; e++)
			theirs = !strcmp(*e, env.v[i]);
		if (theirs || util_starts_with(env.v[i], "PYWELD_BUILD="))
			continue;
		char *v = without_work(env.v[i], b->work);
		itg_key_add(k, "pip's environment", v);
		free(v);
	}
	if (av.failed || env.failed)
		util_fatal("out of memory");
	strvec_free(&av);
	strvec_free(&env);
}

/* The key of an item: everything that could change the build's result. */
static void
item_key(struct cli_build *b, struct item *it)
{
	struct itg_key k;

	char *shim = cli_shim_exe();

	/* Not pyweld's own file (itg_key_init's): what of pyweld reaches the
	 * build is in key_add_pip, and the wrapper that writes the records is
	 * here by content. */
	itg_key_init_plain(&k, "build-reuse 2");
	itg_key_add_file(&k, "pyweld-cc", shim);
	free(shim);
	key_add_pip(b, it, &k);
	itg_key_add_file(&k, "sdist", it->sdist);
	itg_key_add(&k, "sdist name", util_basename(it->sdist));
	itg_key_add(&k, "distribution", b->dist);
	itg_key_add_stat(&k, "python", b->python);
	itg_key_add(&k, "build tools", cli_build_tools);
	for (size_t i = 0; cli_build_vars[i]; i++) {
		const char *v = getenv(cli_build_vars[i]);
		itg_key_add(&k, cli_build_vars[i], v ? v : "(unset)");
	}
	for (int t = 0; t < CCSHIM_TOOL__COUNT; t++)
		for (char **w = b->shims.conf.tool[t]; w && *w; w++)
			itg_key_add_stat(&k, "tool", *w);
	for (size_t i = 0; i < CCSHIM_NSHIM_NAMES; i++)
		for (char **w = b->shims.conf.named[i]; w && *w; w++)
			itg_key_add_stat(&k, ccshim_shim_names[i], *w);
	if (!itg_key_hex(&k, it->key))
		it->key[0] = '\0';
	itg_key_free(&k);
}

static char *
entry_dir(const struct cli_build *b, const char *key)
{
	return xasprintf("%s/builds/%.2s/%s", b->cache_root, key, key);
}

/* The value of "name=" in an entry's info text, or NULL. */
static char *
info_value(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == '=') {
			const char *end = strchr(l + n + 1, '\n');
			return end ? xasprintf("%.*s", (int)(end - l - n - 1), l + n + 1) : NULL;
		}
	return NULL;
}

/*
 * The entry of it->key, when whole: its wheel copied into the work
 * directory, its records into the build's link database.  1 (hit), 0 (no
 * entry), -1 (damaged: why says what), -2 (the entry may be whole, but this
 * build could not take it: the work directory or its link database failed;
 * why says what).
 */
static int
try_reuse(struct cli_build *b, struct item *it, char *why, size_t whylen)
{
	char *dir = entry_dir(b, it->key), *info = util_path_join(dir, "info"), *text = NULL;
	char *wheel = NULL, *hash = NULL, *built = NULL, *key = NULL, *src = NULL, *data = NULL;
	char *db = util_path_join(dir, ENTRY_DB), got[LINKDB_HASH_HEX + 1], when[64];
	size_t len = 0;
	int64_t id, t = 0;
	int rc = -1;

	if (!util_is_dir(dir)) {
		rc = 0;
		goto out;
	}
	if (util_read_file(info, &text, NULL) < 0 || !util_starts_with(text, ENTRY_FORMAT "\n") ||
	    !(wheel = info_value(text, "wheel")) || !(hash = info_value(text, "wheel-sha256")) ||
	    !(built = info_value(text, "built")) || !(key = info_value(text, "key")) ||
	    strcmp(key, it->key) || !plain_word(wheel, strlen(wheel), "._+!-") ||
	    !util_ends_with(wheel, ".whl") ||
	    !util_parse_i64(built, &t)) {
		snprintf(why, whylen, "its info file is missing or damaged");
		goto out;
	}
	src = util_path_join(dir, wheel);
	if (util_read_file(src, &data, &len) < 0) {
		snprintf(why, whylen, "cannot read its wheel: %s", strerror(errno));
		goto out;
	}
	linkdb_hash_buffer(data, len, got);
	if (strcmp(got, hash)) {
		snprintf(why, whylen, "its wheel '%s' is damaged (SHA-256 %.12s..., not %.12s...)",
		         wheel, got, hash);
		goto out;
	}
	it->wheel = xasprintf("%s/reused/%s", b->work, wheel);
	{
		char *d = util_dirname(it->wheel);
		if (!d || util_mkdir_p(d, 0755) < 0 ||
		    util_write_atomic(it->wheel, data, len, 0644, false) < 0) {
			snprintf(why, whylen, "cannot write '%s': %s", it->wheel, strerror(errno));
			free(d);
			rc = -2;
			goto out;
		}
		free(d);
	}
	if (linkdb_begin_build(b->appdb, "build-cache", b->work, it->sdist, &id) < 0) {
		snprintf(why, whylen, "this build's link database: %s", linkdb_errmsg(b->appdb));
		rc = -2;
		goto out;
	}
	if (linkdb_copy_build(b->appdb, db, -1, id) < 0) {
		snprintf(why, whylen, "its records: %s", linkdb_errmsg(b->appdb));
		goto out;
	}
	{
		time_t tt = (time_t)t;
		struct tm tm;
		/* a time gmtime cannot break down is no reason to build again */
		if (!gmtime_r(&tt, &tm) ||
		    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm))
			snprintf(when, sizeof(when), "an unknown time");
	}
	cli_build_note(b, "%s %s: reused the build of %s", it->name, it->version, when);
	utimensat(AT_FDCWD, dir, NULL, 0);      /* used: the last the pruning takes */
	rc = 1;
out:
	if (rc < 0 && it->wheel) {
		unlink(it->wheel);
		free(it->wheel);
		it->wheel = NULL;
	}
	free(dir);
	free(info);
	free(text);
	free(wheel);
	free(hash);
	free(built);
	free(key);
	free(src);
	free(data);
	free(db);
	return rc;
}

/* The one wheel pip wheel wrote into dir (malloc'd path), or NULL. */
static char *
find_wheel(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;
	int n = 0;

	while (d && (e = readdir(d)))
		if (util_ends_with(e->d_name, ".whl") && n++ == 0)
			found = util_path_join(dir, e->d_name);
	if (d)
		closedir(d);
	if (n != 1) {
		free(found);
		return NULL;
	}
	return found;
}

/* Keeps the wheel and the records of build id as it->key's entry. */
static int
store_entry(struct cli_build *b, struct item *it, int64_t id, char *why, size_t whylen)
{
	char *tmp = xasprintf("%s/builds/tmp/entry-XXXXXX", b->cache_root);
	char *final = entry_dir(b, it->key), *parent = util_dirname(tmp), *fparent = NULL;
	char *db = NULL, *data = NULL, *info = NULL, *whl = NULL, hex[LINKDB_HASH_HEX + 1];
	struct linkdb *edb = NULL;
	struct strbuf sb = { 0 };
	size_t len = 0;
	int64_t eid;
	int rc = -1;

	if (!parent || util_mkdir_p(parent, 0700) < 0 || !mkdtemp(tmp)) {
		snprintf(why, whylen, "cannot create a directory in '%s': %s", parent, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	db = util_path_join(tmp, ENTRY_DB);
	if (linkdb_open(&edb, db, LINKDB_CREATE) < 0 ||
	    linkdb_begin_build(edb, "build", b->work, it->sdist, &eid) < 0 ||
	    linkdb_copy_build(edb, b->appdb_path, id, eid) < 0) {
		snprintf(why, whylen, "%s", edb ? linkdb_errmsg(edb) : "out of memory");
		goto out;
	}
	linkdb_close(edb);
	edb = NULL;
	whl = util_path_join(tmp, util_basename(it->wheel));
	if (util_read_file(it->wheel, &data, &len) < 0 ||
	    util_write_atomic(whl, data, len, 0644, false) < 0) {
		snprintf(why, whylen, "cannot copy '%s': %s", it->wheel, strerror(errno));
		goto out;
	}
	linkdb_hash_buffer(data, len, hex);
	strbuf_addf(&sb, ENTRY_FORMAT "\nname=%s\nversion=%s\nsdist=%s\nwheel=%s\n"
	            "wheel-sha256=%s\nbuilt=%lld\nkey=%s\n", it->name, it->version,
	            util_basename(it->sdist), util_basename(it->wheel), hex, (long long)time(NULL),
	            it->key);
	info = util_path_join(tmp, "info");
	if (sb.failed || util_write_atomic(info, sb.s, sb.len, 0644, false) < 0) {
		snprintf(why, whylen, "cannot write '%s': %s", info, strerror(errno));
		goto out;
	}
	fparent = util_dirname(final);
	if (!fparent || util_mkdir_p(fparent, 0700) < 0) {
		snprintf(why, whylen, "cannot create '%s': %s", fparent, strerror(errno));
		goto out;
	}
	if (rename(tmp, final) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			snprintf(why, whylen, "cannot rename '%s' to '%s': %s", tmp, final,
			         strerror(errno));
			goto out;
		}
		/* another build kept the same one first */
	} else {
		free(tmp);
		tmp = NULL;
	}
	rc = 0;
out:
	linkdb_close(edb);
	if (tmp)
		util_remove_tree(tmp);
	strbuf_free(&sb);
	free(tmp);
	free(final);
	free(parent);
	free(fparent);
	free(db);
	free(data);
	free(info);
	free(whl);
	return rc;
}

/* pip builds it->sdist's wheel alone, its records under a build of their own. */
static void
build_item(struct cli_build *b, struct item *it, size_t n)
{
	struct strvec av = { 0 }, env = { 0 };
	char *out = xasprintf("%s/built/%zu", b->work, n), why[1024];
	int64_t id;
	int rc;

	if (util_mkdir_p(out, 0755) < 0)
		cli_build_die(b, "cannot create '%s':", out);
	if (linkdb_begin_build(b->appdb, "build", b->work, it->sdist, &id) < 0)
		cli_build_die(b, "%s", linkdb_errmsg(b->appdb));
	wheel_argv(b, it, out, &av);
	cli_build_install_env(b, it->name, &env);
	for (size_t i = 0; i < env.n; i++)
		if (util_starts_with(env.v[i], "PYWELD_BUILD=")) {
			free(env.v[i]);
			env.v[i] = xasprintf("PYWELD_BUILD=%lld", (long long)id);
		}
	rc = cli_build_run(b, strvec_cargv(&av), strvec_cargv(&env), b->work);
	strvec_free(&av);
	strvec_free(&env);
	if (rc != 0)
		cli_build_pip_failed(b, rc);
	if (!(it->wheel = find_wheel(out)))
		cli_build_die(b, "pip wheel built no single wheel of '%s' in '%s'", it->sdist, out);
	free(out);
	if (!it->key[0])
		return;
	if (store_entry(b, it, id, why, sizeof(why)) < 0)
		cli_build_note(b, "%s %s: built, not kept for reuse (%s)", it->name, it->version,
		               why);
	else
		cli_build_note(b, "%s %s: built and kept for reuse", it->name, it->version);
}

/*
 * Writes a copy of a requirements file without its sdists' lines; their
 * wheels go into specs, pip's command line, where no requirements line's
 * reading (a comment after white space, ${NAME}) changes the work
 * directory's path.
 */
static char *
rewrite_requirements(struct cli_build *b, const struct strvec *lines, struct item *items,
                     size_t n, size_t which, struct strvec *specs)
{
	struct strbuf sb = { 0 };
	char *path = xasprintf("%s/requirements-%zu.txt", b->work, which);

	for (size_t l = 0; l < lines->n; l++) {
		size_t i = 0;
		while (i < n && strcmp(lines->v[l], items[i].sdist))
			i++;
		if (i == n) {
			strbuf_addf(&sb, "%s\n", lines->v[l]);
		} else if (!items[i].given) {
			strvec_push(specs, items[i].wheel);
			items[i].given = true;
		}
	}
	if (sb.failed || util_write_atomic(path, sb.s, sb.len, 0644, false) < 0)
		cli_build_die(b, "cannot write '%s':", path);
	strbuf_free(&sb);
	return path;
}

/*
 * <work>/build-cache.tsv: for each wheel the install gets in place of an
 * sdist, "WHEEL<TAB>SDIST<TAB>SDIST'S SHA-256", so that what reads pip's
 * install report (which names the wheel) can name the sdist instead.
 */
static void
write_sources(struct cli_build *b, const struct item *items, size_t n)
{
	struct strbuf sb = { 0 };
	char *path = util_path_join(b->work, "build-cache.tsv"), hex[LINKDB_HASH_HEX + 1];

	for (size_t i = 0; i < n; i++)
		if (!strpbrk(items[i].wheel, "\t\n") && linkdb_hash_file(items[i].sdist, hex) == 0)
			strbuf_addf(&sb, "%s\t%s\t%s\n", items[i].wheel, items[i].sdist, hex);
	if (sb.failed || util_write_atomic(path, sb.s ? sb.s : "", sb.len, 0644, false) < 0)
		cli_build_die(b, "cannot write '%s':", path);
	strbuf_free(&sb);
	free(path);
}

static void
free_item(struct item *it)
{
	free(it->sdist);
	free(it->name);
	free(it->version);
	free(it->wheel);
}

/*
 * Checks that each package's own --env (PKG:NAME=VALUE) names one of the
 * local sdists, which alone are built one by one; with --no-build-cache,
 * only those sdists are, the rest left to the install.  Returns how many
 * items are left.
 */
static size_t
own_settings(struct cli_build *b, struct item *items, size_t n)
{
	size_t kept = 0;

	for (size_t e = 0; e < b->o.env.n; e++) {
		const char *v = b->o.env.v[e];
		bool found = false;
		if (cli_build_env_for(v, NULL))
			continue;
		for (size_t i = 0; i < n && !found; i++)
			found = cli_build_env_for(v, items[i].name) != NULL;
		if (!found) {
			util_error("cannot apply --env '%s': no sdist of '%.*s' is among the "
			           "requirements", v, (int)strcspn(v, ":"), v);
			util_hint("a package's own setting is for the build of its sdist named by "
			          "path: 'pip download --no-binary :all: --no-deps %.*s==VERSION', "
			          "then give the file (-r, --pip-install)", (int)strcspn(v, ":"), v);
			exit(2);
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool own = false;
		for (size_t e = 0; e < b->o.env.n && !own; e++)
			own = !cli_build_env_for(b->o.env.v[e], NULL) &&
			      cli_build_env_for(b->o.env.v[e], items[i].name);
		if (b->o.no_build_cache && !own)
			free_item(&items[i]);
		else
			items[kept++] = items[i];
	}
	return kept;
}

void
cli_build_reuse(struct cli_build *b, struct cli_reuse *r)
{
	struct item *items = NULL;
	struct strvec *lines;
	bool *plain;
	size_t n = 0, nreq = b->o.requirements.n;

	lines = xcalloc(nreq + 1, sizeof(*lines));
	plain = xcalloc(nreq + 1, sizeof(*plain));
	for (size_t i = 0; i < b->o.pip_specs.n; i++)
		add_item(&items, &n, b->o.pip_specs.v[i]);
	for (size_t f = 0; f < nreq; f++) {
		char *abs = util_abspath(b->o.requirements.v[f]);
		plain[f] = cli_build_requirement_lines(abs, &lines[f]);
		for (size_t l = 0; plain[f] && l < lines[f].n; l++)
			add_item(&items, &n, lines[f].v[l]);
		free(abs);
	}
	n = own_settings(b, items, n);
	for (size_t i = 0; i < n; i++) {
		char why[1024];
		int hit;

		if (!b->o.no_build_cache)
			item_key(b, &items[i]);
		hit = items[i].key[0] ? try_reuse(b, &items[i], why, sizeof(why)) : 0;
		if (hit == -2)
			cli_build_note(b, "%s %s: cannot take its kept build (%s): building it "
			               "again, the kept build left as it is", items[i].name,
			               items[i].version, why);
		if (hit == -1) {
			cli_build_note(b, "%s %s: its kept build is not usable (%s): building it again",
			               items[i].name, items[i].version, why);
			char *dir = entry_dir(b, items[i].key), *builds;
			builds = util_path_join(b->cache_root, "builds");
			itg_cache_remove_entry(builds, dir);
			free(builds);
			free(dir);
		}
		if (hit <= 0)
			build_item(b, &items[i], i);
	}
	write_sources(b, items, n);
	strbuf_adds(&r->only_binary, cli_build_tools);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&r->only_binary, ",%s", items[i].name);
	for (size_t i = 0; i < b->o.pip_specs.n; i++) {
		const char *s = b->o.pip_specs.v[i];
		for (size_t k = 0; k < n; k++)
			if (!strcmp(s, items[k].sdist)) {
				s = items[k].wheel;
				items[k].given = true;
			}
		strvec_push(&r->specs, s);
	}
	for (size_t f = 0; f < nreq; f++) {
		bool has = false;
		for (size_t l = 0; plain[f] && l < lines[f].n; l++)
			for (size_t k = 0; k < n; k++)
				has |= !strcmp(lines[f].v[l], items[k].sdist);
		if (has)
			strvec_push_owned(&r->requirements,
			                  rewrite_requirements(b, &lines[f], items, n, f, &r->specs));
		else
			strvec_push_owned(&r->requirements, util_abspath(b->o.requirements.v[f]));
		strvec_free(&lines[f]);
	}
	if (r->only_binary.failed || r->specs.failed || r->requirements.failed)
		util_fatal("out of memory");
	for (size_t i = 0; i < n; i++)
		free_item(&items[i]);
	free(items);
	free(lines);
	free(plain);
}

/* path as a file:// URL, as pip writes one (bytes other than unreserved
 * ones and '/' as %XX). */
static char *
file_url(const char *path)
{
	struct strbuf sb = { 0 };

	strbuf_adds(&sb, "file://");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++)
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("-._~/", *c))
			strbuf_addc(&sb, (char)*c);
		else
			strbuf_addf(&sb, "%%%02X", *c);
	if (sb.failed)
		util_fatal("out of memory");
	return strbuf_detach(&sb);
}

/* The download_info pip would have written for the sdist: its file:// URL and
 * its SHA-256, in both of the forms pip's reports use. */
static json_t *
sdist_info(const char *sdist, const char *hex)
{
	char *url = file_url(sdist), *hash = xasprintf("sha256=%s", hex);
	json_t *o = json_pack("{s:s, s:{s:s, s:{s:s}}}", "url", url, "archive_info",
	                      "hash", hash, "hashes", "sha256", hex);

	free(url);
	free(hash);
	return o;
}

void
cli_build_reuse_report(struct cli_build *b)
{
	char *tsv = util_path_join(b->work, "build-cache.tsv");
	char *path = util_path_join(b->work, "pip-report.json"), *text = NULL, *save = NULL;
	json_t *report = NULL, *e;
	size_t i;
	bool changed = false;

	if (util_read_file(tsv, &text, NULL) < 0 || !text[0] ||
	    !(report = json_load_file(path, 0, NULL)))
		goto out;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sdist = strchr(l, '\t'), *hex = sdist ? strchr(sdist + 1, '\t') : NULL;
		char *wheel_url;
		if (!hex)
			continue;
		*sdist++ = '\0';
		*hex++ = '\0';
		wheel_url = file_url(l);
		json_array_foreach(json_object_get(report, "install"), i, e) {
			json_t *info = json_object_get(e, "download_info"), *neu;
			const char *url = json_string_value(json_object_get(info, "url"));
			if (url && !strcmp(url, wheel_url) && (neu = sdist_info(sdist, hex))) {
				json_object_set_new(e, "download_info", neu);
				changed = true;
			}
		}
		free(wheel_url);
	}
	if (changed) {
		char *out = json_dumps(report, JSON_INDENT(2));
		if (!out || util_write_atomic(path, out, strlen(out), 0644, false) < 0)
			util_warn("cannot write '%s' (the SBOM names the wheels built from local "
			          "sdists instead of the sdists):", path);
		free(out);
	}
out:
	json_decref(report);
	free(text);
	free(tsv);
	free(path);
}

/*
 * cmd_inspect.c: `pyweld inspect APP`, what is inside a welded binary.
 *
 * The answer comes from APP alone: the manifest the weld wrote into its
 * .pyweld.manifest section (inittab-gen/manifest.c reads it back), with no
 * link database, no cache and no distribution, so a binary copied to
 * another machine answers as well.  The text is for people (every string
 * from the manifest printed with its control characters replaced: package
 * metadata must not drive the terminal); --json prints the manifest itself.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "itg.h"

static const char usage[] =
	"usage: pyweld inspect [--json | --sbom [--sbom-format spdx]] APP\n"
	"\n"
	"Says what is inside APP, a binary made by `pyweld build`: the versions of\n"
	"pyweld and CPython and where CPython's source came from (Debian's source\n"
	"package, its version and patch count), the entry point, the build's\n"
	"options, every Python distribution packed (name, version, licence, where\n"
	"it came from), every extension module (its package and the SHA-256 of each\n"
	"object it was linked from), every static library linked (its path, the\n"
	"Debian package and version that installed it, its licence and the\n"
	"extensions that use it) and the module blob's bytes per top-level package.\n"
	"\n"
	"The weld writes this manifest into APP's .pyweld.manifest section, which\n"
	"stripping keeps (a --library archive: its member pyweld.manifest); inspect\n"
	"reads APP alone (no cache, no link database), so a binary copied elsewhere\n"
	"answers too.\n"
	"\n"
	"options:\n"
	"  --json          print the manifest itself (JSON; docs/inspect.md says\n"
	"                  what each field holds)\n"
	"  --sbom          print the CycloneDX 1.5 JSON SBOM made from the manifest\n"
	"                  (the weld writes the same beside APP, as APP.cdx.json):\n"
	"                  CPython, the distributions (pkg:pypi PURLs), the static\n"
	"                  libraries (pkg:deb PURLs), the extension modules with\n"
	"                  their objects' SHA-256, and which uses which\n"
	"  --sbom-format FORMAT\n"
	"                  with --sbom (or alone): cyclonedx (the default) or spdx,\n"
	"                  an SPDX 2.3 JSON document of the same components and\n"
	"                  graph (what `pyweld build --sbom-format spdx` writes\n"
	"                  beside APP, as APP.spdx.json)\n"
	"  -h, --help      this help\n"
	"\n"
	"exit status: 0, 1 when APP cannot be read or holds no manifest (not ELF,\n"
	"not welded by pyweld, or damaged), 2 on a usage error.\n";

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A line "label: value" with value made safe. */
static void
field(const char *label, const char *value)
{
	char *v = cli_safe(value);

	printf("%-15s %s\n", label, v);
	free(v);
}

/* Adds a row of n cells, each made safe. */
static void
row(struct cli_table *t, const char *const *cells, size_t n)
{
	struct strvec v = { 0 };

	for (size_t i = 0; i < n; i++)
		strvec_push_owned(&v, cli_safe(cells[i]));
	cli_table_row(t, strvec_cargv(&v));
	strvec_free(&v);
}

/* The elements of a JSON array of strings joined by ", " (malloc'd). */
static char *
joined(json_t *a)
{
	struct strbuf sb = { 0 };
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		if (i)
			strbuf_adds(&sb, ", ");
		strbuf_adds(&sb, json_is_string(v) ? json_string_value(v) : "?");
	}
	return sb.s ? strbuf_detach(&sb) : xstrdup("-");
}

static void
print_head(const char *app, json_t *m)
{
	json_t *py = json_object_get(m, "python"), *src = json_object_get(py, "source");
	json_t *entry = json_object_get(m, "entry"), *o = json_object_get(m, "options");
	char *line;

	field("binary:", app);
	field("pyweld:", str(json_object_get(m, "pyweld"), "version"));
	line = str(src, "debian_version") ?
	       xasprintf("%s (Debian source package %s %s, %lld Debian patches)",
	                 str(py, "version"), str(src, "debian_package") ?
	                 str(src, "debian_package") : "?", str(src, "debian_version"),
	                 (long long)json_integer_value(json_object_get(src, "debian_patches")))
	       : xasprintf("%s (%s)", str(py, "version") ? str(py, "version") : "?",
	                   str(src, "kind") ? str(src, "kind") : "source unknown");
	field("python:", line);
	free(line);
	line = xasprintf("%s%s%s", str(entry, "kind") ? str(entry, "kind") : "?",
	                 str(entry, "value") ? " " : "",
	                 str(entry, "value") ? str(entry, "value") : "");
	field("entry point:", line);
	free(line);
	struct strbuf sb = { 0 };
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (json_is_true(v))
			strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", k);
		else if (json_array_size(v)) {
			char *j = joined(v);
			strbuf_addf(&sb, "%s%s=%s", sb.len ? ", " : "", k, j);
			free(j);
		}
	}
	field("options:", sb.len ? strbuf_str(&sb) : "(defaults)");
	strbuf_free(&sb);
}

static void
print_dists(json_t *m)
{
	json_t *a = json_object_get(m, "distributions"), *d;
	struct cli_table t;
	size_t i;

	printf("\ndistributions: %zu\n", json_array_size(a));
	if (!json_array_size(a))
		return;
	cli_table_init(&t, 4, (const char *[]){ "  name", "version", "licence", "from" });
	json_array_foreach(a, i, d) {
		char *name = xasprintf("  %s", str(d, "name") ? str(d, "name") : "?");
		row(&t, (const char *[]){ name, str(d, "version"), str(d, "licence"),
		    str(d, "direct_url") ? str(d, "direct_url") : str(d, "installer") }, 4);
		free(name);
	}
	cli_table_print(&t, stdout);
	cli_table_free(&t);
}

static void
print_exts(json_t *m)
{
	json_t *a = json_object_get(m, "extensions"), *e;
	struct cli_table t;
	size_t i;

	printf("\nextension modules: %zu\n", json_array_size(a));
	if (!json_array_size(a))
		return;
	cli_table_init(&t, 4, (const char *[]){ "  module", "package", "objects",
	               "libraries" });
	json_array_foreach(a, i, e) {
		char *name = xasprintf("  %s", str(e, "name") ? str(e, "name") : "?");
		char *objs = xasprintf("%zu", json_array_size(json_object_get(e, "objects")) +
		                       json_array_size(json_object_get(e, "archives")));
		char *pkg = xasprintf("%s %s", str(e, "package") ? str(e, "package") : "?",
		                      str(e, "version") ? str(e, "version") : "");
		char *libs = joined(json_object_get(e, "libraries"));
		row(&t, (const char *[]){ name, pkg, objs, libs }, 4);
		free(libs);
		free(pkg);
		free(objs);
		free(name);
	}
	cli_table_print(&t, stdout);
	cli_table_free(&t);
}

static void
print_libs(json_t *m)
{
	json_t *a = json_object_get(m, "libraries"), *l;
	struct cli_table t;
	size_t i;

	printf("\nstatic libraries: %zu\n", json_array_size(a));
	cli_table_init(&t, 5, (const char *[]){ "  library", "Debian package", "licence",
	               "used by", "path" });
	json_array_foreach(a, i, l) {
		json_t *deb = json_object_get(l, "debian");
		char *name = xasprintf("  %s", str(l, "name") ? str(l, "name") : "?");
		char *pkg = str(deb, "package") ? xasprintf("%s %s", str(deb, "package"),
		            str(deb, "version") ? str(deb, "version") : "?") : xstrdup("-");
		char *users = joined(json_object_get(l, "used_by"));
		row(&t, (const char *[]){ name, pkg, str(l, "licence"), users, str(l, "path") }, 5);
		free(users);
		free(pkg);
		free(name);
	}
	cli_table_print(&t, stdout);
	cli_table_free(&t);
	a = json_object_get(m, "shared_libraries");
	if (json_array_size(a)) {
		char *j = joined(a);
		field("\nshared objects:", j);
		free(j);
	}
}

/* The blob's bytes per distribution (the standard library's as one). */
static void
print_blob(json_t *m)
{
	json_t *blob = json_object_get(m, "blob"), *p, *sums = json_object(), *v;
	struct cli_table t;
	const char *k;
	size_t i;

	printf("\nmodule blob: %lld bytes (--json: per top-level name)\n",
	       (long long)json_integer_value(json_object_get(blob, "bytes")));
	json_array_foreach(json_object_get(blob, "packages"), i, p) {
		const char *d = str(p, "distribution") ? str(p, "distribution")
		                : "(standard library)";
		json_int_t had = json_integer_value(json_object_get(sums, d));
		json_object_set_new(sums, d, json_integer(had + json_integer_value(
		                    json_object_get(p, "bytes"))));
	}
	cli_table_init(&t, 2, (const char *[]){ "  distribution", "bytes" });
	json_object_foreach(sums, k, v) {
		char *name = xasprintf("  %s", k);
		char *bytes = xasprintf("%lld", (long long)json_integer_value(v));
		row(&t, (const char *[]){ name, bytes }, 2);
		free(bytes);
		free(name);
	}
	cli_table_print(&t, stdout);
	cli_table_free(&t);
	json_decref(sums);
}

/* Reports why APP cannot be inspected; returns 1. */
static int
cannot(const char *app, const char *why, const char *hint)
{
	char *a = cli_safe(app);

	util_error("cannot inspect '%s': %s", a, why);
	util_hint("%s", hint);
	free(a);
	return 1;
}

int
cli_cmd_inspect(int argc, char **argv)
{
	enum { OPT_JSON = 1, OPT_SBOM, OPT_SBOM_FORMAT };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "sbom", no_argument, NULL, OPT_SBOM },
		{ "sbom-format", required_argument, NULL, OPT_SBOM_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool as_json = false, as_sbom = false, spdx = false;
	char err[512], *text = NULL;
	json_error_t jerr;
	json_t *m;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: as_json = true; break;
		case OPT_SBOM: as_sbom = true; break;
		case OPT_SBOM_FORMAT:
			if (strcmp(optarg, "cyclonedx") && strcmp(optarg, "spdx"))
				util_usage_error("--sbom-format takes cyclonedx or spdx, not '%s'", optarg);
			as_sbom = true;
			spdx = !strcmp(optarg, "spdx");
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: util_usage_error("see 'pyweld inspect --help'");
		}
	}
	if (as_json && as_sbom)
		util_usage_error("'inspect' takes --json or --sbom, not both");
	if (optind + 1 != argc)
		util_usage_error("'inspect' takes one binary (see 'pyweld inspect --help')");
	const char *app = argv[optind];
	struct stat st;
	if (stat(app, &st) < 0)
		return cannot(app, strerror(errno), "give the path of a binary made by "
		              "'pyweld build'");
	if (!S_ISREG(st.st_mode))
		return cannot(app, S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular "
		              "file", "give the path of a binary made by 'pyweld build'");
	if (itg_manifest_read(app, &text, err, sizeof(err)) < 0)
		return cannot(app, err, util_starts_with(err, "its ") ? "the file changed after "
		              "the weld (or pyweld is older than the binary): rebuild it with "
		              "'pyweld build'" : "inspect reads executables made by 'pyweld "
		              "build' (and --library archives); one welded before pyweld wrote "
		              "manifests needs a rebuild");
	m = json_loads(text, 0, &jerr);
	if (!json_is_object(m) || json_integer_value(json_object_get(m, "manifest_version"))
	    != 1) {
		snprintf(err, sizeof(err), "its manifest is damaged (%s)", m ? "not a version 1 "
		         "manifest" : jerr.text);
		json_decref(m);
		free(text);
		return cannot(app, err, "rebuild APP with 'pyweld build'");
	}
	if (as_sbom) {
		const char *base = strrchr(app, '/');
		const char *name = base ? base + 1 : app;
		char *sbom = spdx ? itg_sbom_spdx(text, name, err, sizeof(err))
		             : itg_sbom_cyclonedx(text, name, err, sizeof(err));
		if (!sbom) {
			json_decref(m);
			free(text);
			return cannot(app, err, "rebuild APP with 'pyweld build'");
		}
		fputs(sbom, stdout);
		putchar('\n');
		free(sbom);
	} else if (as_json) {
		fputs(text, stdout);
		putchar('\n');
	} else {
		print_head(app, m);
		print_dists(m);
		print_exts(m);
		print_libs(m);
		print_blob(m);
	}
	json_decref(m);
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

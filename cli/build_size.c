/*
 * build_size.c: `pyweld build --size-report`, where APP's bytes are.
 *
 * The weld measures (inittab-gen/sizereport.c: the ELF sections, the final
 * link's map, the module blob's index); this file shows it, as text after
 * the summary or as JSON alone on stdout (--size-report=json; the summary
 * then goes to stderr).  Each view adds up: the sections and the link's
 * inputs to the file's size, the packed modules to the blob's size and the
 * deep-frozen modules' share of the link.
 */
#include "build.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itg.h"

/* The text view lists this many packed modules, then the rest as one row. */
#define MODULES_SHOWN 40

/* n with a comma between thousands, in buf. */
static const char *
thousands(char buf[32], uint64_t n)
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%" PRIu64, n), o = 0;

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* One view's rows: bytes, share of total, name (and kind). */
static void
print_view(const char *title, const struct itg_size_item *v, size_t n, uint64_t total,
           bool kinds)
{
	char b[32];

	printf("\n%s\n%15s %7s  %s\n", title, "bytes", "%", kinds ? "input (kind)" : "section");
	for (size_t i = 0; i < n; i++) {
		char *name = cli_safe(v[i].name);
		printf("%15s %6.1f%%  %s", thousands(b, v[i].bytes),
		       total ? 100.0 * (double)v[i].bytes / (double)total : 0.0, name);
		if (kinds)
			printf(" (%s)", v[i].kind);
		putchar('\n');
		free(name);
	}
	printf("%15s %6.1f%%  total\n", thousands(b, total), 100.0);
}

static void
print_modules(const struct itg_size_report *s)
{
	uint64_t total = s->blob_bytes + s->frozen_bytes, rest = 0;
	char b[5][32];

	printf("\npacked modules: the module blob (%s bytes) and the deep-frozen code "
	       "(%s bytes); bytecode and source are the bytes stored (most sources, and\n"
	       "the code of modules not imported at start, zlib-compressed)\n"
	       "%15s %13s %13s %13s %13s  %s\n", thousands(b[0], s->blob_bytes),
	       thousands(b[1], s->frozen_bytes), "bytes", "bytecode", "deep-frozen", "source",
	       "resources", "module, package's resources or metadata");
	for (size_t i = 0; i < s->nmodules; i++) {
		const struct itg_size_item *m = &s->modules[i];
		if (i >= MODULES_SHOWN) {
			rest += m->bytes;
			continue;
		}
		char *name = cli_safe(m->name);
		printf("%15s %13s %13s %13s %13s  %s", thousands(b[0], m->bytes),
		       thousands(b[1], m->code), thousands(b[2], m->frozen),
		       thousands(b[3], m->source), thousands(b[4], m->data), name);
		if (strcmp(m->kind, "module"))
			printf(" (%s)", m->kind);
		putchar('\n');
		free(name);
	}
	if (s->nmodules > MODULES_SHOWN)
		printf("%15s %13s %13s %13s %13s  %zu more (--size-report=json lists every one)\n",
		       thousands(b[0], rest), "", "", "", "", s->nmodules - MODULES_SHOWN);
	printf("%15s %13s %13s %13s %13s  total\n", thousands(b[0], total), "", "", "", "");
}

static json_t *
items_json(const struct itg_size_item *v, size_t n, bool modules)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:o, s:s, s:I}", "name", cli_json_string(v[i].name,
		                      strlen(v[i].name)), "kind", v[i].kind,
		                      "bytes", (json_int_t)v[i].bytes);
		if (o && modules) {
			json_object_set_new(o, "bytecode", json_integer((json_int_t)v[i].code));
			json_object_set_new(o, "deep_frozen", json_integer((json_int_t)v[i].frozen));
			json_object_set_new(o, "source", json_integer((json_int_t)v[i].source));
			json_object_set_new(o, "resources", json_integer((json_int_t)v[i].data));
		}
		json_array_append_new(a, o);
	}
	return a;
}

/* What pruning left out, as JSON: counts, bytes, names. */
static json_t *
pruned_json(const struct itg_size_report *s)
{
	json_t *names = json_array();

	for (size_t i = 0; names && i < s->pruned_names.n; i++)
		json_array_append_new(names, cli_json_string(s->pruned_names.v[i],
		                                              strlen(s->pruned_names.v[i])));
	return json_pack("{s:I, s:I, s:I, s:I, s:o}",
	                 "modules", (json_int_t)s->pruned_modules,
	                 "extension_modules", (json_int_t)s->pruned_exts,
	                 "resources", (json_int_t)s->pruned_resources,
	                 "bytes", (json_int_t)s->pruned_bytes, "names", names);
}

void
cli_build_size_report(const struct cli_build *b, const struct itg_size_report *s, bool json)
{
	char n[32];

	if (!s->file_bytes)
		return;         /* the weld said why (a warning) */
	if (json) {
		json_t *doc = json_pack("{s:o, s:I, s:I, s:I, s:o, s:o, s:o}", "file",
		                        cli_json_string(b->o.output, strlen(b->o.output)),
		                        "bytes", (json_int_t)s->file_bytes,
		                        "blob_bytes", (json_int_t)s->blob_bytes,
		                        "deep_frozen_bytes", (json_int_t)s->frozen_bytes,
		                        "sections", items_json(s->sections, s->nsections, false),
		                        "inputs", items_json(s->inputs, s->ninputs, false),
		                        "modules", items_json(s->modules, s->nmodules, true));
		if (doc && s->pruned)
			json_object_set_new(doc, "pruned", pruned_json(s));
		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(1)) < 0)
			util_fatal("cannot write the size report");
		putchar('\n');
		json_decref(doc);
		return;
	}
	char *out = cli_safe(b->o.output);
	printf("\nsize report of '%s': %s bytes (%.1f MiB)\n", out,
	       thousands(n, s->file_bytes), (double)s->file_bytes / 1048576.0);
	free(out);
	print_view("sections (their bytes in the file)", s->sections, s->nsections,
	           s->file_bytes, false);
	print_view("the final link's inputs (its map; libraries by archive)", s->inputs,
	           s->ninputs, s->file_bytes, true);
	print_modules(s);
	if (s->pruned)
		printf("\npruned (left out: nothing the entry point imports reaches them): %zu "
		       "modules, %zu extension modules, %zu resources; %s bytes of their "
		       "bytecode, sources and resources (--size-report=json lists their "
		       "names)\n", s->pruned_modules,
		       s->pruned_exts, s->pruned_resources, thousands(n, s->pruned_bytes));
}

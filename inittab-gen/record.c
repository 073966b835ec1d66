/*
 * record.c: the files a distribution installed, from its RECORD.
 *
 * RECORD (the wheel format's list of installed files, written by pip with
 * Python's csv module) holds one row per file: path, hash, size.  The
 * path is the first field, as the csv module writes it: quoted when it
 * holds a comma, a double quote, a carriage return or a line feed, a
 * double quote doubled inside quotes; rows end in "\r\n" (pip) or "\n".
 * Read as the csv module reads it (not strict): line breaks inside quotes
 * belong to the field, text between a closing quote and the next comma is
 * kept, an unterminated quote ends at the end of the file.  A row whose
 * path is empty, or holds a NUL byte (no file has such a name), names no
 * file and is left out.
 */
#include "itg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * One field at text[*pos], added to sb when sb is not NULL; *pos moves to
 * what ended it: a comma, a line break, or the end.  *nul tells whether it
 * held a NUL byte.
 */
static void
field(const char *text, size_t len, size_t *pos, struct strbuf *sb, bool *nul)
{
	size_t i = *pos;
	bool quoted = i < len && text[i] == '"';

	for (i += quoted; i < len; i++) {
		char c = text[i];
		if (quoted && c == '"' && i + 1 < len && text[i + 1] == '"') {
			i++;            /* a doubled quote: one quote */
		} else if (quoted && c == '"') {
			quoted = false; /* what follows up to the comma is kept */
			continue;
		} else if (!quoted && (c == ',' || c == '\r' || c == '\n')) {
			break;
		}
		*nul |= c == '\0';
		if (sb)
			strbuf_addc(sb, c);
	}
	*pos = i;
}

/* The first field of the row at text[*pos] into sb; *pos moves past the
 * row.  false when the field holds a NUL byte. */
static bool
row_path(const char *text, size_t len, size_t *pos, struct strbuf *sb)
{
	bool nul = false, ignored = false;

	field(text, len, pos, sb, &nul);
	while (*pos < len && text[*pos] == ',') {
		(*pos)++;
		field(text, len, pos, NULL, &ignored);
	}
	if (*pos < len && text[*pos] == '\r')
		(*pos)++;
	if (*pos < len && text[*pos] == '\n')
		(*pos)++;
	return !nul;
}

int
itg_record_parse(const char *text, size_t len, struct strvec *paths)
{
	struct strbuf sb = { 0 };
	size_t pos = 0;

	while (pos < len) {
		strbuf_reset(&sb);
		if (row_path(text, len, &pos, &sb) && sb.len)
			strvec_push(paths, strbuf_str(&sb));
		if (sb.failed)
			paths->failed = true;
	}
	strbuf_free(&sb);
	if (paths->failed) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
itg_record_read(const char *path, struct strvec *paths)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (util_read_file(path, &text, &len) < 0)
		return -1;
	rc = itg_record_parse(text, len, paths);
	free(text);
	return rc;
}

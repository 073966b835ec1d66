/*
 * test_selfpath: cmocka unit tests of runtime/selfpath.c, how a welded
 * binary finds its own path (sys.executable) with and without /proc.
 *
 * What is asserted:
 *   - rt_read_link reads a link's target whole at every length around its
 *     buffer's sizes (1 to 4095 bytes), where a single readlink() into a
 *     fixed buffer would cut it without a word; a missing file and a file
 *     that is no link fail with errno;
 *   - rt_same_image knows this test's own executable, and a copy of it, as
 *     the image running; /bin/sh, a text file, an empty file, a copy cut
 *     short and a copy with one byte of a note segment (the build ID)
 *     changed as other files; a missing file fails with errno;
 *   - rt_self_path gives /proc/self/exe's answer when it can be read; when
 *     the link cannot be read (a missing /proc, simulated by a link path
 *     that does not exist, or one with a relative target), the path the
 *     program was started by, made absolute, when it names this program
 *     (a relative copy; a relative copy in a directory whose path is
 *     longer than PATH_MAX, where realpath gives up); and otherwise a clear
 *     message naming both paths and why (another file, a missing one, no
 *     path at all), never a path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "selfpath.h"

static char dir[] = "/tmp/test_selfpath-XXXXXX";
static char *self;              /* this test's executable */
static char start_cwd[PATH_MAX];

static char *
in_dir(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* Copies the first len bytes of src (all: (size_t)-1) to dst, mode 0755. */
static void
copy_file(const char *src, const char *dst, size_t len)
{
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while (len && (n = read(in, buf, len < sizeof(buf) ? len : sizeof(buf))) > 0) {
		assert_int_equal(write(out, buf, (size_t)n), n);
		len -= (size_t)n;
	}
	close(in);
	assert_int_equal(close(out), 0);
}

static int
setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir) || !getcwd(start_cwd, sizeof(start_cwd)))
		return -1;
	self = rt_read_link("/proc/self/exe");
	return self ? 0 : -1;
}

static int
teardown(void **state)
{
	char *cmd;

	(void)state;
	if (chdir(start_cwd) < 0)
		return -1;
	if (asprintf(&cmd, "rm -rf '%s'", dir) < 0)
		return -1;
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	free(self);
	return 0;
}

static void
read_link_lengths(void **state)
{
	static const size_t lengths[] = { 1, 2, 126, 127, 128, 129, 255, 256, 257, 511, 512,
	                                  1023, 1024, 2047, 2048, 4094, 4095 };
	char *link = in_dir("link");

	(void)state;
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		char *target = malloc(lengths[i] + 1), *got;
		assert_non_null(target);
		for (size_t k = 0; k < lengths[i]; k++)
			target[k] = (char)('a' + k % 26);
		target[lengths[i]] = '\0';
		unlink(link);
		assert_int_equal(symlink(target, link), 0);
		got = rt_read_link(link);
		assert_non_null(got);
		assert_int_equal(strlen(got), lengths[i]);
		assert_string_equal(got, target);
		free(got);
		free(target);
	}
	unlink(link);
	errno = 0;
	assert_null(rt_read_link(link));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(rt_read_link(dir));
	assert_int_equal(errno, EINVAL);
	free(link);
}

/* The file offset of this executable's first note segment. */
static off_t
note_offset(void)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	size_t n = getauxval(AT_PHNUM);

	for (size_t i = 0; i < n; i++)
		if (ph[i].p_type == PT_NOTE && ph[i].p_filesz)
			return (off_t)ph[i].p_offset;
	return -1;
}

static void
same_image(void **state)
{
	char *copy = in_dir("copy"), *text = in_dir("text"), *empty = in_dir("empty");
	char *cut = in_dir("cut"), *flipped = in_dir("flipped"), *missing = in_dir("missing");
	off_t off = note_offset();
	unsigned char c;
	int fd;

	(void)state;
	assert_int_equal(rt_same_image(self), 1);
	copy_file(self, copy, (size_t)-1);
	assert_int_equal(rt_same_image(copy), 1);
	assert_int_equal(rt_same_image("/bin/sh"), 0);
	fd = open(text, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0 && write(fd, "#!/bin/sh\necho hello\n", 21) == 21);
	close(fd);
	assert_int_equal(rt_same_image(text), 0);
	fd = open(empty, O_WRONLY | O_CREAT, 0644);
	close(fd);
	assert_int_equal(rt_same_image(empty), 0);
	copy_file(self, cut, 100);
	assert_int_equal(rt_same_image(cut), 0);
	/* One byte of the build ID's note: the headers match, the notes do not. */
	assert_true(off > 0);
	copy_file(self, flipped, (size_t)-1);
	fd = open(flipped, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, off + 20), 1);
	c ^= 0xff;
	assert_int_equal(pwrite(fd, &c, 1, off + 20), 1);
	close(fd);
	assert_int_equal(rt_same_image(flipped), 0);
	errno = 0;
	assert_int_equal(rt_same_image(missing), -1);
	assert_int_equal(errno, ENOENT);
	free(copy);
	free(text);
	free(empty);
	free(cut);
	free(flipped);
	free(missing);
}

static void
self_path_proc(void **state)
{
	char err[512] = "";
	char *p = rt_self_path("/proc/self/exe", "/bin/sh", err, sizeof(err));

	(void)state;
	assert_non_null(p);
	assert_string_equal(p, self);
	free(p);
}

static void
self_path_without_proc(void **state)
{
	char err[8192], *copy = in_dir("started"), *relative = in_dir("relative-link");
	char *p, *real;

	(void)state;
	copy_file(self, copy, (size_t)-1);
	assert_int_equal(chdir(dir), 0);
	real = realpath(copy, NULL);
	assert_non_null(real);
	/* the link is missing (no /proc): the path started by, made absolute */
	p = rt_self_path("/nonexistent/proc/self/exe", "./started", err, sizeof(err));
	assert_non_null(p);
	assert_string_equal(p, real);
	free(p);
	p = rt_self_path("/nonexistent/proc/self/exe", copy, err, sizeof(err));
	assert_non_null(p);
	assert_string_equal(p, real);
	free(p);
	/* a link with a relative target names nothing */
	assert_int_equal(symlink("started", relative), 0);
	p = rt_self_path(relative, "./started", err, sizeof(err));
	assert_non_null(p);
	assert_string_equal(p, real);
	free(p);

	/* another program, a missing one, none: a message, no path */
	p = rt_self_path("/nonexistent/proc/self/exe", "/bin/sh", err, sizeof(err));
	assert_null(p);
	assert_non_null(strstr(err, "'/nonexistent/proc/self/exe' cannot be read (No such file "
	                            "or directory)"));
	assert_non_null(strstr(err, "'/bin/sh', the path it was started by, is another file"));
	p = rt_self_path("/nonexistent/proc/self/exe", "./gone", err, sizeof(err));
	assert_null(p);
	assert_non_null(strstr(err, "'./gone', the path it was started by, cannot be read: No "
	                            "such file or directory"));
	p = rt_self_path("/nonexistent/proc/self/exe", NULL, err, sizeof(err));
	assert_null(p);
	assert_non_null(strstr(err, "cannot tell which file this program is"));
	assert_non_null(strstr(err, "no path it was started by"));
	p = rt_self_path("/nonexistent/proc/self/exe", "", err, sizeof(err));
	assert_null(p);
	assert_int_equal(chdir(start_cwd), 0);
	free(real);
	free(copy);
	free(relative);
}

/* A directory deeper than PATH_MAX: realpath() gives up, the path is still
 * found, whole. */
static void
self_path_deep(void **state)
{
	char name[201], err[8192], *p, *expected, *copy = in_dir("copy-deep");
	size_t depth = 0;
	int fd;

	(void)state;
	memset(name, 'd', 200);
	name[200] = '\0';
	copy_file(self, copy, (size_t)-1);
	assert_int_equal(chdir(dir), 0);
	expected = realpath(dir, NULL);
	assert_non_null(expected);
	while (strlen(expected) <= PATH_MAX + 100) {
		char *longer;
		assert_int_equal(mkdir(name, 0755), 0);
		assert_int_equal(chdir(name), 0);
		assert_true(asprintf(&longer, "%s/%s", expected, name) > 0);
		free(expected);
		expected = longer;
		depth++;
	}
	/* the copy, linked in by a path relative to a short directory */
	fd = open(copy, O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(link(copy, "app"), 0);
	p = rt_self_path("/nonexistent/proc/self/exe", "./app", err, sizeof(err));
	if (!p)
		fail_msg("no path: %s", err);
	{
		char *want;
		assert_true(asprintf(&want, "%s/app", expected) > 0);
		assert_true(strlen(want) > PATH_MAX);
		assert_string_equal(p, want);
		free(want);
	}
	free(p);
	/* /proc/self/exe of a program run from there would be refused by the
	 * kernel (ENAMETOOLONG): the same fallback */
	assert_int_equal(chdir(start_cwd), 0);
	free(expected);
	free(copy);
	(void)depth;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(read_link_lengths),
		cmocka_unit_test(same_image),
		cmocka_unit_test(self_path_proc),
		cmocka_unit_test(self_path_without_proc),
		cmocka_unit_test(self_path_deep),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

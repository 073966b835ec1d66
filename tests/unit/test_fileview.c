/*
 * test_fileview: cmocka unit tests of runtime/fileview.c, the packed tree
 * readable by path.
 *
 * This program is linked as a welded binary is: with -Wl,--wrap=NAME for
 * every name of fileview.h's RT_FILEVIEW_WRAPPED (tests/blob.cmake reads
 * the list from the header), so its own calls to open, fopen, stat,
 * opendir ... reach the view first.  Its "binary" is a real file, "app",
 * in a directory whose name holds a space, quotes, '$', a backtick and a
 * newline; a blob laid out here (the format of blob.h, entries sorted by
 * (kind, name), checksums included) holds a package with modules,
 * subpackages, resources (binary bytes, a name with a space and UTF-8, a
 * 300 KiB file, one whose checksum fails), a namespace package, a module
 * without source, a top-level module and a .dist-info directory.
 *
 * What is asserted:
 *   - before rt_fileview_start, and for bad arguments to it, nothing is
 *     answered: the kernel says ENOTDIR under the binary;
 *   - files: open, open64, openat, openat64, __open_2, fopen, fopen64 of a
 *     resource, a metadata file and module sources (a package's
 *     __init__.py, a module, a top-level module, a namespace package's
 *     module) give a real descriptor with exactly the bytes, readable,
 *     seekable, close-on-exec when asked, refusing write and ftruncate,
 *     fstat'ing as a 0444 regular file of the right size, mappable read-
 *     only and privately, never writable and shared; no source, a
 *     namespace package's __init__.py, a package's "pkg.py": ENOENT;
 *   - paths: ".", ".." and doubled slashes resolve; ".." above the binary
 *     and the binary itself ("<binary>/.") go to the C library (ENOTDIR);
 *     a sibling whose name starts with the binary's ("appx") and relative
 *     paths are the C library's; a name longer than PATH_MAX: ENAMETOOLONG;
 *   - errors: missing names ENOENT, under a file or with a trailing slash
 *     ENOTDIR, writing EROFS (O_WRONLY, O_RDWR, O_TRUNC, O_APPEND, O_CREAT
 *     of a new name, fopen "w", "a", "r+"), O_CREAT in a missing directory
 *     ENOENT, O_CREAT|O_EXCL of a file EEXIST, a directory for writing
 *     EISDIR, O_DIRECTORY of a file ENOTDIR, a damaged entry EIO;
 *   - stat, stat64, lstat, lstat64, fstatat, fstatat64: files 0444 with
 *     their size, directories 0555 (packages, namespace packages,
 *     resource directories, .dist-info), the binary's owner, device and
 *     times; one inode per name whatever the spelling, different names
 *     different inodes, the same as readdir's d_ino;
 *   - access, faccessat, euidaccess, eaccess: F_OK and R_OK, W_OK EROFS,
 *     X_OK EACCES on a file and allowed on a directory;
 *   - opendir, readdir, readdir64, readdir_r, rewinddir, telldir, seekdir,
 *     closedir, scandir, scandir64: the exact sorted listing of each
 *     directory, "." and ".." first, with d_type; a module without source
 *     not listed; a subpackage that holds resources listed once; opendir
 *     of a file ENOTDIR, of a missing name ENOENT;
 *   - directory descriptors: open(O_DIRECTORY) of a directory, dirfd of a
 *     view's DIR; fstat says directory with stat's inode; openat, fstatat
 *     (also AT_EMPTY_PATH), faccessat, readlinkat relative to it; fdopendir
 *     of a dup of it lists it; ".." past the binary leaves the view;
 *   - realpath (malloc'd and into a buffer) resolves, missing ENOENT;
 *     readlink EINVAL, missing ENOENT; listxattr lists nothing, getxattr
 *     ENODATA; statvfs says read-only (and outside, what the C library
 *     says);
 *   - outside the view every wrapper gives the C library's answer for a
 *     real file, a real directory and a missing path, errno included, and
 *     leaves errno alone when it succeeds; so does a successful call inside;
 *   - the counters count the view's answers, never the C library's; the
 *     trace records each answer by call and name while on, nothing before
 *     or after;
 *   - eight threads open, stat and list the view and real directories at
 *     once, with the same answers;
 *   - every name of RT_FILEVIEW_WRAPPED has its __wrap_ function.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fileview.h"

/* fortify's names, which <fcntl.h> declares only under _FORTIFY_SOURCE */
int __open_2(const char *path, int flags);

/* --- the blob ------------------------------------------------------------- */

struct te {
	unsigned flags;                 /* kind | RT_BLOB_* flags */
	const char *name;
	const char *data;
	size_t data_len;
	const char *src;                /* written when flags has RT_BLOB_SOURCE */
	size_t src_len;
	bool damaged;                   /* its recorded checksum is wrong */
};

static void
put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static int
te_cmp(const void *a, const void *b)
{
	const struct te *x = a, *y = b;
	unsigned kx = x->flags & RT_BLOB_KIND_MASK, ky = y->flags & RT_BLOB_KIND_MASK;

	if (kx != ky)
		return kx < ky ? -1 : 1;
	return strcmp(x->name, y->name);      /* no name is a prefix-with-NUL of another */
}

/* Lays the n entries (sorted here) out as inittab-gen's packer does;
 * malloc'd, its size in *size. */
static unsigned char *
make_blob(struct te *e, uint32_t n, size_t *size)
{
	size_t names_size = 0, payload = 0, pos, noff = 0, index = RT_BLOB_HEADER_SIZE;
	size_t names = index + (size_t)n * RT_BLOB_ENTRY_SIZE, data;
	unsigned char *p;

	qsort(e, n, sizeof(*e), te_cmp);
	for (uint32_t i = 0; i < n; i++) {
		names_size += strlen(e[i].name) + 1;
		payload += e[i].data_len + ((e[i].flags & RT_BLOB_SOURCE) ? e[i].src_len : 0);
	}
	data = (names + names_size + 15) & ~(size_t)15;
	*size = data + payload;
	p = calloc(1, *size);
	assert_non_null(p);
	memcpy(p, RT_BLOB_MAGIC, 8);
	put32(p + 8, RT_BLOB_VERSION);
	put32(p + 12, RT_BLOB_HEADER_SIZE);
	put64(p + 16, *size);
	put32(p + 24, n);
	put64(p + 32, index);
	put64(p + 40, names);
	put64(p + 48, names_size);
	put64(p + 56, data);
	pos = data;
	for (uint32_t i = 0; i < n; i++) {
		unsigned char *x = p + index + (size_t)i * RT_BLOB_ENTRY_SIZE;
		size_t len = strlen(e[i].name), start = pos;
		memcpy(p + names + noff, e[i].name, len + 1);
		put32(x, (uint32_t)noff);
		put32(x + 4, (uint32_t)len);
		put32(x + 8, e[i].flags);
		put64(x + 16, pos);
		put32(x + 24, (uint32_t)e[i].data_len);
		memcpy(p + pos, e[i].data, e[i].data_len);
		pos += e[i].data_len;
		if (e[i].flags & RT_BLOB_SOURCE) {
			put32(x + 28, (uint32_t)e[i].src_len);
			put64(x + 32, pos);
			memcpy(p + pos, e[i].src, e[i].src_len);
			pos += e[i].src_len;
		}
		put32(x + 12, rt_crc32c(0, p + start, pos - start) ^ (e[i].damaged ? 1u : 0u));
		noff += len + 1;
	}
	put32(p + 28, rt_crc32c(0, p + index, names + names_size - index));
	return p;
}

/* --- the fixture ------------------------------------------------------------ */

#define M RT_BLOB_MODULE
#define R RT_BLOB_RESOURCE
#define D RT_BLOB_METADATA
#define PKG RT_BLOB_PACKAGE
#define NS RT_BLOB_NAMESPACE
#define SRC RT_BLOB_SOURCE
#define S(x) (x), sizeof(x) - 1

static const char A_TXT[] = "hello from a.txt\n";
static const char B_BIN[] = "\0\1\2binary\0\377\376";
static const char UTF8_NAME[] = "pkg/data/spa ce \xc3\xa9.txt";
static char big[300 * 1024 + 7];

static struct te entries[] = {
	{ M | PKG | SRC, "pkg", S("code:pkg"), S("# pkg/__init__.py\n") },
	{ M | SRC, "pkg.mod", S("code:mod"), S("x = 1\n") },
	{ M, "pkg.nosrc", S("code:nosrc"), NULL, 0 },
	{ M | PKG | SRC, "pkg.sub", S("code:sub"), S("# sub\n") },
	{ M | SRC, "pkg.sub.leaf", S("code:leaf"), S("leaf = True\n") },
	{ M | NS, "ns", "", 0, NULL, 0 },
	{ M | SRC, "ns.m", S("code:m"), S("m = 'ns'\n") },
	{ M | SRC, "top", S("code:top"), S("top = 1\n") },
	{ R, "pkg/data/a.txt", S(A_TXT) },
	{ R, "pkg/data/deep/b.bin", S(B_BIN) },
	{ R, "pkg/data.json", S("{}") },
	{ R, "pkg/sub/res.txt", S("res") },
	{ R, "pkg/big.bin", big, sizeof(big), NULL, 0 },
	{ R, "pkg/bad.txt", S("damaged"), NULL, 0, true },
	{ R, UTF8_NAME, S("utf-8") },
	{ R, "ns/n.txt", S("n") },
	{ D, "pkg-1.0.dist-info/METADATA", S("Name: pkg\nVersion: 1.0\n") },
	{ D, "pkg-1.0.dist-info/RECORD", S("pkg/__init__.py,,\n") },
};

static char base[64];           /* the temporary directory */
static char dir[128];           /* the hostile directory holding the binary */
static char exe[192];           /* dir + "/app", a real file */
static unsigned char *blob_bytes;
static struct rt_blob blob;
static struct stat exe_st;

/* "<root>/rel", in one of 16 rotating buffers of the calling thread. */
static const char *
at(const char *root, const char *rel)
{
	static __thread char bufs[16][PATH_MAX + 256];
	static __thread int k;
	char *b = bufs[k++ % 16];

	snprintf(b, sizeof(bufs[0]), "%s/%s", root, rel);
	return b;
}
#define V(rel) at(exe, rel)
#define OUT(rel) at(dir, rel)

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
group_setup(void **state)
{
	char err[256];
	size_t size;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + i / 251);
	snprintf(base, sizeof(base), "/tmp/test_fileview-XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/a dir 'q' \"qq\" $HOME `x`\nnl", base);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(exe, sizeof(exe), "%s/app", dir);
	write_file(exe, "#!/bin/false\nthe binary\n");
	write_file(OUT("appx"), "a sibling, not the binary\n");
	write_file(OUT("real.txt"), "a real file\n");
	assert_int_equal(mkdir(OUT("realdir"), 0755), 0);
	write_file(OUT("realdir/one"), "1");
	assert_int_equal(stat(exe, &exe_st), 0);
	blob_bytes = make_blob(entries, sizeof(entries) / sizeof(entries[0]), &size);
	if (rt_blob_check(&blob, blob_bytes, size, err, sizeof(err)) != 0)
		fail_msg("the test's blob is refused: %s", err);
	return 0;
}

static int
group_teardown(void **state)
{
	char rm[] = "rm", rf[] = "-rf", *argv[] = { rm, rf, base, NULL };

	(void)state;
	if (fork() == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	wait(NULL);
	return 0;
}

/* --- helpers ------------------------------------------------------------------ */

/* Everything fd holds from its current offset; malloc'd, length in *len. */
static char *
read_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	assert_non_null(buf);
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			buf = realloc(buf, cap *= 2);
			assert_non_null(buf);
		}
	}
	assert_true(r == 0);
	*len = n;
	return buf;
}

static void
assert_fd_holds(int fd, const char *want, size_t want_len, const char *what)
{
	size_t len;
	char *got;

	if (fd < 0)
		fail_msg("%s: no descriptor (%s)", what, strerror(errno));
	got = read_all(fd, &len);
	if (len != want_len || memcmp(got, want, len) != 0)
		fail_msg("%s: %zu bytes read, %zu wanted, or different bytes", what, len, want_len);
	free(got);
}

static void
assert_file(const char *rel, const char *want, size_t want_len)
{
	int fd = open(V(rel), O_RDONLY | O_CLOEXEC);

	assert_fd_holds(fd, want, want_len, rel);
	close(fd);
}

#define assert_fails(call, err) do { \
		errno = 0; \
		long long r_ = (long long)(intptr_t)(call); \
		int e_ = errno; \
		if (r_ != -1 && r_ != 0) \
			fail_msg("%s: succeeded (%lld), wanted %s", #call, r_, strerror(err)); \
		if (e_ != (err)) \
			fail_msg("%s: errno %d (%s), wanted %d (%s)", #call, e_, strerror(e_), \
			         (err), strerror(err)); \
	} while (0)
/* for calls that return a pointer (NULL on failure) or -1/0 style ints alike */
#define assert_fails_ptr(call, err) do { \
		errno = 0; \
		void *p_ = (void *)(call); \
		int e_ = errno; \
		if (p_) \
			fail_msg("%s: succeeded, wanted %s", #call, strerror(err)); \
		if (e_ != (err)) \
			fail_msg("%s: errno %d (%s), wanted %s", #call, e_, strerror(e_), \
			         strerror(err)); \
	} while (0)

static void
assert_errno_int(int r, int err, const char *what)
{
	if (r != -1)
		fail_msg("%s: returned %d, wanted -1 (%s)", what, r, strerror(err));
	if (errno != err)
		fail_msg("%s: errno %d (%s), wanted %s", what, errno, strerror(errno),
		         strerror(err));
}

/* --- the tests ----------------------------------------------------------------- */

static void
before_start(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(rt_fileview_on(), 0);
	errno = 0;
	assert_errno_int(open(V("pkg/data/a.txt"), O_RDONLY), ENOTDIR, "open before the start");
	assert_errno_int(stat(V("pkg"), &st), ENOTDIR, "stat before the start");
	/* bad arguments start nothing */
	errno = 0;
	assert_int_equal(rt_fileview_start(NULL, &blob), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(rt_fileview_start("", &blob), -1);
	assert_int_equal(rt_fileview_start("relative/app", &blob), -1);
	assert_int_equal(rt_fileview_start(exe, NULL), -1);
	assert_int_equal(rt_fileview_on(), 0);
	assert_errno_int(stat(V("pkg"), &st), ENOTDIR, "stat after bad starts");
}

static void
start(void **state)
{
	struct rt_fileview_counts c;

	(void)state;
	assert_int_equal(rt_fileview_start(exe, &blob), 0);
	assert_int_equal(rt_fileview_on(), 1);
	rt_fileview_counts(&c);
	assert_int_equal(c.open + c.stat + c.dir + c.other, 0);
}

static void
files(void **state)
{
	char *text = NULL;
	size_t len;
	FILE *f;
	int fd;

	(void)state;
	assert_file("pkg/data/a.txt", S(A_TXT));
	assert_file("pkg/data/deep/b.bin", S(B_BIN));
	assert_file("pkg/data.json", S("{}"));
	assert_file("pkg/sub/res.txt", S("res"));
	assert_file("pkg/big.bin", big, sizeof(big));
	assert_file(UTF8_NAME, S("utf-8"));
	assert_file("ns/n.txt", S("n"));
	assert_file("pkg-1.0.dist-info/METADATA", S("Name: pkg\nVersion: 1.0\n"));
	/* module sources */
	assert_file("pkg/__init__.py", S("# pkg/__init__.py\n"));
	assert_file("pkg/mod.py", S("x = 1\n"));
	assert_file("pkg/sub/__init__.py", S("# sub\n"));
	assert_file("pkg/sub/leaf.py", S("leaf = True\n"));
	assert_file("ns/m.py", S("m = 'ns'\n"));
	assert_file("top.py", S("top = 1\n"));
	/* every entry point */
	fd = open64(V("pkg/data/a.txt"), O_RDONLY);
	assert_fd_holds(fd, S(A_TXT), "open64");
	close(fd);
	fd = openat(AT_FDCWD, V("pkg/data/a.txt"), O_RDONLY);
	assert_fd_holds(fd, S(A_TXT), "openat");
	close(fd);
	fd = openat64(AT_FDCWD, V("pkg/data/a.txt"), O_RDONLY);
	assert_fd_holds(fd, S(A_TXT), "openat64");
	close(fd);
	fd = __open_2(V("pkg/data/a.txt"), O_RDONLY);
	assert_fd_holds(fd, S(A_TXT), "__open_2");
	close(fd);
	/* an absolute path with a real descriptor ignores it */
	fd = openat(0, V("pkg/data/a.txt"), O_RDONLY);
	assert_fd_holds(fd, S(A_TXT), "openat(0, absolute)");
	close(fd);
	for (int k = 0; k < 4; k++) {
		const char *modes[] = { "r", "rb", "re", "rbe" };
		f = k < 2 ? fopen(V("pkg/data/deep/b.bin"), modes[k])
		          : fopen64(V("pkg/data/deep/b.bin"), modes[k]);
		if (!f)
			fail_msg("fopen '%s': %s", modes[k], strerror(errno));
		char buf[64];
		size_t n = fread(buf, 1, sizeof(buf), f);
		assert_int_equal(n, sizeof(B_BIN) - 1);
		assert_memory_equal(buf, B_BIN, n);
		assert_int_equal((fcntl(fileno(f), F_GETFD) & FD_CLOEXEC) != 0, k >= 2);
		fclose(f);
	}
	/* getline through stdio, as C libraries read text */
	f = fopen(V("pkg-1.0.dist-info/METADATA"), "r");
	assert_non_null(f);
	assert_int_equal(getline(&text, &len, f), 10);
	assert_string_equal(text, "Name: pkg\n");
	free(text);
	fclose(f);
}

static void
descriptor(void **state)
{
	struct stat st;
	char c;
	int fd = open(V("pkg/big.bin"), O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(st.st_size, sizeof(big));
	assert_int_equal(lseek(fd, 1000, SEEK_SET), 1000);
	assert_int_equal(read(fd, &c, 1), 1);
	assert_int_equal(c, big[1000]);
	assert_int_equal(pread(fd, &c, 1, sizeof(big) - 1), 1);
	assert_int_equal(c, big[sizeof(big) - 1]);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)sizeof(big));
	/* sealed: no writes, no resizing */
	assert_true(write(fd, "x", 1) < 0);
	assert_true(pwrite(fd, "x", 1, 0) < 0);
	assert_true(ftruncate(fd, 0) < 0);
	/* mapped: read-only shared and private copies yes, writable shared no */
	void *m = mmap(NULL, sizeof(big), PROT_READ, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	assert_memory_equal(m, big, sizeof(big));
	munmap(m, sizeof(big));
	m = mmap(NULL, sizeof(big), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(m != MAP_FAILED);
	((char *)m)[0] = 'z';
	munmap(m, sizeof(big));
	assert_true(mmap(NULL, sizeof(big), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	            MAP_FAILED);
	close(fd);
	/* the bytes are the blob's every time, the private write went nowhere */
	assert_file("pkg/big.bin", big, sizeof(big));
	/* no close-on-exec unless asked */
	fd = open(V("pkg/data/a.txt"), O_RDONLY);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
}

static void
not_files(void **state)
{
	(void)state;
	assert_errno_int(open(V("pkg/nosrc.py"), O_RDONLY), ENOENT, "a module without source");
	assert_errno_int(open(V("ns/__init__.py"), O_RDONLY), ENOENT,
	                 "a namespace package's __init__.py");
	assert_errno_int(open(V("pkg.py"), O_RDONLY), ENOENT, "a package as a module file");
	assert_errno_int(open(V("pkg/sub.py"), O_RDONLY), ENOENT, "a subpackage as a module file");
	assert_errno_int(open(V("pkg/mod/__init__.py"), O_RDONLY), ENOENT,
	                 "a module as a package");
	assert_errno_int(open(V("pkg/mod"), O_RDONLY), ENOENT, "a module without .py");
	assert_errno_int(open(V("pkg/missing.txt"), O_RDONLY), ENOENT, "a missing name");
	assert_errno_int(open(V("missing/x"), O_RDONLY), ENOENT, "a missing directory");
	assert_errno_int(open(V("pkg/data/a.txt/x"), O_RDONLY), ENOTDIR, "under a file");
	assert_errno_int(open(V("pkg/data/a.txt/"), O_RDONLY), ENOTDIR, "a file with a slash");
	assert_errno_int(open(V("pkg/data/a.txt/."), O_RDONLY), ENOTDIR, "a file with /.");
	assert_errno_int(open(V("pkg/bad.txt"), O_RDONLY), EIO, "a damaged entry");
	assert_fails_ptr(fopen(V("pkg/bad.txt"), "r"), EIO);
	assert_fails_ptr(fopen(V("pkg/data/missing"), "r"), ENOENT);
}

static void
writes(void **state)
{
	(void)state;
	const char *a = V("pkg/data/a.txt");
	assert_errno_int(open(a, O_WRONLY), EROFS, "O_WRONLY");
	assert_errno_int(open(a, O_RDWR), EROFS, "O_RDWR");
	assert_errno_int(open(a, O_RDONLY | O_TRUNC), EROFS, "O_TRUNC");
	assert_errno_int(open(a, O_WRONLY | O_APPEND), EROFS, "O_APPEND");
	assert_errno_int(open(a, O_WRONLY | O_CREAT, 0644), EROFS, "O_CREAT of a file there");
	assert_errno_int(open(a, O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST, "O_CREAT|O_EXCL");
	assert_errno_int(open(V("pkg/data/new.txt"), O_WRONLY | O_CREAT, 0644), EROFS,
	                 "O_CREAT of a new name");
	assert_errno_int(open(V("new.txt"), O_WRONLY | O_CREAT, 0644), EROFS,
	                 "O_CREAT of a new name at the top");
	assert_errno_int(open(V("pkg/nodir/new.txt"), O_WRONLY | O_CREAT, 0644), ENOENT,
	                 "O_CREAT in a missing directory");
	assert_errno_int(open(V("pkg/data"), O_WRONLY), EISDIR, "a directory for writing");
	assert_errno_int(open(V("pkg/data"), O_RDONLY | O_TMPFILE, 0600), EISDIR, "O_TMPFILE");
	assert_errno_int(open(a, O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY of a file");
	assert_errno_int(openat(AT_FDCWD, a, O_RDWR), EROFS, "openat O_RDWR");
	assert_fails_ptr(fopen(a, "w"), EROFS);
	assert_fails_ptr(fopen(a, "a"), EROFS);
	assert_fails_ptr(fopen(a, "r+"), EROFS);
	assert_fails_ptr(fopen64(a, "wb"), EROFS);
	assert_fails_ptr(fopen(a, "q"), EINVAL);
	/* nothing appeared */
	assert_errno_int(open(V("pkg/data/new.txt"), O_RDONLY), ENOENT, "the new name after");
}

static void
paths(void **state)
{
	struct stat st;
	char *long_name;

	(void)state;
	assert_file("pkg/./data//a.txt", S(A_TXT));
	assert_file("pkg/sub/../data/a.txt", S(A_TXT));
	assert_file("pkg/data/deep/../../data/./deep/b.bin", S(B_BIN));
	assert_file("./pkg/data/a.txt", S(A_TXT));
	assert_file("pkg//sub//res.txt", S("res"));
	{
		char p[2 * PATH_MAX];
		snprintf(p, sizeof(p), "%s//pkg/data/a.txt", exe);
		int fd = open(p, O_RDONLY);
		assert_fd_holds(fd, S(A_TXT), "<binary>//pkg");
		close(fd);
	}
	/* ".." above the binary, and the binary itself: the C library's (a file) */
	assert_errno_int(open(V("pkg/../../real.txt"), O_RDONLY), ENOTDIR, "above the binary");
	assert_errno_int(open(V(".."), O_RDONLY), ENOTDIR, "<binary>/..");
	assert_errno_int(open(V("."), O_RDONLY), ENOTDIR, "<binary>/.");
	assert_errno_int(stat(V("pkg/.."), &st), ENOTDIR, "<binary>/pkg/..");
	assert_errno_int(stat(V(""), &st), ENOTDIR, "<binary>/");
	assert_int_equal(stat(exe, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* a sibling whose name starts like the binary's */
	int fd = open(OUT("appx"), O_RDONLY);
	assert_fd_holds(fd, S("a sibling, not the binary\n"), "appx");
	close(fd);
	char under[2 * PATH_MAX];
	snprintf(under, sizeof(under), "%s/appx/pkg/data/a.txt", dir);
	assert_errno_int(open(under, O_RDONLY), ENOTDIR, "under the sibling");
	/* relative paths are never the view's */
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_errno_int(open("app/pkg/data/a.txt", O_RDONLY), ENOTDIR, "relative");
	assert_int_equal(chdir(cwd), 0);
	/* too long */
	long_name = malloc(PATH_MAX + 100);
	memset(long_name, 'n', PATH_MAX + 99);
	long_name[PATH_MAX + 99] = '\0';
	assert_errno_int(open(V(long_name), O_RDONLY), ENAMETOOLONG, "a name too long");
	assert_errno_int(stat(V(long_name), &st), ENAMETOOLONG, "stat of a name too long");
	free(long_name);
}

static void
assert_stat_file(const struct stat *st, off_t size, const char *what)
{
	if (!S_ISREG(st->st_mode) || (st->st_mode & 07777) != 0444)
		fail_msg("%s: mode %o, wanted a regular file 0444", what, st->st_mode);
	if (st->st_size != size)
		fail_msg("%s: size %lld, wanted %lld", what, (long long)st->st_size,
		         (long long)size);
	assert_int_equal(st->st_nlink, 1);
	assert_int_equal(st->st_uid, exe_st.st_uid);
	assert_int_equal(st->st_gid, exe_st.st_gid);
	assert_int_equal(st->st_dev, exe_st.st_dev);
	assert_int_equal(st->st_mtim.tv_sec, exe_st.st_mtim.tv_sec);
	assert_int_equal(st->st_mtim.tv_nsec, exe_st.st_mtim.tv_nsec);
	assert_int_equal(st->st_blocks, (size + 511) / 512);
	assert_true(st->st_ino != 0);
}

static void
assert_stat_dir(const char *rel)
{
	struct stat st;

	if (stat(V(rel), &st) != 0)
		fail_msg("stat '%s': %s", rel, strerror(errno));
	if (!S_ISDIR(st.st_mode) || (st.st_mode & 07777) != 0555)
		fail_msg("'%s': mode %o, wanted a directory 0555", rel, st.st_mode);
	assert_int_equal(st.st_uid, exe_st.st_uid);
	assert_int_equal(st.st_dev, exe_st.st_dev);
}

static void
stats(void **state)
{
	struct stat st, st2;
	struct stat64 st64;

	(void)state;
	assert_int_equal(stat(V("pkg/data/a.txt"), &st), 0);
	assert_stat_file(&st, sizeof(A_TXT) - 1, "stat a.txt");
	assert_int_equal(lstat(V("pkg/big.bin"), &st), 0);
	assert_stat_file(&st, sizeof(big), "lstat big.bin");
	assert_int_equal(stat64(V("pkg/mod.py"), &st64), 0);
	assert_stat_file((struct stat *)&st64, 6, "stat64 mod.py");
	assert_int_equal(lstat64(V("top.py"), &st64), 0);
	assert_stat_file((struct stat *)&st64, 8, "lstat64 top.py");
	assert_int_equal(fstatat(AT_FDCWD, V("pkg-1.0.dist-info/RECORD"), &st,
	                         AT_SYMLINK_NOFOLLOW), 0);
	assert_stat_file(&st, 18, "fstatat RECORD");
	assert_int_equal(fstatat64(AT_FDCWD, V("pkg/__init__.py"), &st64, 0), 0);
	assert_stat_file((struct stat *)&st64, 18, "fstatat64 __init__.py");
	/* the damaged entry still has a size: stat reads no payload */
	assert_int_equal(stat(V("pkg/bad.txt"), &st), 0);
	assert_stat_file(&st, 7, "stat bad.txt");
	for (const char *const *d = (const char *const[]){ "pkg", "pkg/data", "pkg/data/deep",
	                                                   "pkg/sub", "ns", "pkg-1.0.dist-info",
	                                                   "pkg/", "pkg/data/.", NULL }; *d; d++)
		assert_stat_dir(*d);
	/* one inode per name, whatever the spelling; different names, different */
	assert_int_equal(stat(V("pkg/data/a.txt"), &st), 0);
	assert_int_equal(stat(V("pkg/sub/../data//./a.txt"), &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(stat(V("pkg/data/deep/b.bin"), &st2), 0);
	assert_true(st.st_ino != st2.st_ino);
	assert_int_equal(stat(V("pkg/data"), &st2), 0);
	assert_true(st.st_ino != st2.st_ino);
	/* not there */
	assert_errno_int(stat(V("pkg/nosrc.py"), &st), ENOENT, "stat nosrc.py");
	assert_errno_int(stat(V("pkg/mod"), &st), ENOENT, "stat pkg/mod");
	assert_errno_int(lstat(V("missing"), &st), ENOENT, "lstat missing");
	assert_errno_int(stat(V("pkg/data/a.txt/"), &st), ENOTDIR, "stat a.txt/");
	assert_errno_int(stat(V("pkg/data/a.txt/x"), &st), ENOTDIR, "stat a.txt/x");
	assert_errno_int(fstatat(AT_FDCWD, V("pkg/x"), &st, 0), ENOENT, "fstatat pkg/x");
}

static void
accesses(void **state)
{
	(void)state;
	assert_int_equal(access(V("pkg/data/a.txt"), F_OK), 0);
	assert_int_equal(access(V("pkg/data/a.txt"), R_OK), 0);
	assert_int_equal(access(V("pkg/data"), R_OK | X_OK), 0);
	assert_int_equal(faccessat(AT_FDCWD, V("pkg/mod.py"), R_OK, 0), 0);
	assert_int_equal(euidaccess(V("pkg/mod.py"), R_OK), 0);
	assert_int_equal(eaccess(V("pkg"), F_OK), 0);
	assert_errno_int(access(V("pkg/data/a.txt"), W_OK), EROFS, "access W_OK");
	assert_errno_int(access(V("pkg/data"), W_OK), EROFS, "access W_OK of a directory");
	assert_errno_int(access(V("pkg/data/a.txt"), X_OK), EACCES, "access X_OK");
	assert_errno_int(faccessat(AT_FDCWD, V("pkg/mod.py"), R_OK | W_OK, AT_EACCESS), EROFS,
	                 "faccessat W_OK");
	assert_errno_int(access(V("pkg/missing"), F_OK), ENOENT, "access missing");
	assert_errno_int(euidaccess(V("pkg/missing"), R_OK), ENOENT, "euidaccess missing");
}

/* "name/" for directories, "name" for files, joined by spaces. */
static void
listing(DIR *d, char *out, size_t size, bool r64)
{
	size_t n = 0;

	out[0] = '\0';
	for (;;) {
		const char *name;
		unsigned char type;
		if (r64) {
			struct dirent64 *e = readdir64(d);
			if (!e)
				break;
			name = e->d_name;
			type = e->d_type;
		} else {
			struct dirent *e = readdir(d);
			if (!e)
				break;
			name = e->d_name;
			type = e->d_type;
		}
		n += (size_t)snprintf(out + n, size - n, "%s%s%s", n ? " " : "", name,
		                      type == DT_DIR ? "/" : "");
		assert_true(n < size);
	}
}

static void
assert_listing(const char *rel, const char *want)
{
	char got[1024];
	DIR *d = opendir(V(rel));

	if (!d)
		fail_msg("opendir '%s': %s", rel, strerror(errno));
	listing(d, got, sizeof(got), false);
	if (strcmp(got, want) != 0)
		fail_msg("'%s' lists\n  '%s', wanted\n  '%s'", rel, got, want);
	rewinddir(d);
	listing(d, got, sizeof(got), true);
	if (strcmp(got, want) != 0)
		fail_msg("'%s' after rewinddir, by readdir64, lists '%s'", rel, got);
	assert_int_equal(closedir(d), 0);
}

static void
directories(void **state)
{
	(void)state;
	assert_listing("pkg", "./ ../ __init__.py bad.txt big.bin data/ data.json mod.py sub/");
	assert_listing("pkg/", "./ ../ __init__.py bad.txt big.bin data/ data.json mod.py sub/");
	assert_listing("pkg/data", "./ ../ a.txt deep/ spa ce \xc3\xa9.txt");
	assert_listing("pkg/data/deep", "./ ../ b.bin");
	assert_listing("pkg/sub", "./ ../ __init__.py leaf.py res.txt");
	assert_listing("ns", "./ ../ m.py n.txt");
	assert_listing("pkg-1.0.dist-info", "./ ../ METADATA RECORD");
	assert_listing("pkg/sub/../data/./deep", "./ ../ b.bin");
	assert_fails_ptr(opendir(V("pkg/data/a.txt")), ENOTDIR);
	assert_fails_ptr(opendir(V("pkg/missing")), ENOENT);
	assert_fails_ptr(opendir(V("pkg/mod")), ENOENT);

	/* readdir_r, telldir, seekdir; d_ino is stat's inode */
	DIR *d = opendir(V("pkg/data"));
	struct dirent ent, *res;
	struct stat st;
	long pos = -1;
	assert_non_null(d);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	while (readdir_r(d, &ent, &res) == 0 && res) {
		if (!strcmp(res->d_name, "a.txt")) {
			assert_int_equal(res->d_type, DT_REG);
			assert_int_equal(stat(V("pkg/data/a.txt"), &st), 0);
			assert_int_equal(res->d_ino, st.st_ino);
			pos = telldir(d);
		}
#pragma GCC diagnostic pop
		if (!strcmp(res->d_name, "deep")) {
			assert_int_equal(res->d_type, DT_DIR);
			assert_int_equal(stat(V("pkg/data/deep"), &st), 0);
			assert_int_equal(res->d_ino, st.st_ino);
		}
	}
	assert_true(pos > 0);
	seekdir(d, pos);
	assert_non_null(res = readdir(d));
	assert_string_equal(res->d_name, "deep");
	closedir(d);

	/* scandir with a filter and alphasort, reversed */
	struct dirent **list;
	int n = scandir(V("pkg"), &list, NULL, alphasort);
	assert_int_equal(n, 9);
	assert_string_equal(list[0]->d_name, ".");
	assert_string_equal(list[8]->d_name, "sub");
	for (int k = 0; k < n; k++)
		free(list[k]);
	free(list);
	struct dirent64 **list64;
	n = scandir64(V("pkg/sub"), &list64, NULL, alphasort64);
	assert_int_equal(n, 5);
	assert_string_equal(list64[4]->d_name, "res.txt");
	for (int k = 0; k < n; k++)
		free(list64[k]);
	free(list64);
	assert_fails(scandir(V("pkg/none"), &list, NULL, NULL), ENOENT);
}

static void
directory_descriptors(void **state)
{
	struct stat st, st2;
	char buf[64];
	int fd, fd2, sub;

	(void)state;
	fd = open(V("pkg"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(stat(V("pkg"), &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(st.st_dev, st2.st_dev);
	assert_int_equal(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* relative to it */
	sub = openat(fd, "data/a.txt", O_RDONLY);
	assert_fd_holds(sub, S(A_TXT), "openat(pkg fd, data/a.txt)");
	close(sub);
	sub = openat(fd, "sub/../mod.py", O_RDONLY);
	assert_fd_holds(sub, S("x = 1\n"), "openat(pkg fd, sub/../mod.py)");
	close(sub);
	assert_int_equal(fstatat(fd, "data", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fstatat(fd, "mod.py", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_stat_file(&st, 6, "fstatat(pkg fd, mod.py)");
	assert_int_equal(faccessat(fd, "data", R_OK, 0), 0);
	assert_errno_int(faccessat(fd, "data", W_OK, 0), EROFS, "faccessat(pkg fd) W_OK");
	assert_errno_int((int)readlinkat(fd, "mod.py", buf, sizeof(buf)), EINVAL,
	                 "readlinkat(pkg fd)");
	assert_errno_int(openat(fd, "missing", O_RDONLY), ENOENT, "openat(pkg fd, missing)");
	/* ".." past the binary: the C library's, relative to a non-directory */
	assert_errno_int(openat(fd, "../../real.txt", O_RDONLY), ENOTDIR, "openat ../..");
	/* a dup is the same directory */
	fd2 = dup(fd);
	DIR *d = fdopendir(fd2);
	char got[1024];
	assert_non_null(d);
	listing(d, got, sizeof(got), true);
	assert_string_equal(got, "./ ../ __init__.py bad.txt big.bin data/ data.json mod.py sub/");
	assert_int_equal(dirfd(d), fd2);
	assert_int_equal(closedir(d), 0);
	assert_errno_int(fcntl(fd2, F_GETFD), EBADF, "fdopendir's descriptor after closedir");
	close(fd);
	/* a file's descriptor is no directory */
	fd = open(V("pkg/mod.py"), O_RDONLY);
	assert_fails_ptr(fdopendir(fd), ENOTDIR);
	close(fd);
	/* dirfd of a view's DIR */
	d = opendir(V("pkg/data"));
	assert_non_null(d);
	fd = dirfd(d);
	assert_true(fd >= 0);
	sub = openat(fd, "deep/b.bin", O_RDONLY);
	assert_fd_holds(sub, S(B_BIN), "openat(dirfd(pkg/data), deep/b.bin)");
	close(sub);
	closedir(d);
	/* the C library's directory descriptors are untouched */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	sub = openat(fd, "real.txt", O_RDONLY);
	assert_fd_holds(sub, S("a real file\n"), "openat(real dir, real.txt)");
	close(sub);
	assert_errno_int(openat(fd, "app/pkg/data/a.txt", O_RDONLY), ENOTDIR,
	                 "openat(real dir, app/pkg...)");
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_ino, ({ struct stat x; stat(dir, &x); x.st_ino; }));
	close(fd);
}

static void
realpaths(void **state)
{
	char buf[PATH_MAX], *r, want[2 * PATH_MAX];

	(void)state;
	snprintf(want, sizeof(want), "%s/pkg/data/a.txt", exe);
	r = realpath(V("pkg/sub/../data//a.txt"), NULL);
	assert_non_null(r);
	assert_string_equal(r, want);
	free(r);
	assert_ptr_equal(realpath(V("./pkg/data/a.txt"), buf), buf);
	assert_string_equal(buf, want);
	snprintf(want, sizeof(want), "%s/pkg/data", exe);
	assert_non_null(realpath(V("pkg/data/deep/.."), buf));
	assert_string_equal(buf, want);
	assert_fails_ptr(realpath(V("pkg/missing"), NULL), ENOENT);
	assert_fails_ptr(realpath(V("pkg/mod.py/"), buf), ENOTDIR);
	assert_errno_int((int)readlink(V("pkg/mod.py"), buf, sizeof(buf)), EINVAL, "readlink");
	assert_errno_int((int)readlink(V("pkg/data"), buf, sizeof(buf)), EINVAL,
	                 "readlink of a directory");
	assert_errno_int((int)readlink(V("pkg/missing"), buf, sizeof(buf)), ENOENT,
	                 "readlink missing");
	assert_errno_int((int)readlinkat(AT_FDCWD, V("pkg/missing"), buf, sizeof(buf)), ENOENT,
	                 "readlinkat missing");
}

static void
xattrs_statvfs(void **state)
{
	char buf[256];
	struct statvfs v;

	(void)state;
	assert_int_equal(listxattr(V("pkg/data/a.txt"), buf, sizeof(buf)), 0);
	assert_int_equal(llistxattr(V("pkg/data"), NULL, 0), 0);
	assert_errno_int((int)getxattr(V("pkg/mod.py"), "user.x", buf, sizeof(buf)), ENODATA,
	                 "getxattr");
	assert_errno_int((int)lgetxattr(V("pkg"), "user.x", buf, sizeof(buf)), ENODATA,
	                 "lgetxattr");
	assert_errno_int((int)listxattr(V("pkg/missing"), buf, sizeof(buf)), ENOENT,
	                 "listxattr missing");
	assert_int_equal(statvfs(V("pkg/data/a.txt"), &v), 0);
	assert_true(v.f_flag & ST_RDONLY);
	assert_int_equal(statvfs64(V("pkg"), (struct statvfs64 *)&v), 0);
	assert_true(v.f_flag & ST_RDONLY);
	assert_errno_int(statvfs(V("pkg/missing"), &v), ENOENT, "statvfs missing");
	/* outside: the C library's, writable */
	assert_int_equal(statvfs(dir, &v), 0);
	assert_false(v.f_flag & ST_RDONLY);
	assert_errno_int(statvfs(OUT("missing"), &v), ENOENT, "statvfs missing outside");
}

/* The C library answers paths outside exactly; errno is its own. */
static void
outside(void **state)
{
	struct stat st;
	char buf[PATH_MAX];
	int fd;

	(void)state;
	fd = open(OUT("real.txt"), O_RDONLY);
	assert_fd_holds(fd, S("a real file\n"), "open outside");
	close(fd);
	FILE *f = fopen(OUT("real.txt"), "r");
	assert_non_null(f);
	fclose(f);
	/* written through the wrappers: outside, writing works */
	fd = open(OUT("written"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "w", 1), 1);
	close(fd);
	assert_int_equal(stat(OUT("written"), &st), 0);
	assert_int_equal(st.st_size, 1);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(access(OUT("written"), W_OK), 0);
	assert_errno_int(open(OUT("missing"), O_RDONLY), ENOENT, "open missing outside");
	assert_errno_int(stat(OUT("missing"), &st), ENOENT, "stat missing outside");
	assert_errno_int(lstat(OUT("real.txt/x"), &st), ENOTDIR, "lstat under a file outside");
	assert_errno_int(access(OUT("missing"), F_OK), ENOENT, "access missing outside");
	assert_fails_ptr(opendir(OUT("missing")), ENOENT);
	assert_fails_ptr(realpath(OUT("missing"), buf), ENOENT);
	assert_errno_int((int)readlink(OUT("real.txt"), buf, sizeof(buf)), EINVAL,
	                 "readlink outside");
	/* a real directory lists as the C library lists it */
	DIR *d = opendir(OUT("realdir"));
	char got[256];
	int seen = 0;
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		seen |= !strcmp(e->d_name, "one") ? 1 : !strcmp(e->d_name, ".") ? 2 :
		        !strcmp(e->d_name, "..") ? 4 : 8;
	assert_int_equal(seen, 7);
	closedir(d);
	(void)got;
	/* success leaves errno alone, inside and outside */
	errno = EXDEV;
	assert_int_equal(stat(OUT("real.txt"), &st), 0);
	assert_int_equal(errno, EXDEV);
	fd = open(V("pkg/data/a.txt"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(errno, EXDEV);
	close(fd);
	errno = EXDEV;
	assert_int_equal(stat(V("pkg/data"), &st), 0);
	assert_int_equal(errno, EXDEV);
	d = opendir(V("pkg"));
	assert_non_null(d);
	assert_int_equal(errno, EXDEV);
	closedir(d);
}

static void
counts(void **state)
{
	struct rt_fileview_counts a, b;
	struct stat st;
	int fd;

	(void)state;
	rt_fileview_counts(&a);
	fd = open(OUT("real.txt"), O_RDONLY);
	close(fd);
	stat(OUT("real.txt"), &st);
	closedir(opendir(OUT("realdir")));
	free(realpath(OUT("real.txt"), NULL));
	rt_fileview_counts(&b);
	assert_memory_equal(&a, &b, sizeof(a));
	fd = open(V("pkg/mod.py"), O_RDONLY);
	close(fd);
	fclose(fopen(V("pkg/mod.py"), "r"));
	stat(V("pkg"), &st);
	access(V("pkg"), R_OK);
	closedir(opendir(V("pkg")));
	free(realpath(V("pkg"), NULL));
	rt_fileview_counts(&b);
	assert_int_equal(b.open - a.open, 2);
	assert_int_equal(b.stat - a.stat, 2);
	assert_int_equal(b.dir - a.dir, 1);
	assert_int_equal(b.other - a.other, 1);
}

static void
trace(void **state)
{
	struct stat st;
	char *t;

	(void)state;
	free(rt_fileview_trace_take());
	stat(V("pkg/data"), &st);               /* not tracing yet */
	assert_null(rt_fileview_trace_take());
	rt_fileview_trace(1);
	stat(V("pkg/sub/../data/a.txt"), &st);
	close(open(V("pkg/mod.py"), O_RDONLY));
	close(open(OUT("real.txt"), O_RDONLY)); /* outside: not the view's */
	closedir(opendir(V("pkg/data")));
	access(V("pkg/missing"), F_OK);
	free(realpath(V(UTF8_NAME), NULL));
	rt_fileview_trace(0);
	stat(V("pkg"), &st);                    /* stopped */
	t = rt_fileview_trace_take();
	assert_non_null(t);
	assert_string_equal(t, "stat pkg/data/a.txt\nopen pkg/mod.py\nopendir pkg/data\n"
	                       "access pkg/missing\nrealpath pkg/data/spa ce \xc3\xa9.txt\n");
	free(t);
	assert_null(rt_fileview_trace_take());
}

static const char *const thread_failures[] = {
	NULL, "opendir failed", "a wrong listing", "a wrong file", "a wrong stat",
	"a wrong directory descriptor",
};

/* 0, or the index of what went wrong in thread_failures. */
static void *
thread_main(void *arg)
{
	long k = (long)arg;
	char got[1024];
	struct stat st;

	for (int i = 0; i < 300; i++) {
		DIR *d = opendir(k % 2 ? V("pkg") : OUT("realdir"));
		if (!d)
			return (void *)(intptr_t)1;
		listing(d, got, sizeof(got), i % 2);
		closedir(d);
		if (k % 2 && strcmp(got, "./ ../ __init__.py bad.txt big.bin data/ data.json "
		                    "mod.py sub/") != 0)
			return (void *)(intptr_t)2;
		int fd = open(V("pkg/data/a.txt"), O_RDONLY);
		char buf[64];
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
		close(fd);
		if (n != (ssize_t)sizeof(A_TXT) - 1 || memcmp(buf, A_TXT, (size_t)n) != 0)
			return (void *)(intptr_t)3;
		if (stat(V("pkg/sub"), &st) != 0 || !S_ISDIR(st.st_mode))
			return (void *)(intptr_t)4;
		fd = open(V("pkg/sub"), O_RDONLY | O_DIRECTORY);
		if (fd < 0 || fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode))
			return (void *)(intptr_t)5;
		close(fd);
	}
	return NULL;
}

static void
threads(void **state)
{
	pthread_t t[8];

	(void)state;
	for (long k = 0; k < 8; k++)
		assert_int_equal(pthread_create(&t[k], NULL, thread_main, (void *)k), 0);
	for (int k = 0; k < 8; k++) {
		void *r;
		assert_int_equal(pthread_join(t[k], &r), 0);
		if (r)
			fail_msg("thread %d: %s", k, thread_failures[(intptr_t)r]);
	}
}

/* Every wrapped name has its wrapper (the program is linked -rdynamic). */
static void
wrapped_list(void **state)
{
	static const char *const names[] = RT_FILEVIEW_WRAPPED;
	size_t n = 0;

	(void)state;
	for (const char *const *p = names; *p; p++, n++) {
		char sym[64];
		snprintf(sym, sizeof(sym), "__wrap_%s", *p);
		if (!dlsym(RTLD_DEFAULT, sym))
			fail_msg("'%s' is in RT_FILEVIEW_WRAPPED, but fileview.c defines no %s", *p,
			         sym);
	}
	assert_true(n >= 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(before_start),
		cmocka_unit_test(start),
		cmocka_unit_test(files),
		cmocka_unit_test(descriptor),
		cmocka_unit_test(not_files),
		cmocka_unit_test(writes),
		cmocka_unit_test(paths),
		cmocka_unit_test(stats),
		cmocka_unit_test(accesses),
		cmocka_unit_test(directories),
		cmocka_unit_test(directory_descriptors),
		cmocka_unit_test(realpaths),
		cmocka_unit_test(xattrs_statvfs),
		cmocka_unit_test(outside),
		cmocka_unit_test(counts),
		cmocka_unit_test(trace),
		cmocka_unit_test(threads),
		cmocka_unit_test(wrapped_list),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * selfpath.c: which file is this program?
 *
 * A welded binary needs its own path for sys.executable, for the first
 * entry of sys.path and for its modules' __file__
 * ("<binary>/json/decoder.py").  Nothing is read through it: the modules
 * are linked in and read from memory, so the path is a name, never how the
 * program finds its modules.  But multiprocessing and
 * subprocess.run([sys.executable, ...]) start that file, so it must be this
 * very program, never a file the caller chose.
 *
 * Trusted, in order:
 * 1. /proc/self/exe, the kernel's link to the image running, read whole:
 *    readlink() fills its buffer without a word when the target is longer,
 *    so the buffer grows until the answer is shorter than it.  (The kernel
 *    refuses, ENAMETOOLONG, paths of PATH_MAX bytes and more.)
 * 2. When it cannot be read (no /proc in a chroot or a sandbox, a path too
 *    long for the kernel to write): the path the program was started by,
 *    as given to execve, which the kernel keeps for the process
 *    (getauxval(AT_EXECFN)); relative to the directory it was started in,
 *    which start-up has not left.  argv[0] is never used: a caller writes
 *    what it likes there.  The path is accepted only when the file it names
 *    now is this program (rt_same_image: the ELF program headers and note
 *    segments, the linker's build ID among them, compared with the image
 *    in memory), and is then made absolute: resolved (realpath), or, when
 *    the result is too long for that, joined to the current directory.
 * 3. Otherwise start-up fails and says why.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* asprintf */
#endif
#include "selfpath.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/types.h>
#include <unistd.h>

char *
rt_read_link(const char *path)
{
	size_t size = 128;
	char *buf = NULL, *p;
	ssize_t n;
	int e;

	for (;;) {
		if (!(p = realloc(buf, size))) {
			e = ENOMEM;
			goto fail;
		}
		buf = p;
		n = readlink(path, buf, size);
		if (n < 0) {
			e = errno;
			goto fail;
		}
		if ((size_t)n < size) {
			buf[n] = '\0';
			return buf;
		}
		/* The buffer is full: the target may have been cut. */
		if (size > SIZE_MAX / 2) {
			e = ENAMETOOLONG;
			goto fail;
		}
		size *= 2;
	}
fail:
	free(buf);
	errno = e;
	return NULL;
}

/* n bytes at off: 0, 1 when the file ends before, -1 with errno set. */
static int
read_at(int fd, void *buf, size_t n, off_t off)
{
	char *p = buf;

	while (n) {
		ssize_t r = pread(fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 1;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* Whether [vaddr, vaddr + size) lies in the file-backed part of a loaded
 * segment, so that it can be read in memory. */
static int
loaded(const ElfW(Phdr) *ph, size_t phnum, ElfW(Addr) vaddr, ElfW(Xword) size)
{
	for (size_t i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_LOAD && vaddr >= ph[i].p_vaddr &&
		    vaddr - ph[i].p_vaddr <= ph[i].p_filesz &&
		    size <= ph[i].p_filesz - (vaddr - ph[i].p_vaddr))
			return 1;
	return 0;
}

int
rt_same_image(const char *path)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	size_t phnum = getauxval(AT_PHNUM), i;
	ElfW(Phdr) *file_ph = NULL;
	ElfW(Ehdr) eh;
	uintptr_t bias = 0;
	unsigned char *note = NULL;
	int fd, rc = 0, r, e, found = 0;

	if (!ph || !phnum) {
		errno = ENOEXEC;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((r = read_at(fd, &eh, sizeof(eh), 0)) < 0)
		goto fail;
	if (r || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_phnum != phnum ||
	    eh.e_phentsize != sizeof(ElfW(Phdr)))
		goto out;
	if (!(file_ph = malloc(phnum * sizeof(*file_ph)))) {
		errno = ENOMEM;
		goto fail;
	}
	if ((r = read_at(fd, file_ph, phnum * sizeof(*file_ph), (off_t)eh.e_phoff)) < 0)
		goto fail;
	if (r || memcmp(file_ph, ph, phnum * sizeof(*ph)) != 0)
		goto out;
	/* The load bias: where the headers are against where the file puts them. */
	for (i = 0; i < phnum && !found; i++)
		if (ph[i].p_type == PT_LOAD && eh.e_phoff >= ph[i].p_offset &&
		    eh.e_phoff - ph[i].p_offset < ph[i].p_filesz) {
			bias = (uintptr_t)ph - (ph[i].p_vaddr + (eh.e_phoff - ph[i].p_offset));
			found = 1;
		}
	if (!found)
		goto out;
	for (i = 0; i < phnum; i++) {
		if (ph[i].p_type != PT_NOTE || !ph[i].p_filesz)
			continue;
		if (!loaded(ph, phnum, ph[i].p_vaddr, ph[i].p_filesz))
			goto out;
		free(note);
		if (!(note = malloc(ph[i].p_filesz))) {
			errno = ENOMEM;
			goto fail;
		}
		if ((r = read_at(fd, note, ph[i].p_filesz, (off_t)ph[i].p_offset)) < 0)
			goto fail;
		if (r || memcmp(note, (const void *)(bias + ph[i].p_vaddr), ph[i].p_filesz) != 0)
			goto out;
	}
	rc = 1;
out:
	free(note);
	free(file_ph);
	close(fd);
	return rc;
fail:
	e = errno;
	free(note);
	free(file_ph);
	close(fd);
	errno = e;
	return -1;
}

/* execfn made absolute without resolving it: the current directory joined
 * with it, its leading "./" dropped.  Malloc'd, or NULL with errno set. */
static char *
joined(const char *execfn)
{
	char *cwd, *path;

	if (execfn[0] == '/')
		return strdup(execfn);
	while (execfn[0] == '.' && execfn[1] == '/')
		for (execfn += 2; *execfn == '/'; execfn++)
			;
	if (!(cwd = getcwd(NULL, 0)))
		return NULL;
	if (asprintf(&path, "%s%s%s", cwd, cwd[strlen(cwd) - 1] == '/' ? "" : "/", execfn) < 0)
		path = NULL;
	free(cwd);
	return path;
}

char *
rt_self_path(const char *proc_exe, const char *execfn, char *err, size_t errlen)
{
	char *path = rt_read_link(proc_exe), why[256];
	int e, same;

	if (path && path[0] == '/')
		return path;
	e = path ? ENOENT : errno;      /* a relative answer would name nothing */
	free(path);
	if (!execfn || !*execfn) {
		snprintf(err, errlen, "cannot tell which file this program is: '%s' cannot be "
		         "read (%s) and the kernel kept no path it was started by", proc_exe,
		         strerror(e));
		return NULL;
	}
	same = rt_same_image(execfn);
	if (same > 0 && ((path = realpath(execfn, NULL)) != NULL ||
	                 (errno == ENAMETOOLONG && (path = joined(execfn)) != NULL)))
		return path;
	if (same < 0)
		snprintf(why, sizeof(why), "cannot be read: %s", strerror(errno));
	else if (same == 0)
		snprintf(why, sizeof(why), "is another file now");
	else
		snprintf(why, sizeof(why), "cannot be made absolute: %s", strerror(errno));
	snprintf(err, errlen, "cannot tell which file this program is: '%s' cannot be read "
	         "(%s) and '%s', the path it was started by, %s", proc_exe, strerror(e), execfn,
	         why);
	return NULL;
}

/*
 * selfpath.h: the welded binary's own path (selfpath.c).  Plain C, no
 * Python: found before the interpreter starts.
 */
#ifndef PYWELD_SELFPATH_H
#define PYWELD_SELFPATH_H

#include <stddef.h>

/*
 * This program's absolute path: what the link proc_exe ("/proc/self/exe")
 * names, read whole; when it cannot be read, execfn (the path the program
 * was started by, AT_EXECFN; relative to the current directory) made
 * absolute, if that file is this very program.  Malloc'd, or NULL with a
 * message in err.
 */
char *rt_self_path(const char *proc_exe, const char *execfn, char *err, size_t errlen);

/* The target of the symbolic link path, whatever its length: malloc'd, or
 * NULL with errno set. */
char *rt_read_link(const char *path);

/*
 * 1 when the file at path is the program image running in this process
 * (the same ELF program headers, and the same bytes in every note segment,
 * the linker's build ID among them); 0 when it is another file, -1 with
 * errno set when it cannot be read.
 */
int rt_same_image(const char *path);

#endif

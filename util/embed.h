/* embed.h: files carried inside the pyweld program (cmake/embed.cmake). */
#ifndef PYWELD_EMBED_H
#define PYWELD_EMBED_H

#include <stddef.h>

struct embedded_file {
	const char *name;
	const unsigned char *data;      /* NUL-terminated for text files */
	size_t size;
};

/* The runtime (rt.h and its .c files), compiled into every welded binary. */
extern const struct embedded_file embedded_runtime[];
/* The packer (inittab-gen/compile_blob.py, runtime/pyweld_resources.py),
 * run by the distribution's interpreter. */
extern const struct embedded_file embedded_tools[];
/* pydist/deepfreeze_lazy.py, run by the CPython build that pydist makes. */
extern const struct embedded_file embedded_pydist[];

#endif

/*
 * fileview_dirs.c: the view's directories (fileview.c says what the view
 * is): opendir and fdopendir of a directory inside give a DIR handle of
 * the view's own, known by its address, holding the sorted listing; the
 * C library's readdir, closedir, rewinddir, telldir, seekdir, dirfd and
 * scandir take the C library's handles as before.
 */
#include "fileview_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- directories ----------------------------------------------------------- */

/* One name of a listing. */
struct vent {
	const char *name;               /* into the listing's strings */
	unsigned char type;
};

/* A DIR of the rt_fv: the handle opendir gives out, known by its address. */
struct vdir {
	struct vdir *next;
	int fd;                         /* fdopendir's, or dirfd's; -1 until asked */
	char *rel;
	struct vent *ents;
	char *strings;
	size_t n, pos;
	struct dirent64 d;
};
static struct vdir *vdirs;
static size_t nvdirs;

static int
vent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vent *)a)->name, ((const struct vent *)b)->name);
}

/* A growing list of names. */
struct listing {
	struct vent *ents;
	size_t n, cap;
	char *strings;
	size_t slen, scap;
	bool failed;
};

static void
listing_add(struct listing *l, const char *name, size_t len, unsigned char type)
{
	if (l->failed || len == 0 || len > 255)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct vent *e = realloc(l->ents, cap * sizeof(*e));
		if (!e) {
			l->failed = true;
			return;
		}
		l->ents = e;
		l->cap = cap;
	}
	if (l->slen + len + 1 > l->scap) {
		size_t cap = l->scap ? 2 * l->scap : 1024;
		while (cap < l->slen + len + 1)
			cap *= 2;
		char *s = realloc(l->strings, cap);
		if (!s) {
			l->failed = true;
			return;
		}
		l->strings = s;
		l->scap = cap;
	}
	memcpy(l->strings + l->slen, name, len);
	l->strings[l->slen + len] = '\0';
	/* offsets until the strings stop moving */
	l->ents[l->n].name = (const char *)(uintptr_t)l->slen;
	l->ents[l->n].type = type;
	l->n++;
	l->slen += len + 1;
}

/* The first component of each name of kind under prefix p (n bytes, ending
 * in sep), a directory when more follows. */
static void
list_kind(struct listing *l, unsigned kind, const char *p, size_t n, char sep, bool modules)
{
	struct rt_blob_entry e;

	for (uint32_t i = rt_blob_lower_bound(rt_fv.blob, kind, p, n); i < rt_fv.blob->count; i++) {
		rt_blob_get(rt_fv.blob, i, &e);
		if ((e.flags & RT_BLOB_KIND_MASK) != kind || e.name_len < n ||
		    memcmp(e.name, p, n) != 0)
			break;
		const char *child = e.name + n, *more = memchr(child, sep, e.name_len - n);
		size_t clen = more ? (size_t)(more - child) : e.name_len - n;
		if (!modules) {
			listing_add(l, child, clen, more ? DT_DIR : DT_REG);
		} else if (more || (e.flags & (RT_BLOB_PACKAGE | RT_BLOB_NAMESPACE))) {
			listing_add(l, child, clen, DT_DIR);
		} else if (e.flags & RT_BLOB_SOURCE) {
			char name[260];
			if (clen + 3 < sizeof(name)) {
				memcpy(name, child, clen);
				memcpy(name + clen, ".py", 3);
				listing_add(l, name, clen + 3, DT_REG);
			}
		}
	}
}

/* The sorted names of directory vp (which exists), "." and ".." first;
 * 0, or -1 (ENOMEM). */
static int
list_dir(const struct fv_path *vp, struct vdir *d)
{
	struct listing l = { 0 };
	char buf[PATH_MAX + 1];
	size_t n = vp->len, out = 2;
	int64_t i;

	memcpy(buf, vp->rel, n);
	buf[n] = '/';
	listing_add(&l, ".", 1, DT_DIR);        /* kept in front, not sorted */
	listing_add(&l, "..", 2, DT_DIR);
	list_kind(&l, RT_BLOB_RESOURCE, buf, n + 1, '/', false);
	list_kind(&l, RT_BLOB_METADATA, buf, n + 1, '/', false);
	if (rt_fv_dotted(vp->rel, n, buf)) {
		/* A regular package's own source. */
		if ((i = rt_blob_find(rt_fv.blob, RT_BLOB_MODULE, buf, n)) >= 0) {
			struct rt_blob_entry e;
			rt_blob_get(rt_fv.blob, (uint32_t)i, &e);
			if ((e.flags & RT_BLOB_PACKAGE) && !(e.flags & RT_BLOB_NAMESPACE) &&
			    (e.flags & RT_BLOB_SOURCE))
				listing_add(&l, "__init__.py", 11, DT_REG);
		}
		buf[n] = '.';
		list_kind(&l, RT_BLOB_MODULE, buf, n + 1, '.', true);
	}
	if (l.failed) {
		free(l.ents);
		free(l.strings);
		errno = ENOMEM;
		return -1;
	}
	for (size_t k = 0; k < l.n; k++)
		l.ents[k].name = l.strings + (uintptr_t)l.ents[k].name;
	qsort(l.ents + 2, l.n - 2, sizeof(*l.ents), vent_cmp);
	/* One of each name: a subpackage is a directory of modules and of
	 * resources alike. */
	for (size_t k = 2; k < l.n; k++)
		if (out == 2 || strcmp(l.ents[k].name, l.ents[out - 1].name) != 0)
			l.ents[out++] = l.ents[k];
	d->ents = l.ents;
	d->strings = l.strings;
	d->n = out;
	return 0;
}

static struct vdir *
vdir_open(const struct fv_path *vp, int fd)
{
	struct fv_node nd;
	struct vdir *d;
	int saved = errno;

	rt_fv_answer(&rt_fv_n_dir, "opendir", vp);
	if (rt_fv_node_find(vp->rel, vp->len, &nd) != FV_DIR) {
		errno = nd.type == FV_FILE ? ENOTDIR : rt_fv_missing(vp->rel, vp->len);
		return NULL;
	}
	if (!(d = calloc(1, sizeof(*d))) || !(d->rel = strdup(vp->rel)) || list_dir(vp, d) < 0) {
		if (d)
			free(d->rel);
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	d->fd = fd;
	pthread_mutex_lock(&rt_fv_lock);
	d->next = vdirs;
	vdirs = d;
	__atomic_store_n(&nvdirs, nvdirs + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&rt_fv_lock);
	errno = saved;
	return d;
}

/* d as the view's DIR, or NULL when it is the C library's. */
static struct vdir *
vdir_of(DIR *d)
{
	struct vdir *v = NULL;

	if (!__atomic_load_n(&nvdirs, __ATOMIC_ACQUIRE) || !d)
		return NULL;
	pthread_mutex_lock(&rt_fv_lock);
	for (v = vdirs; v && (DIR *)v != d; v = v->next)
		;
	pthread_mutex_unlock(&rt_fv_lock);
	return v;
}

static struct dirent64 *
vdir_read(struct vdir *v)
{
	if (v->pos >= v->n)
		return NULL;
	const struct vent *e = &v->ents[v->pos++];
	size_t len = strlen(e->name);
	struct fv_path vp;

	memset(&v->d, 0, sizeof(v->d));
	if (!strcmp(e->name, ".")) {
		v->d.d_ino = (ino_t)rt_fv_ino(v->rel, strlen(v->rel));
	} else if (!strcmp(e->name, "..")) {
		const char *slash = strrchr(v->rel, '/');
		v->d.d_ino = (ino_t)rt_fv_ino(v->rel, slash ? (size_t)(slash - v->rel) : 0);
	} else {
		vp.len = strlen(v->rel);
		memcpy(vp.rel, v->rel, vp.len);
		vp.rel[vp.len++] = '/';
		memcpy(vp.rel + vp.len, e->name, len);
		vp.len += len;
		v->d.d_ino = (ino_t)rt_fv_ino(vp.rel, vp.len);
	}
	v->d.d_off = (off_t)v->pos;
	v->d.d_reclen = sizeof(v->d);
	v->d.d_type = e->type;
	memcpy(v->d.d_name, e->name, len + 1);
	return &v->d;
}

DIR *
__wrap_opendir(const char *path)
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_opendir(path);
	return c < 0 ? NULL : (DIR *)vdir_open(&vp, -1);
}

DIR *
__wrap_fdopendir(int fd)
{
	struct fv_path vp;

	if (!rt_fv_dirfd_find(fd, &vp))
		return __real_fdopendir(fd);
	return (DIR *)vdir_open(&vp, fd);
}

struct dirent *
__wrap_readdir(DIR *d)
{
	struct vdir *v = vdir_of(d);

	return v ? (struct dirent *)vdir_read(v) : __real_readdir(d);
}

struct dirent64 *
__wrap_readdir64(DIR *d)
{
	struct vdir *v = vdir_of(d);

	return v ? vdir_read(v) : __real_readdir64(d);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
int
__wrap_readdir_r(DIR *d, struct dirent *entry, struct dirent **result)
{
	struct vdir *v = vdir_of(d);
	struct dirent64 *e;

	if (!v)
		return __real_readdir_r(d, entry, result);
	e = vdir_read(v);
	if (e)
		memcpy(entry, e, sizeof(*entry));
	*result = e ? entry : NULL;
	return 0;
}

int
__wrap_readdir64_r(DIR *d, struct dirent64 *entry, struct dirent64 **result)
{
	struct vdir *v = vdir_of(d);
	struct dirent64 *e;

	if (!v)
		return __real_readdir64_r(d, entry, result);
	e = vdir_read(v);
	if (e)
		memcpy(entry, e, sizeof(*entry));
	*result = e ? entry : NULL;
	return 0;
}
#pragma GCC diagnostic pop

int
__wrap_closedir(DIR *d)
{
	struct vdir *v = vdir_of(d), **pp;

	if (!v)
		return __real_closedir(d);
	pthread_mutex_lock(&rt_fv_lock);
	for (pp = &vdirs; *pp && *pp != v; pp = &(*pp)->next)
		;
	if (*pp) {
		*pp = v->next;
		__atomic_store_n(&nvdirs, nvdirs - 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&rt_fv_lock);
	if (v->fd >= 0)
		close(v->fd);
	free(v->ents);
	free(v->strings);
	free(v->rel);
	free(v);
	return 0;
}

void
__wrap_rewinddir(DIR *d)
{
	struct vdir *v = vdir_of(d);

	if (!v)
		__real_rewinddir(d);
	else
		v->pos = 0;
}

long
__wrap_telldir(DIR *d)
{
	struct vdir *v = vdir_of(d);

	return v ? (long)v->pos : __real_telldir(d);
}

void
__wrap_seekdir(DIR *d, long loc)
{
	struct vdir *v = vdir_of(d);

	if (!v)
		__real_seekdir(d, loc);
	else if (loc >= 0)
		v->pos = (size_t)loc < v->n ? (size_t)loc : v->n;
}

int
__wrap_dirfd(DIR *d)
{
	struct vdir *v = vdir_of(d);
	struct fv_path vp;

	if (!v)
		return __real_dirfd(d);
	if (v->fd < 0) {
		vp.len = strlen(v->rel);
		memcpy(vp.rel, v->rel, vp.len + 1);
		vp.dir = true;
		v->fd = rt_fv_dirfd_new(&vp, 1);
	}
	return v->fd;
}

/* scandir over the view's directory: the C library's own walks with its
 * internal opendir, which the view does not see. */
static int
view_scandir(const struct fv_path *vp, struct dirent64 ***list,
             int (*filter)(const struct dirent64 *),
             int (*compar)(const struct dirent64 **, const struct dirent64 **))
{
	struct vdir *v = vdir_open(vp, -1);
	struct dirent64 **out = NULL, *e;
	size_t n = 0;
	int saved = errno;

	if (!v)
		return -1;
	while ((e = vdir_read(v))) {
		if (filter && !filter(e))
			continue;
		struct dirent64 **grown = realloc(out, (n + 1) * sizeof(*out));
		struct dirent64 *copy = grown ? malloc(sizeof(*copy)) : NULL;
		if (!copy) {
			if (grown)
				out = grown;
			while (n)
				free(out[--n]);
			free(out);
			__wrap_closedir((DIR *)v);
			errno = ENOMEM;
			return -1;
		}
		out = grown;
		memcpy(copy, e, sizeof(*copy));
		out[n++] = copy;
	}
	__wrap_closedir((DIR *)v);
	if (compar && n > 1)
		qsort(out, n, sizeof(*out), (int (*)(const void *, const void *))compar);
	*list = out;
	errno = saved;
	return (int)n;
}

int
__wrap_scandir(const char *path, struct dirent ***list, int (*filter)(const struct dirent *),
               int (*compar)(const struct dirent **, const struct dirent **))
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_scandir(path, list, filter, compar);
	return c < 0 ? -1 : view_scandir(&vp, (struct dirent64 ***)list,
	                                  (int (*)(const struct dirent64 *))filter,
	                                  (int (*)(const struct dirent64 **,
	                                           const struct dirent64 **))compar);
}

int
__wrap_scandir64(const char *path, struct dirent64 ***list,
                 int (*filter)(const struct dirent64 *),
                 int (*compar)(const struct dirent64 **, const struct dirent64 **))
{
	struct fv_path vp;
	int c = rt_fv_classify(AT_FDCWD, path, &vp);

	if (c == FV_OUTSIDE)
		return __real_scandir64(path, list, filter, compar);
	return c < 0 ? -1 : view_scandir(&vp, list, filter, compar);
}

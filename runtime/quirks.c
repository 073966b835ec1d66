/*
 * quirks.c: the functions that the weld's quirk table (inittab-gen/isolate.c)
 * renames an extension's calls to, where what the original answers is
 * wrong inside one binary.  Plain C, no Python.
 */

/*
 * For numpy: its call to backtrace() is renamed to this, and 0 frames is
 * numpy's "cannot tell the callers apart" answer, which turns its
 * temporary elision off (docs/weld.md).
 */
int pyweld_no_backtrace(void **buffer, int size);

int
pyweld_no_backtrace(void **buffer, int size)
{
	(void)buffer;
	(void)size;
	return 0;
}

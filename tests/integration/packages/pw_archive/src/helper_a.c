/* A member of libpwhelper.a. */
long
pw_helper_a(long x)
{
	return x + 1;
}

/* A member of libpwhelper.a. */
long
pw_helper_b(long x)
{
	return x * 10;
}

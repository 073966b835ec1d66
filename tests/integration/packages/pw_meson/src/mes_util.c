/* The second object of pw_meson._mes. */
long
pw_mes_triple(long x)
{
	return 3 * x;
}

/* pw_skbuild's static helper library (libskbhelper.a). */
long
pw_skb_square(long x)
{
	return x * x;
}

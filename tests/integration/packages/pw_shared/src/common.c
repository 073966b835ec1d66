/* Compiled into both extensions of pw_shared, with a different PW_FLAVOR. */
int
pw_shared_flavor(void)
{
	return PW_FLAVOR;
}

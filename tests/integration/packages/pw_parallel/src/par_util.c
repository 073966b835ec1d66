/* The second object of each pw_parallel._pN: its own copy of the index. */
int
pw_par_index(void)
{
	return PW_INDEX;
}

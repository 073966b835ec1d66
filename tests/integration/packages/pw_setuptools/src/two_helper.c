/* The second object of pw_setuptools._two. */
#include <math.h>

double
pw_two_hypot(double a, double b)
{
	return sqrt(a * a + b * b);
}

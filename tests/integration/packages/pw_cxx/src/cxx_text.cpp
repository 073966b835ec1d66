// The second object of pw_cxx._cxx: std::string work that can throw.
#include <stdexcept>
#include <string>

std::string
pw_cxx_shout(const std::string &s)
{
	if (s.empty())
		throw std::invalid_argument("nothing to shout");
	std::string out;
	for (char c : s)
		out += (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c;
	return out + "!";
}

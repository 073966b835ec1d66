"""pw_resources.sub: a subpackage with its own data file."""

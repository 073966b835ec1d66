"""The console script of pw_resources."""
import sys


def main(argv=None):
    print("pw-resources cli", *(sys.argv[1:] if argv is None else argv))
    return 0

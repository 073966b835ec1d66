"""Helpers of pw_resources.sub; alpha is a plugin entry point."""


def alpha():
    return "alpha from pw_resources.sub.helpers"


def nested_boom(depth):
    if depth == 0:
        return {}["no-such-key"]  # NESTED-BOOM-LINE
    return nested_boom(depth - 1)

"""pw_ns.sub.mod: a module in a PEP 420 namespace portion (no __init__.py)."""
VALUE = "pw_ns.sub.mod"

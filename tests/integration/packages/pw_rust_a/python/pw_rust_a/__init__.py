"""pw_rust_a: the Rust extension pw_rust_a._native and nothing else."""
from ._native import allocate, allocations, catch_inside, constructed, panic_now, which

__all__ = ["allocate", "allocations", "catch_inside", "constructed", "panic_now", "which"]

"""pw_rust_b: the Rust extension pw_rust_b._native and nothing else."""
from ._native import allocate, allocations, catch_inside, constructed, panic_now, which

__all__ = ["allocate", "allocations", "catch_inside", "constructed", "panic_now", "which"]

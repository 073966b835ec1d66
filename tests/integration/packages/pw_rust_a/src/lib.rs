//! pw_rust_a: a tiny PyO3 extension for pyweld's tests of welded Rust.
//!
//! pw_rust_b is the same code with "b" for "a".  Welded into one binary, the
//! two must stay apart: each has its own copy of Rust's std, its own
//! `#[global_allocator]` (a counting one: the other extension's allocations
//! never reach it), and a `#[no_mangle]` function of the same name
//! (`pw_rust_which`) that each calls for itself.  A panic in either becomes
//! Python's `PanicException`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use pyo3::prelude::*;

/// Counts the allocations of this extension's Rust code, then lets the
/// system allocator do them.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The same name in pw_rust_b: a global each extension must keep to itself.
#[no_mangle]
pub extern "C" fn pw_rust_which() -> u32 {
    0xA
}

/// Set by a constructor (`.init_array`), as crates such as `inventory` do.
static CONSTRUCTED: AtomicBool = AtomicBool::new(false);

extern "C" fn construct() {
    CONSTRUCTED.store(true, Ordering::Relaxed);
}

#[used]
#[link_section = ".init_array"]
static CONSTRUCTOR: extern "C" fn() = construct;

/// How many allocations this extension's allocator has seen.
#[pyfunction]
fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Makes `count` heap allocations of `size` bytes through the global
/// allocator; returns the bytes allocated.
#[pyfunction]
fn allocate(count: usize, size: usize) -> usize {
    let mut total = 0;
    for _ in 0..count {
        let v: Vec<u8> = std::hint::black_box(vec![0xA; size]);
        total += v.len();
    }
    total
}

/// What `pw_rust_which` answers here (through a function pointer, so the
/// call goes to the symbol the link bound).
#[pyfunction]
fn which() -> u32 {
    let f: extern "C" fn() -> u32 = std::hint::black_box(pw_rust_which);
    f()
}

/// Panics: PyO3 turns the unwinding panic into `PanicException`.
#[pyfunction]
fn panic_now(what: &str) {
    panic!("pw_rust_a panics: {what}");
}

/// A panic caught inside Rust (catch_unwind), with the message it carried.
#[pyfunction]
fn catch_inside() -> String {
    let caught = std::panic::catch_unwind(|| {
        panic!("caught inside pw_rust_a");
    });
    match caught {
        Err(e) => e.downcast_ref::<&str>().map(|s| s.to_string()).unwrap_or_default(),
        Ok(()) => String::new(),
    }
}

/// Whether the constructor ran before the module was imported.
#[pyfunction]
fn constructed() -> bool {
    CONSTRUCTED.load(Ordering::Relaxed)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(allocations, m)?)?;
    m.add_function(wrap_pyfunction!(allocate, m)?)?;
    m.add_function(wrap_pyfunction!(which, m)?)?;
    m.add_function(wrap_pyfunction!(panic_now, m)?)?;
    m.add_function(wrap_pyfunction!(catch_inside, m)?)?;
    m.add_function(wrap_pyfunction!(constructed, m)?)?;
    Ok(())
}

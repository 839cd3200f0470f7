//! The `lockfix` binary: everything lives in the library so the tests can drive it too.

/// rowan allocates and frees a node for each step of every tree walk; mimalloc's thread-local
/// free lists make those small allocations much cheaper than glibc's (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(lockfix::cli::main());
}

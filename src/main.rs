//! The `lockfix` binary: everything lives in the library so the tests can drive it too.

fn main() {
    std::process::exit(lockfix::cli::main());
}

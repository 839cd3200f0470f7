//! `cargo lockfix`: see `lockfix::cargo_subcommand`.

/// The same allocator as the `lockfix` binary (see `src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(lockfix::cli::cargo_subcommand::main());
}

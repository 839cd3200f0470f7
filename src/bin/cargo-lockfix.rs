//! `cargo lockfix`: see `lockfix::cargo_subcommand`.

fn main() {
    std::process::exit(lockfix::cargo_subcommand::main());
}

/work/main/tests/semantic/resolves_across_files/target/debug/deps/cfg_if-4f169ba488d6d089.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs

/work/main/tests/semantic/resolves_across_files/target/debug/deps/libcfg_if-4f169ba488d6d089.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs:

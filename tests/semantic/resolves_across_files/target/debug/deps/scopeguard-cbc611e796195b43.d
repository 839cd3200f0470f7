/work/main/tests/semantic/resolves_across_files/target/debug/deps/scopeguard-cbc611e796195b43.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/scopeguard-1.2.0/src/lib.rs

/work/main/tests/semantic/resolves_across_files/target/debug/deps/libscopeguard-cbc611e796195b43.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/scopeguard-1.2.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/scopeguard-1.2.0/src/lib.rs:

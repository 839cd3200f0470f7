/work/main/tests/semantic/resolves_across_files/target/debug/deps/smallvec-a20723ebec3ba0b3.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/smallvec-1.16.6/src/lib.rs

/work/main/tests/semantic/resolves_across_files/target/debug/deps/libsmallvec-a20723ebec3ba0b3.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/smallvec-1.16.6/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/smallvec-1.16.6/src/lib.rs:

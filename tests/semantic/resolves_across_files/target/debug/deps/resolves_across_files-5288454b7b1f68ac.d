/work/main/tests/semantic/resolves_across_files/target/debug/deps/resolves_across_files-5288454b7b1f68ac.d: src/lib.rs src/handlers.rs src/state.rs

/work/main/tests/semantic/resolves_across_files/target/debug/deps/libresolves_across_files-5288454b7b1f68ac.rmeta: src/lib.rs src/handlers.rs src/state.rs

src/lib.rs:
src/handlers.rs:
src/state.rs:

//! Runs seed 000's race once and prints how long the reader waited for its read lock.

#[tokio::main]
async fn main() {
    let waited = lockfix_example_000_fluvio::run_demo().await;
    println!("Reader blocked for {}ms", waited.as_millis());
    println!("measured: reader_wait_ms={:.1}", waited.as_secs_f64() * 1000.0);
}

//! Seed 004's contention: the pool records extraction results while circuit-breaker events go to a
//! bounded channel whose consumer is slow, and a `/metrics`-style reader keeps reading the metrics.
//! Prints the reader's wait percentiles, then a digest of a deterministic sequential run (its
//! circuit-breaker transitions, counters and events; `-- trace` prints the whole run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use lockfix_example_004_instance_pool::{CircuitBreakerState, EventBus, InstancePool, PoolConfig};

const CONTENDED_CALLS: usize = 220;
const CONSUMER_DELAY: Duration = Duration::from_millis(20);
const SAMPLE_EVERY: Duration = Duration::from_millis(1);

fn config(timeout: Duration) -> PoolConfig {
    PoolConfig { circuit_breaker_failure_threshold: 50, circuit_breaker_timeout: timeout }
}

/// Every result a failure with no timeout: the breaker opens and half-opens every 11 calls, so
/// events are emitted often and the slow consumer keeps the channel full.
async fn contended_reader_waits() -> (Vec<Duration>, Duration) {
    let (events, mut receiver) = EventBus::new(1);
    let consumer = tokio::spawn(async move {
        while receiver.recv().await.is_some() {
            tokio::time::sleep(CONSUMER_DELAY).await;
        }
    });
    let pool = Arc::new(InstancePool::new(config(Duration::ZERO), events));
    let metrics = pool.metrics();
    let began = Instant::now();
    let worker = tokio::spawn(async move {
        for _ in 0..CONTENDED_CALLS {
            pool.record_extraction_result(false, Duration::from_millis(5)).await;
        }
    });
    let mut waits = Vec::new();
    while !worker.is_finished() {
        tokio::time::sleep(SAMPLE_EVERY).await;
        let asked = Instant::now();
        let total = metrics.lock().await.total_extractions;
        waits.push(asked.elapsed());
        assert!(total as usize <= CONTENDED_CALLS);
    }
    let took = began.elapsed();
    worker.await.expect("worker panicked");
    consumer.abort();
    (waits, took)
}

fn describe(state: &CircuitBreakerState) -> String {
    match state {
        CircuitBreakerState::Closed { failure_count, success_count } => {
            format!("Closed(failures {failure_count}, successes {success_count})")
        }
        CircuitBreakerState::Open { .. } => "Open".to_string(),
    }
}

/// A fixed sequence of results, awaited one at a time, with and without the breaker's timeout
/// elapsing: one line per call with the state, the counters and the events it emitted.
async fn sequential_trace() -> Vec<String> {
    let mut lines = Vec::new();
    for timeout in [Duration::ZERO, Duration::from_secs(3600)] {
        let (events, mut receiver) = EventBus::new(64);
        let pool = InstancePool::new(config(timeout), events);
        for i in 0..60u64 {
            let success = i < 3 || (25..28).contains(&i) || i % 9 == 0;
            let duration = Duration::from_millis(10 + (i * 13) % 50);
            pool.record_extraction_result(success, duration).await;
            let m = pool.metrics().lock().await.clone();
            let mut emitted = Vec::new();
            while let Ok(event) = receiver.try_recv() {
                emitted.push(format!("{}({})", event.name, event.trips));
            }
            lines.push(format!(
                "timeout {:?} call {i} success {success}: {}; total {} ok {} failed {} avg {:.4} trips {}; events [{}]",
                timeout,
                describe(&pool.circuit_state().await),
                m.total_extractions,
                m.successful_extractions,
                m.failed_extractions,
                m.avg_processing_time_ms,
                m.circuit_breaker_trips,
                emitted.join(", ")
            ));
        }
    }
    lines
}

#[tokio::main]
async fn main() {
    let trace = sequential_trace().await;
    if std::env::args().nth(1).as_deref() == Some("trace") {
        for line in &trace {
            println!("trace: {line}");
        }
        return;
    }
    let (mut waits, took) = contended_reader_waits().await;
    waits.sort();
    let percentile = |p: f64| waits[((waits.len() as f64 * p).ceil() as usize).clamp(1, waits.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{CONTENDED_CALLS} results recorded in {:.0} ms, events to a 1-slot channel read every {} ms",
        ms(took),
        CONSUMER_DELAY.as_millis()
    );
    println!(
        "metrics reader: {} reads, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        waits.len(),
        ms(percentile(0.50)),
        ms(percentile(0.99)),
        ms(percentile(1.0))
    );
    let events = trace.iter().filter(|line| !line.ends_with("events []")).count();
    let opened = trace.iter().filter(|line| line.contains(": Open;")).count();
    println!("sequential run: {} calls, {events} with events, {opened} ending Open", trace.len());
    println!("measured: metrics_p99_ms={:.3} metrics_reads={}", ms(percentile(0.99)), waits.len());
}

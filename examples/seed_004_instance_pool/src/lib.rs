//! Seed 004 — "Instance Pool MutexGuard Analysis" (riptide-core/src/instance_pool.rs,
//! `record_extraction_result`, lines 684-830). Two guards, `state` and `metrics`, are taken at the
//! top and held for the whole 140-line function, including while circuit-breaker events are spawned
//! and awaited.
//!
//! lockfix reports `double-lock` and `emit-under-lock` and splits the function into the analysis's
//! "Solution 1": each lock in its own scope returning a snapshot, events emitted after all scopes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct PerformanceMetrics {
    pub total_extractions: u64,
    pub successful_extractions: u64,
    pub failed_extractions: u64,
    pub avg_processing_time_ms: f64,
    pub circuit_breaker_trips: u64,
}

#[derive(Debug, Clone)]
pub enum CircuitBreakerState {
    Closed { failure_count: u64, success_count: u64 },
    Open { opened_at: Instant },
}

pub struct PoolConfig {
    pub circuit_breaker_failure_threshold: u32,
    pub circuit_breaker_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub trips: u64,
}

/// Events go to a bounded channel: `emit` waits while a slow consumer has it full.
#[derive(Clone)]
pub struct EventBus {
    sender: mpsc::Sender<Event>,
}

impl EventBus {
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<Event>) {
        let (sender, receiver) = mpsc::channel(capacity);
        (EventBus { sender }, receiver)
    }

    pub async fn emit(&self, name: &str, trips: u64) {
        let _ = self.sender.send(Event { name: name.to_string(), trips }).await;
    }
}

pub struct InstancePool {
    circuit_state: Arc<Mutex<CircuitBreakerState>>,
    metrics: Arc<Mutex<PerformanceMetrics>>,
    config: PoolConfig,
    events: EventBus,
}

impl InstancePool {
    pub async fn record_extraction_result(&self, success: bool, duration: Duration) {
        let mut state = self.circuit_state.lock().await;
        let mut metrics = self.metrics.lock().await;

        metrics.total_extractions += 1;
        if success {
            metrics.successful_extractions += 1;
        } else {
            metrics.failed_extractions += 1;
        }
        let new_time = duration.as_millis() as f64;
        metrics.avg_processing_time_ms = if metrics.total_extractions == 1 {
            new_time
        } else {
            (metrics.avg_processing_time_ms + new_time) / 2.0
        };

        let new_state = match &*state {
            CircuitBreakerState::Closed { failure_count, success_count } => {
                let failure_count = if success { 0 } else { failure_count + 1 };
                let success_count = if success { success_count + 1 } else { *success_count };
                let total = failure_count + success_count;
                let failure_rate = (failure_count as f64 / total.max(1) as f64) * 100.0;
                if total >= 10 && failure_rate >= self.config.circuit_breaker_failure_threshold as f64 {
                    metrics.circuit_breaker_trips += 1;
                    // Events spawned and awaited while both guards are held.
                    let events = self.events.clone();
                    let trips = metrics.circuit_breaker_trips;
                    tokio::spawn(async move { events.emit("circuit_breaker_opened", trips).await })
                        .await
                        .ok();
                    CircuitBreakerState::Open { opened_at: Instant::now() }
                } else {
                    CircuitBreakerState::Closed { failure_count, success_count }
                }
            }
            CircuitBreakerState::Open { opened_at } if opened_at.elapsed() >= self.config.circuit_breaker_timeout => {
                self.events.emit("circuit_breaker_half_open", metrics.circuit_breaker_trips).await;
                CircuitBreakerState::Closed { failure_count: 0, success_count: 0 }
            }
            open => open.clone(),
        };

        *state = new_state;
    }
}

// Construction and inspection for the scenario's program; the seed shows only the method above.

impl InstancePool {
    pub fn new(config: PoolConfig, events: EventBus) -> Self {
        InstancePool {
            circuit_state: Arc::new(Mutex::new(CircuitBreakerState::Closed { failure_count: 0, success_count: 0 })),
            metrics: Arc::default(),
            config,
            events,
        }
    }

    /// The metrics lock, for a concurrent reader such as a `/metrics` endpoint.
    pub fn metrics(&self) -> Arc<Mutex<PerformanceMetrics>> {
        self.metrics.clone()
    }

    pub async fn circuit_state(&self) -> CircuitBreakerState {
        self.circuit_state.lock().await.clone()
    }
}

//! The shape of tokio's mini-redis `db.rs`: one `std::sync::Mutex` over the whole state, every
//! critical section short and synchronous, a broadcast `send` (not async) under the lock. This is
//! what tokio's own guidance recommends: the std mutex is the better lock here, and lockfix must
//! not offer the swap (or report anything).

pub mod db;

//! Signs up a new user once, bounded by a timeout, and prints whether the handler completed or
//! hung (the seed's integration test never returned).

use std::time::{Duration, Instant};

use lockfix_example_001_signup::{signup, AppState, SignupRequest};

const TIMEOUT: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() {
    let request = SignupRequest {
        email: "new@example.com".to_string(),
        password: "password123".to_string(),
        requires_2fa: false,
    };
    let start = Instant::now();
    match tokio::time::timeout(TIMEOUT, signup(AppState::default(), request)).await {
        Ok(Ok(response)) => {
            println!("signup completed in {:?}: {}", start.elapsed(), response.message);
            println!("measured: signup=completed");
        }
        Ok(Err(error)) => {
            println!("signup failed: {error:?}");
            println!("measured: signup=failed");
        }
        Err(_) => {
            println!("signup hung: no response after {TIMEOUT:?} (read guard alive at write())");
            println!("measured: signup=hung");
        }
    }
}

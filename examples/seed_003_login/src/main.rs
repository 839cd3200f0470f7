//! Seed 003's freeze: 16 logins verify their password with bcrypt (cost 10) at once while a cheap
//! request (a profile read that needs the storage lock only for a lookup) keeps arriving. Prints
//! the profile read's latency percentiles while the logins run.
//!
//! Each login runs on its own thread (as on a server with a thread per request, or a runtime with
//! enough workers): what is measured is the storage lock, not how many threads the machine has.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use lockfix_example_003_login::{login, profile, register, AppState, LoginRequest, Storage, User};

const LOGINS: usize = 16;
const COST: u32 = 10;
const PASSWORD: &str = "correct horse battery staple";
const SAMPLE_EVERY: Duration = Duration::from_millis(2);

fn main() {
    let hash = bcrypt::hash(PASSWORD, COST).expect("bcrypt hash");
    let users = (0..LOGINS).map(|i| User {
        user_id: format!("user-{i}"),
        username: format!("user{i}"),
        password_hash: hash.clone(),
    });
    let app_state = Arc::new(AppState { shared_storage: Arc::new(Mutex::new(Storage::with_users(users))) });

    let start = Arc::new(Barrier::new(LOGINS + 1));
    let finished = Arc::new(AtomicUsize::new(0));
    let logins: Vec<_> = (0..LOGINS)
        .map(|i| {
            let (app_state, start, finished) = (app_state.clone(), start.clone(), finished.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                start.wait();
                let request = LoginRequest { username: format!("user{i}"), password: PASSWORD.to_string() };
                let response = runtime.block_on(login(&app_state, request)).expect("login succeeds");
                finished.fetch_add(1, Ordering::SeqCst);
                response.user_id
            })
        })
        .collect();

    start.wait();
    let began = Instant::now();
    let mut waits = Vec::new();
    while finished.load(Ordering::SeqCst) < LOGINS {
        let asked = Instant::now();
        let user_id = profile(&app_state, "user0");
        waits.push(asked.elapsed());
        assert_eq!(user_id.as_deref(), Some("user-0"));
        std::thread::sleep(SAMPLE_EVERY);
    }
    let logins_took = began.elapsed();
    for login in logins {
        login.join().expect("login thread panicked");
    }

    waits.sort();
    let percentile = |p: f64| waits[((waits.len() as f64 * p).ceil() as usize).clamp(1, waits.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("{LOGINS} concurrent logins (bcrypt cost {COST}) took {:.0} ms", ms(logins_took));
    println!(
        "profile read while they ran: {} reads, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        waits.len(),
        ms(percentile(0.50)),
        ms(percentile(0.99)),
        ms(percentile(1.0))
    );
    println!(
        "measured: profile_p99_ms={:.3} profile_reads={} logins_ms={:.0}",
        ms(percentile(0.99)),
        waits.len(),
        ms(logins_took)
    );

    // `register` checks the name, hashes the password and stores the user: a new name gets the
    // next id, a taken one is refused (before and after lockfix splits its lock in two).
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let first = runtime.block_on(register(&app_state, "newcomer".to_string(), PASSWORD.to_string()));
    let again = runtime.block_on(register(&app_state, "newcomer".to_string(), PASSWORD.to_string()));
    println!("register: {first:?}, again: {again:?}");
    assert_eq!(first.as_deref(), Ok("user-17"));
    assert_eq!(again, Err("Username taken".to_string()));
}

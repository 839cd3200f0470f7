use swap_reached_through_sync::Counter;

#[tokio::main]
async fn main() {
    let counter = Counter::default();
    println!("{}", counter.report());
}

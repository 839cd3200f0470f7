use swap_made_async::Counter;

#[tokio::main]
async fn main() {
    let counter = Counter::default();
    println!("{}", counter.report());
}

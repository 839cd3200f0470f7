use swap_reached_through_sync::Counter;

#[test]
fn report_counts() {
    assert_eq!(Counter::default().report(), "0 hits");
}

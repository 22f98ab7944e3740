//! With the `serde` feature, `Event` serializes, so heartbeat events can cross a wire as they are.
#![cfg(feature = "serde")]

use futures_heartbeat::Event;

#[test]
fn events_round_trip_through_json() {
    let events = vec![Event::Pulse, Event::Item(String::from("job 7 done"))];
    let json = serde_json::to_string(&events).unwrap();
    assert_eq!(json, r#"["Pulse",{"Item":"job 7 done"}]"#);
    let back: Vec<Event<String>> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, events);
}

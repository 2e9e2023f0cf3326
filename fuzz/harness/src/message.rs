//! Queue messages: whatever `Message::from_json` accepts goes back out with `to_json` and reads
//! back as the same message (the deliver and retry functions re-queue what they read).
//!
//! Input: the message text (invalid UTF-8 replaced, as a queue body could not carry it).

use herald_domain::message::Message;

use crate::lossy;

pub fn message(data: &[u8]) {
    let text = lossy(data);
    let Ok(message) = Message::from_json(&text) else {
        return;
    };
    let json = message.to_json();
    match Message::from_json(&json) {
        Ok(again) => assert_eq!(again, message, "the message changed through to_json: {json}"),
        Err(e) => panic!("to_json wrote what from_json refuses: {e}\n{json}"),
    }
    if let Message::Deliver(delivery) = &message {
        // Small deliveries travel whole: the wire form is the JSON form.
        if json.len() <= herald_domain::message::SLIM_ABOVE {
            assert_eq!(delivery.to_wire(), json);
            // Ingest's fan-out encodes the event once for all deliveries, to the same text.
            let fan_out = [(**delivery).clone(), (**delivery).clone()];
            assert_eq!(
                herald_domain::message::wires(&fan_out),
                [json.clone(), json.clone()],
                "wires() differs from to_wire()"
            );
        }
        assert_eq!(Message::from_json(&delivery.to_json()).ok().as_ref(), Some(&message));
    }
}

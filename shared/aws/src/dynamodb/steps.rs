//! The activity log's steps as stored: one short line of text per step (its delivery id only when
//! it does not derive from the event and target, a target named by number after the item's first
//! mention), matched to an id once read, and the words of a step that did not go through beside
//! them. Packed into items of up to about 4 KB: twenty healthy steps to a write unit.

use std::fmt::Write as _;

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use herald_domain::TargetId;
use herald_domain::activity::{self, Attempt, ErrorClass, Outcome};
use herald_domain::request::RequestView;

/// What one item of steps may weigh. Writes are billed per started KB of each item, so one item
/// per invocation is never more units than several, and fewer calls; a batch of 20 healthy steps
/// is one item (of one unit). 4 KB, a read unit's worth, keeps a lookup from reading more than that
/// for one item.
const STEPS_ITEM_BYTES: usize = 4000;
/// The keys, names and expiry of a steps item, roughly.
const STEPS_ITEM_OVERHEAD: usize = 80;

/// A batch of steps: one line each (`delivery event target outcome+class status ms at`), and the
/// words of those that failed beside them.
#[derive(Serialize, Deserialize)]
pub(super) struct StoredSteps {
    d: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    x: Vec<StepWords>,
}

#[derive(Serialize, Deserialize)]
struct StepWords {
    /// The line it belongs to.
    i: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    e: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r: Option<String>,
    /// The request as sent (redacted), for an attempt that did not go through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    q: Option<RequestView>,
}

/// What the lines of one item share, so that later lines can be shorter: the targets written in
/// full so far, and the time of the first event written in full.
#[derive(Clone, Default)]
struct Shared {
    targets: Vec<TargetId>,
    base_ms: Option<u64>,
}

/// A step's line, as short as it can be written, since twenty healthy steps should fit one write
/// unit. A delivery whose id derives from its event and target (every one Herald routes) is written
/// without it: `event target-or-^n outcome status ms +after` (six fields), where `^n` is the n-th
/// target written in full earlier in the same item, `after` is ms after the event's time, and the
/// event id after the item's first is `<its random part>_<ms after the first's time>`. Others keep
/// the delivery id and write the event id without the time part they share: `delivery event target
/// outcome status ms +after` (seven). Lines of both forms, and older ones with a full event id and
/// time, read back.
fn line(a: &Attempt, shared: &mut Shared) -> String {
    let derived = activity::delivery_id(a.event_id, event_time(a.event_id), &a.target_id) == a.delivery_id;
    let target = match shared.targets.iter().position(|t| *t == a.target_id) {
        Some(n) => format!("^{n}"),
        None => {
            shared.targets.push(a.target_id.clone());
            a.target_id.to_string()
        }
    };
    let event = a.event_id.to_string();
    let mut line = match derived {
        true => {
            let since_base = shared.base_ms.and_then(|base| a.event_id.timestamp_ms().checked_sub(base));
            match since_base {
                Some(delta) => format!("{}_{delta} {target} {}", &event[ULID_TIME_CHARS..], a.outcome.code()),
                None => {
                    shared.base_ms.get_or_insert(a.event_id.timestamp_ms());
                    format!("{event} {target} {}", a.outcome.code())
                }
            }
        }
        false => {
            let event = match a.event_id.timestamp_ms() == a.delivery_id.timestamp_ms() {
                true => &event[ULID_TIME_CHARS..],
                false => &event,
            };
            format!("{} {event} {target} {}", a.delivery_id, a.outcome.code())
        }
    };
    line.push(a.class.map_or('-', ErrorClass::code));
    match a.status {
        Some(status) => write!(line, " {status}"),
        None => write!(line, " -"),
    }
    .expect("writing to a String");
    let at = a.at.timestamp_millis();
    match u64::try_from(at).ok().and_then(|at| at.checked_sub(a.delivery_id.timestamp_ms())) {
        Some(after) => write!(line, " {} +{after}", a.ms),
        None => write!(line, " {} {at}", a.ms),
    }
    .expect("writing to a String");
    line
}

/// A ULID's time part, in its text.
const ULID_TIME_CHARS: usize = 10;

/// The time an event's id carries: its webhook's arrival, which its delivery ids carry too.
fn event_time(event_id: Ulid) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(event_id.timestamp_ms() as i64).unwrap_or_default()
}

fn parse_line(text: &str, shared: &mut Shared) -> Option<Attempt> {
    let mut parts = text.split(' ');
    let derived = text.split(' ').count() == 6;
    let (delivery_id, event_id) = match derived {
        true => {
            let event = parts.next()?;
            let event_id = match event.split_once('_') {
                Some((random, delta)) => {
                    let time = shared.base_ms?.checked_add(delta.parse().ok()?)?;
                    let time = Ulid::from_parts(time, 0).to_string();
                    Ulid::from_string(&format!("{}{random}", &time[..ULID_TIME_CHARS])).ok()?
                }
                None => {
                    let id = Ulid::from_string(event).ok()?;
                    shared.base_ms.get_or_insert(id.timestamp_ms());
                    id
                }
            };
            (None, event_id)
        }
        false => {
            let delivery = parts.next()?;
            let event = parts.next()?;
            let event_id = match event.len() {
                16 => Ulid::from_string(&format!("{}{event}", delivery.get(..ULID_TIME_CHARS)?)).ok()?,
                _ => Ulid::from_string(event).ok()?,
            };
            (Some(Ulid::from_string(delivery).ok()?), event_id)
        }
    };
    let target = parts.next()?;
    let target_id = match target.strip_prefix('^') {
        Some(n) => shared.targets.get(n.parse::<usize>().ok()?)?.clone(),
        None => {
            let id = TargetId::parse(target).ok()?;
            shared.targets.push(id.clone());
            id
        }
    };
    let delivery_id = delivery_id.unwrap_or_else(|| activity::delivery_id(event_id, event_time(event_id), &target_id));
    let mut codes = parts.next()?.chars();
    let outcome = Outcome::from_code(codes.next()?)?;
    let class = codes.next().and_then(ErrorClass::from_code);
    let status = parts.next()?.parse().ok();
    let ms = parts.next()?.parse().ok()?;
    let at = parts.next()?;
    let at = match at.strip_prefix('+') {
        Some(after) => i64::try_from(delivery_id.timestamp_ms()).ok()?.checked_add(after.parse().ok()?)?,
        None => at.parse().ok()?,
    };
    let at = DateTime::from_timestamp_millis(at)?;
    Some(Attempt {
        at,
        delivery_id,
        event_id,
        target_id,
        outcome,
        status,
        class,
        ms,
        error: None,
        response: None,
        request: None,
    })
}

/// Packs steps into items of about [`STEPS_ITEM_BYTES`].
pub(super) fn pack(attempts: &[Attempt]) -> Vec<StoredSteps> {
    let mut items = Vec::new();
    let mut current = StoredSteps { d: String::new(), x: Vec::new() };
    let mut size = STEPS_ITEM_OVERHEAD;
    let mut lines = 0;
    // What later lines of the current item may refer to.
    let mut shared = Shared::default();
    for a in attempts {
        let words = (a.error.is_some() || a.response.is_some() || a.request.is_some()).then(|| StepWords {
            i: 0,
            e: a.error.clone(),
            r: a.response.clone(),
            q: a.request.clone(),
        });
        let words_size = words.as_ref().map_or(0, words_weight);
        let mut text = line(a, &mut shared);
        if lines > 0 && size + text.len() + 1 + words_size > STEPS_ITEM_BYTES {
            items.push(std::mem::replace(&mut current, StoredSteps { d: String::new(), x: Vec::new() }));
            (size, lines) = (STEPS_ITEM_OVERHEAD, 0);
            // A new item shares nothing with the last: the step is written again, in full.
            shared = Shared::default();
            text = line(a, &mut shared);
        }
        if lines > 0 {
            current.d.push('\n');
        }
        current.d.push_str(&text);
        if let Some(words) = words {
            current.x.push(StepWords { i: lines, ..words });
        }
        (size, lines) = (size + text.len() + 1 + words_size, lines + 1);
    }
    if !current.d.is_empty() {
        items.push(current);
    }
    items
}

/// About what a step's words add to an item.
fn words_weight(w: &StepWords) -> usize {
    let request = w.q.as_ref().map_or(0, |q| {
        q.url.len() + q.body.len() + q.headers.iter().map(|(n, v)| n.len() + v.len() + 8).sum::<usize>() + 40
    });
    16 + w.e.as_ref().map_or(0, String::len) + w.r.as_ref().map_or(0, String::len) + request
}

pub(super) fn unpack(stored: StoredSteps) -> Vec<Attempt> {
    let mut shared = Shared::default();
    let mut steps: Vec<Option<Attempt>> = stored.d.lines().map(|l| parse_line(l, &mut shared)).collect();
    for words in stored.x {
        if let Some(Some(step)) = steps.get_mut(words.i) {
            step.error = words.e;
            step.response = words.r;
            step.request = words.q;
        }
    }
    steps.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(i: u64, outcome: Outcome) -> Attempt {
        let at = DateTime::from_timestamp_millis(1_700_000_000_000 + i as i64).unwrap();
        let mut a = Attempt::step(
            at,
            Ulid::from_parts(1, i.into()),
            Ulid::from_parts(2, i.into()),
            &TargetId::parse("discord").unwrap(),
            outcome,
        );
        a.ms = 120 + i;
        a.status = (outcome == Outcome::Delivered).then_some(204);
        a
    }

    #[test]
    fn ten_healthy_steps_fit_one_write_unit_and_read_back_the_same() {
        let healthy: Vec<Attempt> = (0..10).map(|i| step(i, Outcome::Delivered)).collect();
        let items = pack(&healthy);
        assert_eq!(items.len(), 1);
        assert!(items[0].d.len() + STEPS_ITEM_OVERHEAD <= 1024, "{} bytes", items[0].d.len());
        assert_eq!(items.into_iter().flat_map(unpack).collect::<Vec<_>>(), healthy);
    }

    /// An item's size by DynamoDB's rule: each attribute's name and value (a number's digits halved).
    fn item_bytes(item: &crate::dynamodb::Item) -> usize {
        use aws_sdk_dynamodb::types::AttributeValue as V;
        item.iter()
            .map(|(name, value)| {
                name.len()
                    + match value {
                        V::S(s) => s.len(),
                        V::N(n) => n.len().div_ceil(2) + 1,
                        V::B(b) => b.as_ref().len(),
                        other => panic!("{other:?} not expected in a steps item"),
                    }
            })
            .sum()
    }

    #[test]
    fn a_full_batch_of_real_ids_is_one_item_of_a_write_unit_per_twenty_and_old_lines_still_read() {
        // (batch, targets it goes to, write units at most)
        for (batch, fan_out, units) in [(10, 10, 1), (20, 1, 1), (20, 5, 1), (20, 20, 2)] {
            a_full_batch_is_one_item(batch, fan_out, units);
        }
    }

    fn a_full_batch_is_one_item(batch: u64, fan_out: u64, units: usize) {
        // As deployed: targets made in the page have 26-character ids; a delivery id shares its
        // event's time; the step comes a few hundred ms after the webhook.
        let received = DateTime::from_timestamp_millis(1_795_000_000_123).unwrap();
        let healthy: Vec<Attempt> = (0..batch)
            .map(|i| {
                let event = herald_domain::ids::derived_id(received, &[&i.to_be_bytes()]);
                let target = Ulid::from_parts(1_795_000_000_000, (i % fan_out).into()).to_string().to_lowercase();
                let target = TargetId::parse(target).unwrap();
                let delivery = herald_domain::activity::delivery_id(event, received, &target);
                let mut a = Attempt::step(
                    received + chrono::Duration::milliseconds(310 + i as i64),
                    delivery,
                    event,
                    &target,
                    Outcome::Delivered,
                );
                (a.status, a.ms) = (Some(204), 95);
                a
            })
            .collect();
        let items = pack(&healthy);
        assert_eq!(items.len(), 1);
        let stored = crate::dynamodb::to_expiring_item(
            super::super::keys::steps(&Ulid::from_parts(1_795_000_000_500, 7)),
            &items[0],
            received + chrono::Duration::days(7),
        );
        let bytes = item_bytes(&stored);
        let full = |a: &Attempt| {
            format!("{} {} {} d- 204 95 {}", a.delivery_id, a.event_id, a.target_id, a.at.timestamp_millis())
        };
        let mut shared = Shared::default();
        let before = bytes + healthy.iter().map(|a| full(a).len() - line(a, &mut shared).len()).sum::<usize>();
        println!(
            "a batch of {batch} healthy steps to {fan_out} target(s): {bytes} bytes, {} write unit(s); with full ids and times {before} bytes, {}",
            bytes.div_ceil(1024),
            before.div_ceil(1024)
        );
        assert!(bytes <= 1024 * units, "{bytes} bytes: more than {units} write unit(s)");
        assert_eq!(items.into_iter().flat_map(unpack).collect::<Vec<_>>(), healthy);
        // A line written before the short forms reads the same.
        let a = &healthy[3];
        assert_eq!(parse_line(&full(a), &mut Shared::default()).as_ref(), Some(a));
        // So does one with the delivery id and a short event id, in an item with lines of both forms.
        let with_delivery = format!(
            "{} {}",
            a.delivery_id,
            line(a, &mut Shared::default()).replacen(&a.event_id.to_string()[..10], "", 1)
        );
        assert_eq!(parse_line(&with_delivery, &mut Shared::default()).as_ref(), Some(a));
        // A step whose delivery id does not derive from its event (a health warning's, whose event
        // is of another time) keeps both ids.
        let other = Attempt { event_id: Ulid::from_parts(5, 5), ..a.clone() };
        let written = line(&other, &mut Shared::default());
        assert_eq!(written.split(' ').count(), 7, "{written}");
        assert_eq!(parse_line(&written, &mut Shared::default()), Some(other));
    }

    #[test]
    fn a_target_named_by_number_resolves_in_its_own_item_only() {
        let received = DateTime::from_timestamp_millis(1_795_000_000_123).unwrap();
        let target = TargetId::parse("discord").unwrap();
        let steps: Vec<Attempt> = (0..60u64)
            .map(|i| {
                let event = herald_domain::ids::derived_id(received, &[&i.to_be_bytes()]);
                let mut a = Attempt::step(
                    received,
                    herald_domain::activity::delivery_id(event, received, &target),
                    event,
                    &target,
                    Outcome::Failed,
                );
                // Heavy words, so the steps spill over several items.
                a.response = Some("x".repeat(300));
                a
            })
            .collect();
        let items = pack(&steps);
        assert!(items.len() > 2, "{} items", items.len());
        for item in &items {
            assert!(item.d.lines().next().unwrap().contains(" discord "), "each item names its target in full first");
        }
        assert_eq!(items.into_iter().flat_map(unpack).collect::<Vec<_>>(), steps);
    }

    #[test]
    fn failures_carry_their_words_and_heavy_ones_spill_into_more_items() {
        let mut failed = step(1, Outcome::Failed);
        failed.status = Some(503);
        failed.class = Some(ErrorClass::Http);
        failed.error = Some("HTTP 503 Service Unavailable".into());
        failed.response = Some("x".repeat(3_900));
        let steps = vec![step(0, Outcome::Delivered), failed.clone(), step(2, Outcome::Parked)];
        let items = pack(&steps);
        assert_eq!(items.len(), 3, "a 3,900-byte answer takes an item of its own");
        let back: Vec<Attempt> = items.into_iter().flat_map(unpack).collect();
        assert_eq!(back, steps);
        assert_eq!(back[1], failed);
    }
}

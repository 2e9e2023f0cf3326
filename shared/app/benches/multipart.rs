//! What reading a multipart webhook costs ingest: the JSON part out of Plex's body, for the largest
//! multipart fixture in events/ and for one carrying a 1 MiB poster. Time from criterion; bytes
//! and allocations from a counting allocator, printed once per case
//! (`cargo bench -p herald-app --bench multipart`).

use base64::Engine as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use herald_app::multipart::json_part;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

// Counts what the measured call allocates (stats_alloc holds the unsafe allocator code).
#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

fn fixture() -> (String, Vec<u8>) {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/ingest-plex-library-new.json"))
            .expect("the fixture");
    let event: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let body = base64::engine::general_purpose::STANDARD.decode(event["body"].as_str().unwrap()).unwrap();
    (event["headers"]["content-type"].as_str().unwrap().to_owned(), body)
}

fn with_poster(content_type: &str, body: &[u8], poster: usize) -> Vec<u8> {
    let boundary = content_type.split("boundary=").nth(1).unwrap();
    let end = format!("--{boundary}--");
    let cut = body.windows(end.len()).rposition(|w| w == end.as_bytes()).unwrap();
    let mut out = body[..cut].to_vec();
    out.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"thumb\"; filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
    out.extend(std::iter::repeat_n(0xAB_u8, poster));
    out.extend_from_slice(format!("\r\n{end}\r\n").as_bytes());
    out
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (content_type, body) = fixture();
    let big = with_poster(&content_type, &body, 1 << 20);
    for (name, body) in [("plex library.new fixture", &body), ("with a 1 MiB poster", &big)] {
        let region = Region::new(GLOBAL);
        let part = runtime.block_on(json_part(&content_type, body, "payload", 256 * 1024)).unwrap();
        let stats = region.change();
        println!(
            "{name}: body {} bytes, JSON part {} bytes: {} allocations, {} bytes allocated",
            body.len(),
            part.len(),
            stats.allocations,
            stats.bytes_allocated
        );
        c.bench_function(name, |bench| {
            bench.iter(|| runtime.block_on(json_part(&content_type, black_box(body), "payload", 256 * 1024)).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

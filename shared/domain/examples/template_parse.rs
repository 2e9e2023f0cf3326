//! How long parsing takes on large adversarial templates (runs of braces that open nothing):
//! `cargo run --release -p herald-domain --example template_parse [bytes …]` (64 KiB and 1 MiB by default).

use std::time::Instant;

use herald_domain::template::Template;

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![64 << 10, 1 << 20] } else { sizes };
    for size in sizes {
        for unit in ["{", "{a", "{{ ", "plain text "] {
            let src = unit.repeat(size / unit.len());
            let started = Instant::now();
            let template = Template::parse(&src);
            let took = started.elapsed();
            assert!(!template.is_empty());
            println!("{:>8} bytes of {unit:?}: {took:?}", src.len());
        }
    }
}

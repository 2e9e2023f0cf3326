#![no_main]
// Nightly only (cargo-fuzz is): the standard library's unstable `is_global` is the oracle.
#![feature(ip)]
use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    herald_fuzz_harness::address(data);
    let ip = match data.len() {
        0..=3 => return,
        4..=15 => std::net::IpAddr::from(<[u8; 4]>::try_from(&data[..4]).unwrap()),
        _ => std::net::IpAddr::from(<[u8; 16]>::try_from(&data[..16]).unwrap()),
    };
    assert!(herald_fuzz_harness::differs_from_std_as_documented(ip, ip.is_global()), "{ip}: allowed, std refuses");
});

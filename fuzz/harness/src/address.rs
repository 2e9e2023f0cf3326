//! The SSRF classifier (`herald_domain::address`).
//!
//! Input: 4 bytes are an IPv4 address, 16 an IPv6 one; other lengths use the first 16 (or 4)
//! bytes. Invariants: it never panics; `is_global` is `not_global(..).is_none()`; an IPv6
//! address that carries an IPv4 one (mapped, NAT64 `64:ff9b::/96`, 6to4) is judged exactly as
//! that IPv4 address; Teredo, NAT64 local-use and everything outside `2000::/3` (but those
//! embeddings) are refused. The nightly fuzz target also checks it against the standard library's
//! unstable `is_global` ([`differs_from_std_as_documented`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use herald_domain::address::{is_global, not_global};

pub fn address(data: &[u8]) {
    let ip = match data.len() {
        0..=3 => return,
        4..=15 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(&data[..4]).expect("4 bytes"))),
        _ => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&data[..16]).expect("16 bytes"))),
    };
    let reason = not_global(ip);
    assert_eq!(is_global(ip), reason.is_none());
    if let IpAddr::V6(v6) = ip {
        if let Some(v4) = embedded(v6) {
            assert_eq!(is_global(IpAddr::V6(v6)), is_global(IpAddr::V4(v4)), "{v6} judged unlike {v4}");
        }
        let seg = v6.segments();
        if (seg[0] == 0x2001 && seg[1] == 0) || (seg[0] == 0x64 && seg[1] == 0xff9b && seg[2] == 1) {
            assert!(reason.is_some(), "{v6}: Teredo and NAT64 local-use are never global");
        }
        if seg[0] & 0xe000 != 0x2000 && embedded(v6).is_none() {
            assert!(reason.is_some(), "{v6}: outside 2000::/3");
        }
    }
    if let IpAddr::V4(v4) = ip {
        // Every IPv4 form of the same address answers alike.
        let mapped = IpAddr::V6(v4.to_ipv6_mapped());
        assert_eq!(is_global(mapped), is_global(ip), "{v4} and its mapped form");
    }
}

/// The IPv4 address an IPv6 one carries and is judged by: mapped, NAT64 well-known, 6to4.
pub fn embedded(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let seg = v6.segments();
    let octets = v6.octets();
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]));
    }
    if seg[0] == 0x2002 {
        return Some(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]));
    }
    None
}

/// Where ours allows what std's `is_global` refuses, it must be one of the documented choices
/// (`shared/domain/src/address.rs`): an embedding judged by its public IPv4 address, or a row
/// the registry updated after std (`2001:1::3`, DNS-SD anycast).
pub fn differs_from_std_as_documented(ip: IpAddr, std_global: bool) -> bool {
    if std_global || !is_global(ip) {
        return true;
    }
    match ip {
        IpAddr::V6(v6) => embedded(v6).is_some() || v6 == Ipv6Addr::new(0x2001, 1, 0, 0, 0, 0, 0, 3),
        IpAddr::V4(_) => false,
    }
}

//! Address classification for Herald's SSRF guard: **allow only global**.
//!
//! A webhook target may be connected to only if its address is globally reachable
//! according to the IANA special-purpose address registries. The tables below mirror,
//! row by row (name and "Globally Reachable" column verbatim):
//!
//! - the IANA IPv4 Special-Purpose Address Registry, last updated 2025-10-09
//!   (25 rows; the row "192.0.0.170/32, 192.0.0.171/32" is written as two lines),
//!   <https://www.iana.org/assignments/iana-ipv4-special-registry/>;
//! - the IANA IPv6 Special-Purpose Address Registry, last updated 2025-10-09 (25 rows),
//!   <https://www.iana.org/assignments/iana-ipv6-special-registry/>.
//!
//! Rules:
//! - The longest matching prefix decides, so a globally reachable row inside a
//!   non-global one wins (192.0.0.9/32 inside 192.0.0.0/24, 2001:3::/32 inside 2001::/23).
//! - A row is refused unless its Globally Reachable value is True (False and N/A refuse).
//! - Addresses outside every registry row: IPv4 is allowed except multicast 224.0.0.0/4
//!   (IANA IPv4 Address Space registry); IPv6 is allowed only inside global unicast
//!   2000::/3 (IANA IPv6 Address Space registry), and multicast, deprecated site-local,
//!   IPv4-compatible and IPv4-translated addresses get named rows of their own.
//! - IPv6 addresses that carry an IPv4 address (IPv4-mapped ::ffff:0:0/96, NAT64
//!   64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address instead of by their
//!   own row: allowed iff the embedded IPv4 address is allowed. Other embeddings
//!   (IPv4-compatible, IPv4-translated, Teredo, local-use NAT64) are refused outright.
//!
//! The registries change (a few rows a year): re-check them when touching this file.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why `ip` is not globally reachable (the matching registry row's name, e.g.
/// "Private-Use", "Loopback", or for an IPv6 address carrying an IPv4 address a composed
/// name such as "6to4 with an embedded IPv4 address: Private-Use"), or `None` when it may be
/// connected to.
pub fn not_global(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => refused_v4(ip).map(|row| row.name),
        IpAddr::V6(ip) => not_global_v6(ip),
    }
}

/// Whether `ip` may be connected to: globally reachable per the IANA registries.
pub fn is_global(ip: IpAddr) -> bool {
    not_global(ip).is_none()
}

/// The registry's "Globally Reachable" column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    True,
    False,
    /// "N/A" in the registry, or empty (the terminated allocations 192.88.99.0/24 and
    /// 2001:10::/28). Refused like False.
    NA,
}

/// Where an IPv6 row carries an IPv4 address that decides the verdict instead of the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Embed {
    /// ::ffff:a.b.c.d, the last 32 bits (RFC 4291 section 2.5.5.2).
    Mapped = 0,
    /// 64:ff9b::a.b.c.d, the last 32 bits (RFC 6052 section 2.2, /96 prefix). RFC 6052
    /// section 3.1 forbids this prefix for non-global IPv4 addresses, but nothing stops
    /// a hostile DNS answer from using one, so it is checked.
    Nat64 = 1,
    /// 2002:AABB:CCDD::/48 for the 6to4 site whose IPv4 address is bits 16..48 (RFC 3056).
    SixToFour = 2,
}

impl Embed {
    fn ipv4(self, bits: u128) -> Ipv4Addr {
        Ipv4Addr::from_bits(match self {
            Embed::Mapped | Embed::Nat64 => bits as u32,
            Embed::SixToFour => (bits >> 80) as u32,
        })
    }
}

/// One IPv4 row: `prefix` is (network, length), parsed from `cidr` at compile time.
struct V4 {
    #[allow(dead_code)] // the registry's text, checked against `prefix` by the tests
    cidr: &'static str,
    prefix: (u32, u8),
    name: &'static str,
    reach: Reach,
    /// The reason given for an IPv6 address embedding an address of this row,
    /// indexed by [`Embed`].
    embedded: [&'static str; 3],
}

/// One IPv6 row; `embed` says the row is judged by the IPv4 address it carries.
struct V6 {
    #[allow(dead_code)] // the registry's text, checked against `prefix` by the tests
    cidr: &'static str,
    prefix: (u128, u8),
    name: &'static str,
    reach: Reach,
    embed: Option<Embed>,
}

macro_rules! v4 {
    ($cidr:literal, $reach:ident, $name:literal) => {
        V4 {
            cidr: $cidr,
            prefix: cidr4($cidr),
            name: $name,
            reach: Reach::$reach,
            embedded: [
                concat!("IPv4-mapped with an embedded IPv4 address: ", $name),
                concat!("NAT64 with an embedded IPv4 address: ", $name),
                concat!("6to4 with an embedded IPv4 address: ", $name),
            ],
        }
    };
}

macro_rules! v6 {
    ($cidr:literal, $reach:ident, $name:literal) => {
        v6!(@ $cidr, $reach, $name, None)
    };
    ($cidr:literal, $reach:ident, $name:literal, $embed:ident) => {
        v6!(@ $cidr, $reach, $name, Some(Embed::$embed))
    };
    (@ $cidr:literal, $reach:ident, $name:literal, $embed:expr) => {
        V6 { cidr: $cidr, prefix: cidr6($cidr), name: $name, reach: Reach::$reach, embed: $embed }
    };
}

/// IANA IPv4 Special-Purpose Address Registry, 2025-10-09: (Address Block, Globally
/// Reachable, Name), in the registry's order.
const V4_REGISTRY: &[V4] = &[
    v4!("0.0.0.0/8", False, "\"This network\""),
    v4!("0.0.0.0/32", False, "\"This host on this network\""),
    v4!("10.0.0.0/8", False, "Private-Use"),
    v4!("100.64.0.0/10", False, "Shared Address Space"),
    v4!("127.0.0.0/8", False, "Loopback"),
    v4!("169.254.0.0/16", False, "Link Local"),
    v4!("172.16.0.0/12", False, "Private-Use"),
    v4!("192.0.0.0/24", False, "IETF Protocol Assignments"),
    v4!("192.0.0.0/29", False, "IPv4 Service Continuity Prefix"),
    v4!("192.0.0.8/32", False, "IPv4 dummy address"),
    v4!("192.0.0.9/32", True, "Port Control Protocol Anycast"),
    v4!("192.0.0.10/32", True, "Traversal Using Relays around NAT Anycast"),
    v4!("192.0.0.170/32", False, "NAT64/DNS64 Discovery"), // one registry row with
    v4!("192.0.0.171/32", False, "NAT64/DNS64 Discovery"), // the next line
    v4!("192.0.2.0/24", False, "Documentation (TEST-NET-1)"),
    v4!("192.31.196.0/24", True, "AS112-v4"),
    v4!("192.52.193.0/24", True, "AMT"),
    v4!("192.88.99.0/24", NA, "Deprecated (6to4 Relay Anycast)"), // terminated 2015-03
    v4!("192.88.99.2/32", False, "6a44-relay anycast address"),
    v4!("192.168.0.0/16", False, "Private-Use"),
    v4!("192.175.48.0/24", True, "Direct Delegation AS112 Service"),
    v4!("198.18.0.0/15", False, "Benchmarking"),
    v4!("198.51.100.0/24", False, "Documentation (TEST-NET-2)"),
    v4!("203.0.113.0/24", False, "Documentation (TEST-NET-3)"),
    v4!("240.0.0.0/4", False, "Reserved"),
    v4!("255.255.255.255/32", False, "Limited Broadcast"),
];

/// IPv4 refused although in no special-purpose row (IANA IPv4 Address Space registry).
const V4_OTHER: &[V4] = &[v4!("224.0.0.0/4", False, "Multicast")];

/// IANA IPv6 Special-Purpose Address Registry, 2025-10-09: (Address Block, Globally
/// Reachable, Name[, embedded IPv4 address that decides instead]), in the registry's order.
const V6_REGISTRY: &[V6] = &[
    v6!("::1/128", False, "Loopback Address"),
    v6!("::/128", False, "Unspecified Address"),
    v6!("::ffff:0:0/96", False, "IPv4-mapped Address", Mapped),
    v6!("64:ff9b::/96", True, "IPv4-IPv6 Translat.", Nat64),
    v6!("64:ff9b:1::/48", False, "IPv4-IPv6 Translat."), // local-use NAT64, RFC 8215
    v6!("100::/64", False, "Discard-Only Address Block"),
    v6!("100:0:0:1::/64", False, "Dummy IPv6 Prefix"),
    v6!("2001::/23", False, "IETF Protocol Assignments"),
    // Teredo: server IPv4 in bits 32..64, client IPv4 obfuscated (XOR 0xffffffff) in the
    // last 32 bits, behind a NAT this guard cannot see. Refused outright (N/A, in 2001::/23).
    v6!("2001::/32", NA, "TEREDO"),
    v6!("2001:1::1/128", True, "Port Control Protocol Anycast"),
    v6!("2001:1::2/128", True, "Traversal Using Relays around NAT Anycast"),
    v6!("2001:1::3/128", True, "DNS-SD Service Registration Protocol Anycast"),
    v6!("2001:2::/48", False, "Benchmarking"),
    v6!("2001:3::/32", True, "AMT"),
    v6!("2001:4:112::/48", True, "AS112-v6"),
    v6!("2001:10::/28", NA, "Deprecated (previously ORCHID)"), // terminated 2014-03
    v6!("2001:20::/28", True, "ORCHIDv2"),
    v6!("2001:30::/28", True, "Drone Remote ID Protocol Entity Tags (DETs) Prefix"),
    v6!("2001:db8::/32", False, "Documentation"),
    v6!("2002::/16", NA, "6to4", SixToFour),
    v6!("2620:4f:8000::/48", True, "Direct Delegation AS112 Service"),
    v6!("3fff::/20", False, "Documentation"),
    v6!("5f00::/16", False, "Segment Routing (SRv6) SIDs"),
    v6!("fc00::/7", False, "Unique-Local"),
    v6!("fe80::/10", False, "Link-Local Unicast"),
];

/// IPv6 outside the special-purpose registry: only global unicast is allowed.
const V6_OTHER: &[V6] = &[
    v6!("::/0", False, "Reserved by IETF (outside 2000::/3)"),
    v6!("2000::/3", True, "Global Unicast"),
    v6!("::/96", False, "IPv4-compatible Address (deprecated)"), // RFC 4291 section 2.5.5.1
    v6!("::ffff:0:0:0/96", False, "IPv4-translated Address"),    // RFC 2765 ::ffff:0:a.b.c.d
    v6!("fec0::/10", False, "Site-Local (deprecated)"),          // RFC 3879
    v6!("ff00::/8", False, "Multicast"),
];

/// The most specific IPv4 row containing `bits`, if any.
fn lookup_v4(bits: u32) -> Option<&'static V4> {
    V4_REGISTRY
        .iter()
        .chain(V4_OTHER)
        .filter(|row| bits & mask4(row.prefix.1) == row.prefix.0)
        .max_by_key(|row| row.prefix.1)
}

/// The most specific IPv6 row containing `bits` (::/0 contains them all).
fn lookup_v6(bits: u128) -> &'static V6 {
    V6_REGISTRY
        .iter()
        .chain(V6_OTHER)
        .filter(|row| bits & mask6(row.prefix.1) == row.prefix.0)
        .max_by_key(|row| row.prefix.1)
        .expect("::/0 contains every address")
}

/// The row refusing `ip`, or `None` when it is allowed.
fn refused_v4(ip: Ipv4Addr) -> Option<&'static V4> {
    lookup_v4(ip.to_bits()).filter(|row| row.reach != Reach::True)
}

fn not_global_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let bits = ip.to_bits();
    let row = lookup_v6(bits);
    match row.embed {
        // Judged by the embedded IPv4 address alone, whatever the row's own column says.
        Some(embed) => refused_v4(embed.ipv4(bits)).map(|inner| inner.embedded[embed as usize]),
        None => (row.reach != Reach::True).then_some(row.name),
    }
}

const fn mask4(len: u8) -> u32 {
    if len == 0 { 0 } else { u32::MAX << (32 - len) }
}

const fn mask6(len: u8) -> u128 {
    if len == 0 { 0 } else { u128::MAX << (128 - len) }
}

/// Parses "a.b.c.d/len" at compile time; a malformed row fails the build.
const fn cidr4(s: &str) -> (u32, u8) {
    let b = s.as_bytes();
    let (mut i, mut net, mut octet, mut dots) = (0, 0u32, 0u32, 0);
    while b[i] != b'/' {
        if b[i] == b'.' {
            (net, octet, dots) = (net << 8 | octet, 0, dots + 1);
        } else {
            assert!(b[i].is_ascii_digit(), "bad IPv4 digit");
            octet = octet * 10 + (b[i] - b'0') as u32;
        }
        assert!(octet <= 255, "IPv4 octet over 255");
        i += 1;
    }
    assert!(dots == 3, "IPv4 needs four octets");
    let (net, len) = (net << 8 | octet, prefix_len(b, i + 1, 32));
    assert!(net & !mask4(len) == 0, "host bits set");
    (net, len)
}

/// Parses "x:x::x/len" (no dotted quad) at compile time; a malformed row fails the build.
const fn cidr6(s: &str) -> (u128, u8) {
    let b = s.as_bytes();
    let (mut groups, mut n, mut gap) = ([0u128; 8], 0, usize::MAX);
    let (mut i, mut group, mut digits) = (0, 0u128, 0);
    while b[i] != b'/' {
        if b[i] == b':' {
            if digits > 0 {
                (groups[n], n, group, digits) = (group, n + 1, 0, 0);
            }
            if b[i + 1] == b':' {
                assert!(gap == usize::MAX, "two '::'");
                (gap, i) = (n, i + 1);
            } else {
                assert!(i > 0, "leading ':'");
            }
        } else {
            let d = (b[i] as char).to_digit(16);
            assert!(d.is_some() && digits < 4, "bad IPv6 group");
            (group, digits) = (group << 4 | d.unwrap() as u128, digits + 1);
        }
        i += 1;
    }
    if digits > 0 {
        (groups[n], n) = (group, n + 1);
    }
    assert!(if gap == usize::MAX { n == 8 } else { n < 8 }, "wrong number of groups");
    let (mut net, mut k) = (0u128, 0);
    while k < n {
        let at = if k < gap { k } else { k + 8 - n };
        net |= groups[k] << (16 * (7 - at));
        k += 1;
    }
    let len = prefix_len(b, i + 1, 128);
    assert!(net & !mask6(len) == 0, "host bits set");
    (net, len)
}

const fn prefix_len(b: &[u8], mut i: usize, max: u32) -> u8 {
    let mut len = 0u32;
    assert!(i < b.len(), "missing prefix length");
    while i < b.len() {
        assert!(b[i].is_ascii_digit(), "bad prefix length");
        len = len * 10 + (b[i] - b'0') as u32;
        assert!(len <= max, "prefix length too long");
        i += 1;
    }
    len as u8
}

#[cfg(test)]
mod tests;

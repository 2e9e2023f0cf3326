use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// The `cidr` of the row deciding `addr` ("" when no IPv4 row matches).
fn row_of(addr: IpAddr) -> &'static str {
    match addr {
        IpAddr::V4(a) => lookup_v4(a.to_bits()).map_or("", |row| row.cidr),
        IpAddr::V6(a) => lookup_v6(a.to_bits()).cidr,
    }
}

/// Every table line's compile-time prefix equals what std parses from its text,
/// and no prefix appears twice.
#[test]
fn table_prefixes_match_std_parser() {
    let mut seen = std::collections::HashSet::new();
    for row in V4_REGISTRY.iter().chain(V4_OTHER) {
        let (addr, len) = row.cidr.split_once('/').unwrap();
        let want = (addr.parse::<Ipv4Addr>().unwrap().to_bits(), len.parse().unwrap());
        assert_eq!(row.prefix, want, "{}", row.cidr);
        assert!(seen.insert(row.cidr), "duplicate {}", row.cidr);
    }
    for row in V6_REGISTRY.iter().chain(V6_OTHER) {
        let (addr, len) = row.cidr.split_once('/').unwrap();
        let want = (addr.parse::<Ipv6Addr>().unwrap().to_bits(), len.parse().unwrap());
        assert_eq!(row.prefix, want, "{}", row.cidr);
        assert!(seen.insert(row.cidr), "duplicate {}", row.cidr);
    }
    assert_eq!(V4_REGISTRY.len(), 26, "25 registry rows, one written as two lines");
    assert_eq!(V6_REGISTRY.len(), 25);
}

/// (address, row deciding it ("" = no row), expected `not_global`): for every row at
/// least one address inside (usually its first and last), plus the neighbours just
/// outside it.
const CASES: &[(&str, &str, Option<&str>)] = &[
    // IPv4 registry
    ("0.0.0.1", "0.0.0.0/8", Some("\"This network\"")),
    ("0.255.255.255", "0.0.0.0/8", Some("\"This network\"")),
    ("1.0.0.0", "", None),
    ("0.0.0.0", "0.0.0.0/32", Some("\"This host on this network\"")),
    ("9.255.255.255", "", None),
    ("10.0.0.0", "10.0.0.0/8", Some("Private-Use")),
    ("10.255.255.255", "10.0.0.0/8", Some("Private-Use")),
    ("11.0.0.0", "", None),
    ("100.63.255.255", "", None),
    ("100.64.0.0", "100.64.0.0/10", Some("Shared Address Space")),
    ("100.127.255.255", "100.64.0.0/10", Some("Shared Address Space")),
    ("100.128.0.0", "", None),
    ("126.255.255.255", "", None),
    ("127.0.0.1", "127.0.0.0/8", Some("Loopback")),
    ("127.255.255.255", "127.0.0.0/8", Some("Loopback")),
    ("128.0.0.0", "", None),
    ("169.253.255.255", "", None),
    ("169.254.0.0", "169.254.0.0/16", Some("Link Local")),
    ("169.254.169.254", "169.254.0.0/16", Some("Link Local")),
    ("169.254.255.255", "169.254.0.0/16", Some("Link Local")),
    ("169.255.0.0", "", None),
    ("172.15.255.255", "", None),
    ("172.16.0.0", "172.16.0.0/12", Some("Private-Use")),
    ("172.31.255.255", "172.16.0.0/12", Some("Private-Use")),
    ("172.32.0.0", "", None),
    ("191.255.255.255", "", None),
    ("192.0.0.0", "192.0.0.0/29", Some("IPv4 Service Continuity Prefix")),
    ("192.0.0.7", "192.0.0.0/29", Some("IPv4 Service Continuity Prefix")),
    ("192.0.0.8", "192.0.0.8/32", Some("IPv4 dummy address")),
    ("192.0.0.9", "192.0.0.9/32", None),
    ("192.0.0.10", "192.0.0.10/32", None),
    ("192.0.0.11", "192.0.0.0/24", Some("IETF Protocol Assignments")),
    ("192.0.0.169", "192.0.0.0/24", Some("IETF Protocol Assignments")),
    ("192.0.0.170", "192.0.0.170/32", Some("NAT64/DNS64 Discovery")),
    ("192.0.0.171", "192.0.0.171/32", Some("NAT64/DNS64 Discovery")),
    ("192.0.0.172", "192.0.0.0/24", Some("IETF Protocol Assignments")),
    ("192.0.0.255", "192.0.0.0/24", Some("IETF Protocol Assignments")),
    ("192.0.1.0", "", None),
    ("192.0.2.0", "192.0.2.0/24", Some("Documentation (TEST-NET-1)")),
    ("192.0.2.255", "192.0.2.0/24", Some("Documentation (TEST-NET-1)")),
    ("192.0.3.0", "", None),
    ("192.31.196.0", "192.31.196.0/24", None),
    ("192.31.196.255", "192.31.196.0/24", None),
    ("192.52.193.0", "192.52.193.0/24", None),
    ("192.52.193.255", "192.52.193.0/24", None),
    ("192.88.98.255", "", None),
    ("192.88.99.0", "192.88.99.0/24", Some("Deprecated (6to4 Relay Anycast)")),
    ("192.88.99.1", "192.88.99.0/24", Some("Deprecated (6to4 Relay Anycast)")),
    ("192.88.99.2", "192.88.99.2/32", Some("6a44-relay anycast address")),
    ("192.88.99.255", "192.88.99.0/24", Some("Deprecated (6to4 Relay Anycast)")),
    ("192.88.100.0", "", None),
    ("192.167.255.255", "", None),
    ("192.168.0.0", "192.168.0.0/16", Some("Private-Use")),
    ("192.168.255.255", "192.168.0.0/16", Some("Private-Use")),
    ("192.169.0.0", "", None),
    ("192.175.48.0", "192.175.48.0/24", None),
    ("192.175.48.255", "192.175.48.0/24", None),
    ("198.17.255.255", "", None),
    ("198.18.0.0", "198.18.0.0/15", Some("Benchmarking")),
    ("198.19.255.255", "198.18.0.0/15", Some("Benchmarking")),
    ("198.20.0.0", "", None),
    ("198.51.99.255", "", None),
    ("198.51.100.0", "198.51.100.0/24", Some("Documentation (TEST-NET-2)")),
    ("198.51.100.255", "198.51.100.0/24", Some("Documentation (TEST-NET-2)")),
    ("198.51.101.0", "", None),
    ("203.0.112.255", "", None),
    ("203.0.113.0", "203.0.113.0/24", Some("Documentation (TEST-NET-3)")),
    ("203.0.113.255", "203.0.113.0/24", Some("Documentation (TEST-NET-3)")),
    ("203.0.114.0", "", None),
    ("240.0.0.0", "240.0.0.0/4", Some("Reserved")),
    ("255.255.255.254", "240.0.0.0/4", Some("Reserved")),
    ("255.255.255.255", "255.255.255.255/32", Some("Limited Broadcast")),
    // IPv4 outside the registry
    ("223.255.255.255", "", None),
    ("224.0.0.0", "224.0.0.0/4", Some("Multicast")),
    ("239.255.255.255", "224.0.0.0/4", Some("Multicast")),
    // IPv6 registry
    ("::", "::/128", Some("Unspecified Address")),
    ("::1", "::1/128", Some("Loopback Address")),
    (
        "::ffff:0.0.0.0",
        "::ffff:0:0/96",
        Some("IPv4-mapped with an embedded IPv4 address: \"This host on this network\""),
    ),
    ("::ffff:8.8.8.8", "::ffff:0:0/96", None),
    ("::ffff:255.255.255.255", "::ffff:0:0/96", Some("IPv4-mapped with an embedded IPv4 address: Limited Broadcast")),
    ("64:ff9b::", "64:ff9b::/96", Some("NAT64 with an embedded IPv4 address: \"This host on this network\"")),
    ("64:ff9b::808:808", "64:ff9b::/96", None),
    ("64:ff9b::ffff:ffff", "64:ff9b::/96", Some("NAT64 with an embedded IPv4 address: Limited Broadcast")),
    ("64:ff9b::1:0:0", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("64:ff9b:1::", "64:ff9b:1::/48", Some("IPv4-IPv6 Translat.")),
    ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "64:ff9b:1::/48", Some("IPv4-IPv6 Translat.")),
    ("64:ff9b:2::", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("100::", "100::/64", Some("Discard-Only Address Block")),
    ("100::ffff:ffff:ffff:ffff", "100::/64", Some("Discard-Only Address Block")),
    ("100:0:0:1::", "100:0:0:1::/64", Some("Dummy IPv6 Prefix")),
    ("100:0:0:1:ffff:ffff:ffff:ffff", "100:0:0:1::/64", Some("Dummy IPv6 Prefix")),
    ("100:0:0:2::", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("2000::", "2000::/3", None),
    ("2001::", "2001::/32", Some("TEREDO")),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32", Some("TEREDO")),
    ("2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/32", Some("TEREDO")),
    ("2001:1::", "2001::/23", Some("IETF Protocol Assignments")),
    ("2001:1::1", "2001:1::1/128", None),
    ("2001:1::2", "2001:1::2/128", None),
    ("2001:1::3", "2001:1::3/128", None),
    ("2001:1::4", "2001::/23", Some("IETF Protocol Assignments")),
    ("2001:2::", "2001:2::/48", Some("Benchmarking")),
    ("2001:2:0:ffff:ffff:ffff:ffff:ffff", "2001:2::/48", Some("Benchmarking")),
    ("2001:2:1::", "2001::/23", Some("IETF Protocol Assignments")),
    ("2001:3::", "2001:3::/32", None),
    ("2001:3:ffff:ffff:ffff:ffff:ffff:ffff", "2001:3::/32", None),
    ("2001:4:111:ffff:ffff:ffff:ffff:ffff", "2001::/23", Some("IETF Protocol Assignments")),
    ("2001:4:112::", "2001:4:112::/48", None),
    ("2001:4:112:ffff:ffff:ffff:ffff:ffff", "2001:4:112::/48", None),
    ("2001:4:113::", "2001::/23", Some("IETF Protocol Assignments")),
    ("2001:f:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/23", Some("IETF Protocol Assignments")),
    ("2001:10::", "2001:10::/28", Some("Deprecated (previously ORCHID)")),
    ("2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:10::/28", Some("Deprecated (previously ORCHID)")),
    ("2001:20::", "2001:20::/28", None),
    ("2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:20::/28", None),
    ("2001:30::", "2001:30::/28", None),
    ("2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:30::/28", None),
    ("2001:40::", "2001::/23", Some("IETF Protocol Assignments")),
    ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/23", Some("IETF Protocol Assignments")),
    ("2001:200::", "2000::/3", None),
    ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2000::/3", None),
    ("2001:db8::", "2001:db8::/32", Some("Documentation")),
    ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32", Some("Documentation")),
    ("2001:db9::", "2000::/3", None),
    ("2002::", "2002::/16", Some("6to4 with an embedded IPv4 address: \"This host on this network\"")),
    ("2002:808:808::1", "2002::/16", None),
    (
        "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "2002::/16",
        Some("6to4 with an embedded IPv4 address: Limited Broadcast"),
    ),
    ("2003::", "2000::/3", None),
    ("2620:4f:7fff:ffff:ffff:ffff:ffff:ffff", "2000::/3", None),
    ("2620:4f:8000::", "2620:4f:8000::/48", None),
    ("2620:4f:8000:ffff:ffff:ffff:ffff:ffff", "2620:4f:8000::/48", None),
    ("2620:4f:8001::", "2000::/3", None),
    ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2000::/3", None),
    ("3fff::", "3fff::/20", Some("Documentation")),
    ("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff::/20", Some("Documentation")),
    ("3fff:1000::", "2000::/3", None),
    ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2000::/3", None),
    ("4000::", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("5eff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("5f00::", "5f00::/16", Some("Segment Routing (SRv6) SIDs")),
    ("5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "5f00::/16", Some("Segment Routing (SRv6) SIDs")),
    ("5f01::", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("fc00::", "fc00::/7", Some("Unique-Local")),
    ("fd00::1", "fc00::/7", Some("Unique-Local")),
    ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fc00::/7", Some("Unique-Local")),
    ("fe00::", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("fe80::", "fe80::/10", Some("Link-Local Unicast")),
    ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::/10", Some("Link-Local Unicast")),
    // IPv6 outside the registry
    ("::2", "::/96", Some("IPv4-compatible Address (deprecated)")),
    ("::ffff:ffff", "::/96", Some("IPv4-compatible Address (deprecated)")),
    ("::1:0:0", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("::fffe:ffff:ffff", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("::1:0:0:0", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("::ffff:0:0:0", "::ffff:0:0:0/96", Some("IPv4-translated Address")),
    ("::ffff:0:ffff:ffff", "::ffff:0:0:0/96", Some("IPv4-translated Address")),
    ("::ffff:1:0:0", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0", Some("Reserved by IETF (outside 2000::/3)")),
    ("fec0::", "fec0::/10", Some("Site-Local (deprecated)")),
    ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::/10", Some("Site-Local (deprecated)")),
    ("ff00::", "ff00::/8", Some("Multicast")),
    ("ff02::1", "ff00::/8", Some("Multicast")),
    ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff00::/8", Some("Multicast")),
];

/// One assertion per (address, row); every failure is reported with its row.
#[test]
fn registry_rows() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|&(addr, row, want)| {
            let got = (row_of(ip(addr)), not_global(ip(addr)));
            (got != (row, want)).then(|| format!("{addr}: want {row:?} {want:?}, got {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Each table line is exercised by at least one address of `CASES`.
#[test]
fn every_row_has_a_case() {
    let rows = V4_REGISTRY.iter().chain(V4_OTHER).map(|r| (r.cidr, r.name));
    let rows = rows.chain(V6_REGISTRY.iter().chain(V6_OTHER).map(|r| (r.cidr, r.name)));
    let missing: Vec<_> = rows.filter(|(cidr, _)| !CASES.iter().any(|c| c.1 == *cidr)).collect();
    assert!(missing.is_empty(), "rows without a case: {missing:?}");
}

fn refused(addr: &str) -> &'static str {
    not_global(ip(addr)).unwrap_or_else(|| panic!("{addr} allowed"))
}

fn allowed(addr: &str) {
    assert_eq!(not_global(ip(addr)), None, "{addr}");
}

#[test]
fn ipv4_mapped_is_judged_by_its_ipv4_address() {
    allowed("::ffff:8.8.8.8");
    allowed("::ffff:192.0.0.9");
    assert_eq!(refused("::ffff:127.0.0.1"), "IPv4-mapped with an embedded IPv4 address: Loopback");
    assert_eq!(refused("::ffff:10.1.2.3"), "IPv4-mapped with an embedded IPv4 address: Private-Use");
    assert_eq!(refused("::ffff:169.254.169.254"), "IPv4-mapped with an embedded IPv4 address: Link Local");
    assert_eq!(refused("::ffff:224.0.0.1"), "IPv4-mapped with an embedded IPv4 address: Multicast");
}

#[test]
fn ipv4_translated_is_refused_outright() {
    assert_eq!(refused("::ffff:0:8.8.8.8"), "IPv4-translated Address");
    assert_eq!(refused("::ffff:0:127.0.0.1"), "IPv4-translated Address");
}

#[test]
fn ipv4_compatible_is_refused_outright() {
    assert_eq!(refused("::8.8.8.8"), "IPv4-compatible Address (deprecated)");
    assert_eq!(refused("::127.0.0.1"), "IPv4-compatible Address (deprecated)");
}

#[test]
fn nat64_well_known_prefix_with_public_ipv4_is_allowed() {
    allowed("64:ff9b::808:808");
    allowed("64:ff9b::1.1.1.1");
}

#[test]
fn nat64_well_known_prefix_with_non_global_ipv4_is_refused() {
    assert_eq!(refused("64:ff9b::a9fe:a9fe"), "NAT64 with an embedded IPv4 address: Link Local");
    assert_eq!(refused("64:ff9b::127.0.0.1"), "NAT64 with an embedded IPv4 address: Loopback");
    assert_eq!(refused("64:ff9b::10.0.0.1"), "NAT64 with an embedded IPv4 address: Private-Use");
    assert_eq!(refused("64:ff9b::100.64.0.1"), "NAT64 with an embedded IPv4 address: Shared Address Space");
    assert_eq!(refused("64:ff9b::192.0.0.170"), "NAT64 with an embedded IPv4 address: NAT64/DNS64 Discovery");
}

#[test]
fn nat64_local_use_prefix_is_refused() {
    assert_eq!(refused("64:ff9b:1::808:808"), "IPv4-IPv6 Translat.");
    assert_eq!(refused("64:ff9b:1:ffff::a00:1"), "IPv4-IPv6 Translat.");
}

#[test]
fn sixtofour_with_public_ipv4_is_allowed() {
    allowed("2002:808:808::1");
    allowed("2002:101:101:ffff:ffff:ffff:ffff:ffff");
}

#[test]
fn sixtofour_with_non_global_ipv4_is_refused() {
    assert_eq!(refused("2002:a9fe:a9fe::"), "6to4 with an embedded IPv4 address: Link Local");
    assert_eq!(refused("2002:7f00:1::"), "6to4 with an embedded IPv4 address: Loopback");
    assert_eq!(refused("2002:c0a8:101::1"), "6to4 with an embedded IPv4 address: Private-Use");
    assert_eq!(refused("2002:c058:6301::"), "6to4 with an embedded IPv4 address: Deprecated (6to4 Relay Anycast)");
}

#[test]
fn teredo_is_refused_outright() {
    // Server 65.54.227.120, client 192.0.2.45 obfuscated; a public server and client
    // change nothing.
    assert_eq!(refused("2001:0:4136:e378:8000:63bf:3fff:fdd2"), "TEREDO");
    assert_eq!(refused("2001:0:808:808:0:0:f7f7:f7f7"), "TEREDO");
}

/// Every embedding form of an IPv4 address agrees with the IPv4 address itself, for
/// the first and last address of every IPv4 row and of every /8.
#[test]
fn embedded_forms_agree_with_plain_ipv4() {
    let rows = V4_REGISTRY.iter().chain(V4_OTHER).map(|r| r.prefix);
    let rows = rows.chain((0..=255u32).map(|a| (a << 24, 8)));
    for (net, len) in rows {
        for v4 in [net, net | !mask4(len)] {
            let want = refused_v4(Ipv4Addr::from_bits(v4));
            let forms = [
                (Embed::Mapped, 0xffff_u128 << 32 | v4 as u128),
                (Embed::Nat64, 0x64_ff9b_u128 << 96 | v4 as u128),
                (Embed::SixToFour, (0x2002_u128 << 32 | v4 as u128) << 80 | 0xabc),
            ];
            for (embed, v6) in forms {
                let got = not_global(IpAddr::V6(Ipv6Addr::from_bits(v6)));
                let v4 = Ipv4Addr::from_bits(v4);
                assert_eq!(got, want.map(|row| row.embedded[embed as usize]), "{v4} as {embed:?}");
            }
        }
    }
}

#[test]
fn ordinary_public_addresses_are_allowed() {
    for addr in [
        "1.1.1.1",
        "8.8.8.8",
        "162.159.128.233",
        "2606:4700::1111",
        "2a00:1450:4001::1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ] {
        allowed(addr);
        assert!(is_global(ip(addr)), "{addr}");
    }
}

#[test]
fn is_global_negates_not_global() {
    for &(addr, _, want) in CASES {
        assert_eq!(is_global(ip(addr)), want.is_none(), "{addr}");
    }
}

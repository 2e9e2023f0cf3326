//! SSRF guard: which addresses a target may resolve to. Only public unicast addresses, unless an
//! explicit allow-list (for local runs and tests) says otherwise.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Why an address is not public, for the error a user sees.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match () {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_private() => "private",
        _ if ip.is_link_local() => "link-local",
        _ if a == 100 && (b & 0xc0) == 64 => "carrier-grade NAT",
        _ if ip.is_unspecified() || a == 0 => "unspecified",
        _ if ip.is_multicast() => "multicast",
        _ if ip.is_broadcast() || a >= 240 => "reserved",
        _ if ip.is_documentation() => "documentation",
        _ if a == 192 && b == 0 && c == 0 => "IETF protocol assignment",
        _ if a == 198 && (b & 0xfe) == 18 => "benchmarking",
        _ => return None,
    })
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    let seg = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
        let [.., hi, lo] = seg;
        return v4_reason(Ipv4Addr::from(((hi as u32) << 16) | lo as u32));
    }
    Some(match () {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_multicast() => "multicast",
        _ if (seg[0] & 0xfe00) == 0xfc00 => "unique local",
        _ if (seg[0] & 0xffc0) == 0xfe80 => "link-local",
        _ if seg[0] == 0x2001 && seg[1] == 0xdb8 => "documentation",
        // IPv4-compatible (deprecated) ::a.b.c.d
        _ if seg[..6] == [0, 0, 0, 0, 0, 0] => "IPv4-compatible",
        _ => return None,
    })
}

#[derive(Clone, Debug, Default)]
pub struct AddressPolicy {
    allow: Vec<IpNet>,
}

impl AddressPolicy {
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self { allow }
    }

    /// `Err(reason)` when the address may not be connected to.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        let canonical = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        if self.allow.iter().any(|net| net.contains(&canonical) || net.contains(&ip)) {
            return Ok(());
        }
        match non_public_reason(ip) {
            None => Ok(()),
            Some(reason) => Err(format!(
                "address {canonical} is {reason}, not public; refused (allow it with HERALD_ALLOW_NETWORKS for local runs)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_classes_are_refused() {
        let refused = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
            "::7f00:1",
        ];
        let policy = AddressPolicy::default();
        for ip in refused {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(policy.check(ip).is_err(), "{ip} should be refused");
        }
        for ip in ["1.1.1.1", "162.159.128.233", "2606:4700::1111", "::ffff:8.8.8.8", "100.128.0.1"] {
            assert!(policy.check(ip.parse().unwrap()).is_ok(), "{ip} is public");
        }
    }

    #[test]
    fn allow_list_opens_named_networks_only() {
        let policy = AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert!(policy.check("127.0.0.1".parse().unwrap()).is_ok());
        assert!(policy.check("::ffff:127.0.0.1".parse().unwrap()).is_ok());
        let err = policy.check("10.0.0.1".parse().unwrap()).unwrap_err();
        assert!(err.contains("10.0.0.1 is private"), "{err}");
    }
}

//! SSRF guard: which addresses a target may resolve to. Only globally reachable ones
//! ([`herald_domain::address`], the IANA registries row by row), unless an explicit allow-list
//! (for local runs and tests) says otherwise.

use std::net::IpAddr;

use ipnet::IpNet;

/// Why an address is not globally reachable (its IANA special-purpose registry row), for the error
/// a user sees; `None` when a target may connect to it.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    herald_domain::address::not_global(ip)
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
                "address {canonical} is {reason}, not globally reachable; refused (allow it with HERALD_ALLOW_NETWORKS for local runs)"
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
            // The audit's findings: NAT64 local-use, 6to4 with an embedded private or metadata
            // address, Teredo, site-local, IPv4-translated, the 6to4 relay, discard-only, benchmarking.
            "64:ff9b:1::a00:1",
            "2002:a9fe:a9fe::1",
            "2002:0a00:0001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "::ffff:0:a00:1",
            "192.88.99.1",
            "100::1",
            "2001:2::1",
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
        assert!(err.contains("10.0.0.1 is Private-Use"), "{err}");
    }
}

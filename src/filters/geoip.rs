//! Where an address is: country, city, location and network owner, from
//! MaxMind DB files (`GEOIP_DB`: GeoLite2-City, -Country, -ASN, or DB-IP
//! Lite, which share the GeoIP2 layout), shipped by the user as a Lambda
//! layer.
//!
//! Each file is memory-mapped once per cold start; several files (a City and
//! an ASN database, comma-separated) are all asked and their answers merged.
//! Private, reserved and unparsable addresses are never looked up.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
#[error("GEOIP_DB {path}: {reason}")]
pub struct GeoIpError {
    pub path: PathBuf,
    pub reason: String,
}

/// The opened databases.
pub struct GeoIp {
    readers: Vec<(PathBuf, maxminddb::Reader<maxminddb::Mmap>)>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let paths: Vec<_> = self.readers.iter().map(|(p, _)| p).collect();
        f.debug_struct("GeoIp").field("paths", &paths).finish()
    }
}

/// What a database knows of an address (GeoIP2 City / Country / ASN records).
#[derive(Debug, Default, Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    country: Option<Place<'a>>,
    #[serde(borrow)]
    city: Option<Place<'a>>,
    location: Option<Location>,
    autonomous_system_number: Option<AnyInteger>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

#[derive(Debug, Default, Deserialize)]
struct Place<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
    #[serde(borrow)]
    names: Option<Names<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Names<'a> {
    #[serde(borrow)]
    en: Option<&'a str>,
}

/// An integer of whatever width the database chose (GeoLite2 writes ASNs
/// as uint32, other writers uint16; the decoder only converts on request).
#[derive(Clone, Copy, Debug)]
struct AnyInteger(i64);

impl<'de> Deserialize<'de> for AnyInteger {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = AnyInteger;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<AnyInteger, E> {
                i64::try_from(v).map(AnyInteger).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<AnyInteger, E> {
                Ok(AnyInteger(v))
            }
            fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<AnyInteger, E> {
                i64::try_from(v).map(AnyInteger).map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Default, Deserialize)]
struct Location {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

impl GeoIp {
    /// Opens each comma-separated path; an unreadable one fails with its path.
    pub fn open(paths: &str) -> Result<GeoIp, GeoIpError> {
        let mut readers = Vec::new();
        for path in paths.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            // SAFETY: the mapped file must not change while mapped. Lambda
            // layers are read-only (/opt), and a file replaced on a
            // workstation is a new inode; nothing here writes to it.
            let reader =
                unsafe { maxminddb::Reader::open_mmap(&path) }.map_err(|e| GeoIpError {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            readers.push((path, reader));
        }
        if readers.is_empty() {
            return Err(GeoIpError {
                path: PathBuf::from(paths),
                reason: "no database path".into(),
            });
        }
        Ok(GeoIp { readers })
    }

    /// Writes `{"country_iso_code":…,"location":{"lat":…,"lon":…},…}` for a
    /// public address the databases know; false (nothing written) otherwise.
    pub fn write(&self, address: &str, out: &mut Vec<u8>) -> bool {
        let Ok(addr) = address.trim().parse::<IpAddr>() else {
            return false;
        };
        if !is_public(addr) {
            return false;
        }
        let mut merged = Record::default();
        for (_, reader) in &self.readers {
            let Ok(Some(found)) = reader.lookup(addr).and_then(|r| r.decode::<Record>()) else {
                continue;
            };
            merged.country = merged.country.or(found.country);
            merged.city = merged.city.or(found.city);
            merged.location = merged.location.or(found.location);
            merged.autonomous_system_number = merged
                .autonomous_system_number
                .or(found.autonomous_system_number);
            merged.autonomous_system_organization = merged
                .autonomous_system_organization
                .or(found.autonomous_system_organization);
        }
        let start = out.len();
        let mut object = crate::json::ObjectWriter::new(out);
        if let Some(country) = &merged.country {
            if let Some(code) = country.iso_code {
                object.str("country_iso_code", code);
            }
            if let Some(name) = country.names.as_ref().and_then(|n| n.en) {
                object.str("country_name", name);
            }
        }
        if let Some(name) = merged.city.as_ref().and_then(|c| c.names.as_ref()?.en) {
            object.str("city_name", name);
        }
        if let Some(Location {
            latitude: Some(lat),
            longitude: Some(lon),
        }) = merged.location
        {
            let mut point = Vec::with_capacity(48);
            let mut inner = crate::json::ObjectWriter::new(&mut point);
            inner.f64("lat", lat);
            inner.f64("lon", lon);
            inner.finish();
            object.raw("location", &point);
        }
        if let Some(asn) = merged.autonomous_system_number {
            object.i64("asn", asn.0);
        }
        if let Some(org) = merged.autonomous_system_organization {
            object.str("as_org", org);
        }
        let wrote = !object.is_empty();
        object.finish();
        if !wrote {
            out.truncate(start);
        }
        wrote
    }
}

/// Not private, loopback, link-local, shared, documentation, benchmarking,
/// multicast, broadcast, reserved or unspecified: worth a look-up.
pub fn is_public(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [o0, o1, ..] = a.octets();
    !(a.is_private()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_broadcast()
        || a.is_documentation()
        || a.is_unspecified()
        || a.is_multicast()
        || o0 == 0
        || (o0 == 100 && (64..128).contains(&o1)) // shared, RFC 6598
        || (o0 == 198 && (18..20).contains(&o1)) // benchmarking, RFC 2544
        || (o0 == 192 && o1 == 0 && a.octets()[2] == 0) // IETF protocol assignments
        || o0 >= 240) // reserved
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    !(a.is_loopback()
        || a.is_unspecified()
        || a.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64
        || s[0] == 0x0100) // discard
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_looked_up() {
        for (addr, public) in [
            ("8.8.8.8", true),
            ("81.2.69.160", true),
            ("2a02:26f0::1", true),
            ("10.0.0.1", false),
            ("172.16.5.4", false),
            ("192.168.1.1", false),
            ("127.0.0.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("198.18.0.1", false),
            ("203.0.113.9", false),
            ("224.0.0.1", false),
            ("255.255.255.255", false),
            ("240.0.0.1", false),
            ("0.0.0.0", false),
            ("::1", false),
            ("fd00::1", false),
            ("fe80::1", false),
            ("2001:db8::1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:8.8.8.8", true),
        ] {
            let parsed: IpAddr = addr.parse().expect(addr);
            assert_eq!(is_public(parsed), public, "{addr}");
        }
    }

    #[test]
    fn a_missing_database_names_its_path() {
        let err = GeoIp::open("/nonexistent/GeoLite2-City.mmdb").expect_err("missing");
        assert!(
            err.to_string().contains("/nonexistent/GeoLite2-City.mmdb"),
            "{err}"
        );
        let err = GeoIp::open(" , ").expect_err("no path");
        assert!(err.to_string().contains("no database path"), "{err}");
    }
}

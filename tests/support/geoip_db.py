"""Writes the small MaxMind DB files the GeoIP tests use, with mmdb-writer
(PyPI): never a downloaded database. Reads JSON on stdin: {"dir": PATH};
writes city.mmdb (GeoIP2-City layout) and asn.mmdb (GeoLite2-ASN layout)
there and prints their paths and what they hold.

81.2.69.0/24 and 2a02:26f0::/32 are in both: a public IPv4 and IPv6 range.
10.0.0.0/8 is in the city database too, so that a test can see that private
addresses are skipped by the forwarder, not missing from the file.
"""

import json
import os
import sys

from mmdb_writer import MMDBWriter
from netaddr import IPSet

LONDON = {
    "country": {"iso_code": "GB", "names": {"en": "United Kingdom", "de": "Vereinigtes Königreich"}},
    "city": {"names": {"en": "London"}},
    "location": {"latitude": 51.5142, "longitude": -0.0931, "accuracy_radius": 10},
}
FRANKFURT = {
    "country": {"iso_code": "DE", "names": {"en": "Germany"}},
    "city": {"names": {"en": "Frankfurt am Main"}},
    "location": {"latitude": 50.1188, "longitude": 8.6843},
}
PRIVATE = {"country": {"iso_code": "ZZ", "names": {"en": "Private"}}}


def main():
    spec = json.load(sys.stdin)
    city = MMDBWriter(ip_version=6, database_type="GeoIP2-City", languages=["en", "de"], ipv4_compatible=True)
    city.insert_network(IPSet(["81.2.69.0/24"]), LONDON)
    city.insert_network(IPSet(["2a02:26f0::/32"]), FRANKFURT)
    city.insert_network(IPSet(["10.0.0.0/8"]), PRIVATE)
    # int_type "auto" writes the ASN as uint16 where GeoLite2 has uint32: the
    # forwarder must read either.
    asn = MMDBWriter(ip_version=6, database_type="GeoLite2-ASN", ipv4_compatible=True)
    asn.insert_network(
        IPSet(["81.2.69.0/24"]),
        {"autonomous_system_number": 20712, "autonomous_system_organization": "Andrews & Arnold Ltd"},
    )
    paths = {"city": os.path.join(spec["dir"], "city.mmdb"), "asn": os.path.join(spec["dir"], "asn.mmdb")}
    city.to_db_file(paths["city"])
    asn.to_db_file(paths["asn"])
    json.dump(paths, sys.stdout)


if __name__ == "__main__":
    main()

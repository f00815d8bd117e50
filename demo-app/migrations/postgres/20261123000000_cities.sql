-- PostgreSQL's version of sqlite/20261123000000_cities.sql (the same tables, versions and
-- names; see demo-app/src/db.rs for what differs between the two sets and why).

-- Key/value facts about the database itself; `cities_data_set` names the data set version
-- loaded into `cities`, so a restart does not load it again.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The /search data set (GeoNames cities, see demo-app/data/README.md). Loaded from the
-- file embedded in the binary on first start; searched through an in-memory index built
-- from this table at start (demo-app/src/cities.rs).
CREATE TABLE cities (
    id BIGINT PRIMARY KEY,         -- GeoNames id
    name TEXT NOT NULL,
    country_code TEXT NOT NULL,    -- ISO 3166-1 alpha-2
    country TEXT NOT NULL,
    admin1_code TEXT NOT NULL,
    region TEXT NOT NULL,          -- '' when the source has no name for admin1_code
    population BIGINT NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    timezone TEXT NOT NULL
);

CREATE INDEX cities_population ON cities (population DESC, id);

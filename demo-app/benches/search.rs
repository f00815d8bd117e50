//! City search: the in-memory index (what the app uses) against SQLite FTS5.
//!
//! `cargo bench -p demo-app --bench search` prints, for each approach, the median, p99 and
//! maximum time of 1,000 queries of each kind (top 20 results plus the total count, as the
//! `/search` screen asks), then the data set load time, then runs criterion on a few
//! fixed queries. `cargo bench -p demo-app --bench search -- --table-only` skips criterion.
//!
//! Query kinds: random 1–4 letter strings (many match nothing past two letters), 1–4
//! letter prefixes of words of real names (all match something; the short ones match
//! thousands of cities), and two-word queries (`new yo`).
//!
//! FTS5 indexes the display names with `unicode61 remove_diacritics 2` and prefix indexes
//! of 1–3 characters, queried with the same folded words (`"new"* "yo"*`), ranked by
//! population through a join with `cities`, and counted with a second query.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use demo_app::cities::{self, query_words, City};
use demo_app::{Cities, Db};

const QUERIES: usize = 1_000;
const LIMIT: usize = 20;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = runtime.block_on(Db::connect("sqlite::memory:")).unwrap();
    runtime.block_on(cities::ensure_loaded(&db)).unwrap();
    let index = runtime.block_on(Cities::load(&db)).unwrap();
    runtime.block_on(create_fts(&db));

    let mut random = Lcg(0x5eed);
    let kinds: [(&str, Vec<String>); 3] = [
        ("random 1-4 letters", random_letters(&mut random)),
        ("prefixes of real words", real_prefixes(&index, &mut random)),
        ("two words", two_words(&index, &mut random)),
    ];

    println!(
        "{:<24} {:<10} {:>10} {:>10} {:>10} {:>12}",
        "queries", "engine", "median", "p99", "max", "mean total"
    );
    for (kind, queries) in &kinds {
        let mut totals = (0usize, 0usize);
        let memory = timings(queries, |q| {
            let results = index.search(q, LIMIT);
            totals.0 += results.total;
            black_box(results);
        });
        let fts = timings(queries, |q| {
            let (hits, total) = runtime.block_on(fts_search(&db, q, LIMIT));
            totals.1 += total;
            black_box(hits);
        });
        for (engine, times, total) in [("in-memory", &memory, totals.0), ("fts5", &fts, totals.1)] {
            println!(
                "{kind:<24} {engine:<10} {:>10} {:>10} {:>10} {:>12.0}",
                micros(percentile(times, 50.0)),
                micros(percentile(times, 99.0)),
                micros(*times.last().unwrap()),
                total as f64 / queries.len() as f64
            );
        }
    }

    // Loading the data set into a new database file, as on a first start.
    let mut loads = Vec::new();
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("demo.db").display());
        let started = Instant::now();
        let db = runtime.block_on(Db::connect(&url)).unwrap();
        let report = runtime.block_on(cities::ensure_loaded(&db)).unwrap();
        let migrated_and_loaded = started.elapsed();
        let index = runtime.block_on(Cities::load(&db)).unwrap();
        loads.push((report.elapsed, migrated_and_loaded, started.elapsed()));
        assert_eq!(index.len(), report.rows);
        runtime.block_on(db.close());
    }
    for (load, with_migrations, with_index) in loads {
        println!(
            "first start on a new file: load {} ms; with connect and migrations {} ms; \
             with the index built {} ms",
            load.as_millis(),
            with_migrations.as_millis(),
            with_index.as_millis()
        );
    }

    if std::env::args().any(|a| a == "--table-only") {
        return;
    }
    let mut criterion = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for query in ["s", "zur", "new yo", "qqq"] {
        criterion.bench_function(&format!("in-memory {query:?}"), |b| {
            b.iter(|| index.search(black_box(query), LIMIT))
        });
        criterion.bench_function(&format!("fts5 {query:?}"), |b| {
            b.iter(|| runtime.block_on(fts_search(&db, black_box(query), LIMIT)))
        });
    }
    criterion.final_summary();
}

async fn create_fts(db: &Db) {
    for sql in [
        "CREATE VIRTUAL TABLE cities_fts USING fts5(name, content = 'cities', \
         content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')",
        "INSERT INTO cities_fts (cities_fts) VALUES ('rebuild')",
    ] {
        sqlx::query(sql).execute(db.pool()).await.unwrap();
    }
}

/// The FTS5 equivalent of `Cities::search`: the top `limit` by population and the count.
async fn fts_search(db: &Db, query: &str, limit: usize) -> (Vec<City>, usize) {
    let words = query_words(query);
    if words.is_empty() {
        return (Vec::new(), 0);
    }
    // Folded words are [a-z0-9]+: quoting them is enough to keep FTS syntax out.
    let expression = words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ");
    let hits = sqlx::query_as::<_, City>(
        "SELECT c.id, c.name, c.country_code, c.country, c.admin1_code, c.region, \
         c.population, c.latitude, c.longitude, c.timezone \
         FROM cities_fts JOIN cities c ON c.id = cities_fts.rowid \
         WHERE cities_fts MATCH $1 ORDER BY c.population DESC, c.id LIMIT $2",
    )
    .bind(&expression)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await
    .unwrap();
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM cities_fts WHERE cities_fts MATCH $1")
            .bind(&expression)
            .fetch_one(db.pool())
            .await
            .unwrap();
    (hits, total as usize)
}

/// Each query's time, sorted.
fn timings(queries: &[String], mut run: impl FnMut(&str)) -> Vec<Duration> {
    for q in queries.iter().take(50) {
        run(q); // warm up
    }
    let mut times: Vec<Duration> = queries
        .iter()
        .map(|q| {
            let started = Instant::now();
            run(q);
            started.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// A small fixed-seed generator, so every run asks the same queries.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn random_letters(random: &mut Lcg) -> Vec<String> {
    (0..QUERIES)
        .map(|_| {
            let len = 1 + random.below(4);
            (0..len)
                .map(|_| char::from(b'a' + random.below(26) as u8))
                .collect()
        })
        .collect()
}

fn real_prefixes(index: &Cities, random: &mut Lcg) -> Vec<String> {
    let all = index.all();
    (0..QUERIES)
        .map(|_| {
            let name = &all[random.below(all.len())].name;
            let words = query_words(name);
            let word = &words[random.below(words.len())];
            word[..word.len().min(1 + random.below(4))].to_owned()
        })
        .collect()
}

fn two_words(index: &Cities, random: &mut Lcg) -> Vec<String> {
    let names: Vec<Vec<String>> = index
        .all()
        .iter()
        .map(|c| query_words(&c.name))
        .filter(|w| w.len() >= 2)
        .collect();
    (0..QUERIES)
        .map(|_| {
            let words = &names[random.below(names.len())];
            let second = &words[1];
            format!(
                "{} {}",
                words[0],
                &second[..second.len().min(1 + random.below(2))]
            )
        })
        .collect()
}

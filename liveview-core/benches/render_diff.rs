//! Server CPU per update: render (maud) + split into fragments + diff + encode, for the
//! shapes docs/benchmarks.md reports. Run: `cargo bench -p liveview-core --bench render_diff`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use liveview_core::render::{diff, Rendered};
use maud::{html, Markup};
use std::hint::black_box;

fn counter(count: i64) -> Markup {
    html! {
        section class="card counter" {
            h1 { "Counter: " (count) }
            div class="buttons" {
                button phx-click="decrement" aria-label="decrement" { "-" }
                button phx-click="increment" aria-label="increment" { "+" }
            }
        }
    }
}

/// A users-style table; `changed` marks one row's email, `generation` renames every row.
fn table(rows: usize, changed: Option<usize>, generation: u32) -> Markup {
    table_without(rows, changed, generation, None)
}

/// [`table`] without row `removed`.
fn table_without(
    rows: usize,
    changed: Option<usize>,
    generation: u32,
    removed: Option<usize>,
) -> Markup {
    html! {
        table {
            thead { tr { th { "Name" } th { "Email" } th { "Confirmed" } th {} } }
            tbody id="users" {
                @for i in (0..rows).filter(|&i| Some(i) != removed) {
                    tr id={"users-" (i)} {
                        td { "User " (i) " gen " (generation) }
                        td { @if changed == Some(i) { "changed@example.com" } @else { "user" (i) "@example.com" } }
                        td { @if i % 3 == 0 { "Yes" } @else { "No" } }
                        td { a href={"/users/" (i) "/edit"} data-phx-link="patch" { "Edit" } }
                    }
                }
            }
        }
    }
}

/// A search page: form plus 20 results for `query`.
fn search(query: &str) -> Markup {
    html! {
        form phx-change="search" phx-submit="search" {
            input type="text" name="query" value=(query) phx-debounce="300";
            button { "Search" }
        }
        ul id="results" {
            @for i in 0..20 {
                li { (query) " result number " (i) " — a title of some length" }
            }
        }
    }
}

/// One update as a view process makes it: render the new state, tokenize and split what
/// changed, diff against the previous render, encode.
fn update(previous: &Rendered, next: Markup) -> (Rendered, String) {
    let (rendered, delta) = previous.following(next.into_string());
    let patch = diff(previous, &rendered, &delta);
    let json = patch.to_json();
    (rendered, json)
}

fn benches(c: &mut Criterion) {
    let before = Rendered::new(counter(0).into_string());
    c.bench_function("counter increment", |b| {
        b.iter(|| update(black_box(&before), counter(black_box(1))))
    });

    let before = Rendered::new(table(1000, None, 0).into_string());
    c.bench_function("1000-row table, one row changed", |b| {
        b.iter(|| update(black_box(&before), table(1000, Some(black_box(500)), 0)))
    });
    c.bench_function("1000-row table, one row removed", |b| {
        b.iter(|| {
            update(
                black_box(&before),
                table_without(1000, None, 0, Some(black_box(500))),
            )
        })
    });
    c.bench_function("1000-row table, every row replaced", |b| {
        b.iter(|| update(black_box(&before), table(1000, None, black_box(1))))
    });

    let before = Rendered::new(search("rust").into_string());
    c.bench_function("search, 20 results changed", |b| {
        b.iter(|| update(black_box(&before), search(black_box("tokio"))))
    });
}

criterion_group! {
    name = render_diff;
    config = Criterion::default().sample_size(50).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(render_diff);

//! Prints, as JSON, how many bytes the shapes in docs/benchmarks.md cost on the wire:
//! `cargo run --release -p liveview-core --example wire_sizes`.

use liveview_core::render::{diff, Delta, Rendered};
use maud::{html, Markup};

fn counter(count: i64) -> Markup {
    // The demo's counter, inside the live container with its flash fragment.
    html! {
        div id="flash" {}
        section class="card counter" {
            h1 { "Counter: " (count) }
            div class="buttons" {
                button phx-click="decrement" aria-label="decrement" { "-" }
                button phx-click="increment" aria-label="increment" { "+" }
            }
        }
    }
}

/// A search page whose 20 results are entirely different for each query.
/// Returns the page, the results' text bytes and the results' HTML bytes.
fn search(query: &str, template: fn(&str, usize) -> String) -> (Markup, usize, usize) {
    let results: Vec<String> = (0..20).map(|i| template(query, i)).collect();
    let text: usize = results.iter().map(String::len).sum();
    let results_html = html! { @for r in &results { li { (r) } } }
        .into_string()
        .len();
    let markup = html! {
        form phx-change="search" phx-submit="search" {
            input type="text" name="query" value=(query) phx-debounce="300";
            button { "Search" }
        }
        ul id="results" { @for r in &results { li { (r) } } }
    };
    (markup, text, results_html)
}

fn patch_bytes(a: Markup, b: Markup) -> usize {
    diff(
        &Rendered::new(a.into_string()),
        &Rendered::new(b.into_string()),
        &Delta::unknown(),
    )
    .to_json()
    .len()
}

fn main() {
    // A reply frame is `[ref,` + diff + `]`; ref 2 is the first event after the join.
    let counter_frame = format!(
        "[2,{}]",
        diff(
            &Rendered::new(counter(0).into_string()),
            &Rendered::new(counter(1).into_string()),
            &Delta::unknown(),
        )
        .to_json()
    );
    let (before, _, _) = search("tokio", |q, i| {
        format!("{q} result {i}: a title of some length")
    });
    let (after, changed_text, changed_html) = search("axum", |q, i| {
        format!(
            "Chapter {}. Routing {q} handlers with extractors, part {i}",
            i * 7 + 3
        )
    });
    let search_patch = patch_bytes(before, after);
    println!(
        "{}",
        serde_json::json!({
            "counter_increment_frame": counter_frame,
            "counter_increment_frame_bytes": counter_frame.len(),
            "search_20_results_patch_bytes": search_patch,
            "search_20_results_changed_text_bytes": changed_text,
            "search_20_results_changed_html_bytes": changed_html,
            "search_patch_over_text": search_patch as f64 / changed_text as f64,
            "search_patch_over_html": search_patch as f64 / changed_html as f64,
        })
    );
}

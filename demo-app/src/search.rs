//! `/search`: search-as-you-type over 34,000 GeoNames cities.
//!
//! The query lives in the URL (`/search?q=zur`): typing patches the URL, and
//! `handle_params` runs the search, so a reload, back and forward all show the results of
//! the query in the address bar. Arrow keys move through the results and Enter opens one.

use liveview_core::maud::{html, Markup};
use liveview_core::{LiveEvent, LiveView, Params, Result, Session, Socket};

use crate::cities::{Cities, City, Hit, SearchResults};

/// Results shown per query.
const LIMIT: usize = 20;

/// The search view.
#[derive(Debug)]
pub struct Search {
    cities: Cities,
    query: String,
    results: SearchResults,
    /// The result the arrow keys are on.
    selected: Option<usize>,
    /// The city whose details are open.
    open: Option<City>,
}

/// What the page sends.
#[derive(Debug, LiveEvent)]
pub enum SearchEvent {
    /// Typing (`phx-change`) or the Search button (`phx-submit`): the form's query.
    Search {
        /// The text in the search box.
        #[serde(default)]
        query: String,
    },
    /// An arrow key or Enter in the search box.
    Key {
        /// `ArrowDown`, `ArrowUp` or `Enter`.
        key: String,
    },
    /// A click on a result.
    Open {
        /// The city's id.
        id: String,
    },
    /// The close button of the details.
    Close,
}

impl Search {
    fn run(&mut self, query: &str) {
        self.query = query.to_owned();
        self.results = self.cities.search(query, LIMIT);
        self.selected = None;
        self.open = None;
    }

    fn url(query: &str) -> String {
        if query.is_empty() {
            return "/search".into();
        }
        let encoded: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
        format!("/search?q={encoded}")
    }
}

impl LiveView for Search {
    type Event = SearchEvent;
    type Info = ();

    async fn mount(_: Params, _: &Session, socket: &mut Socket<Self>) -> Result<Self> {
        let cities = socket
            .extension::<Cities>()
            .cloned()
            .ok_or("the search needs the cities index (Live::with_extension(cities))")?;
        Ok(Search {
            cities,
            query: String::new(),
            results: SearchResults::default(),
            selected: None,
            open: None,
        })
    }

    async fn handle_params(
        &mut self,
        params: Params,
        _: &axum::http::Uri,
        _: &mut Socket<Self>,
    ) -> Result<()> {
        let query = params.get("q").unwrap_or_default().to_owned();
        if query != self.query {
            self.run(&query);
        }
        Ok(())
    }

    async fn handle_event(&mut self, event: SearchEvent, socket: &mut Socket<Self>) -> Result<()> {
        match event {
            SearchEvent::Search { query } => {
                if query != self.query {
                    // handle_params runs the search for the new URL.
                    socket.push_patch(Self::url(&query));
                } else if let Some(i) = self.selected {
                    // Enter in the box submits the form: open the selected result.
                    self.open = self.results.hits.get(i).map(|h| h.city.clone());
                }
            }
            SearchEvent::Key { key } => {
                let count = self.results.hits.len();
                match key.as_str() {
                    "ArrowDown" if count > 0 => {
                        self.selected = Some(self.selected.map_or(0, |i| (i + 1).min(count - 1)));
                    }
                    "ArrowUp" if count > 0 => {
                        self.selected = self.selected.and_then(|i| i.checked_sub(1));
                    }
                    "Escape" => {
                        self.open = None;
                        self.selected = None;
                    }
                    _ => {}
                }
            }
            SearchEvent::Open { id } => {
                self.open = self
                    .results
                    .hits
                    .iter()
                    .find(|h| h.city.id.to_string() == id)
                    .map(|h| h.city.clone());
            }
            SearchEvent::Close => self.open = None,
        }
        Ok(())
    }

    fn render(&self) -> Markup {
        html! {
            section.card.search {
                h1 { "Search cities" }
                // The keys are bound on the form, not the input: the input's debounce would
                // merge quick arrow presses into one.
                form id="search-form" .search-form phx-submit="search" phx-change="search"
                    phx-keydown="key" phx-key="ArrowUp ArrowDown Escape" {
                    input type="text" name="query" value=(self.query) phx-debounce="300"
                        placeholder="Type a city: zur, new yo, são…" autocomplete="off"
                        autofocus aria-label="City" role="combobox"
                        aria-controls="results" aria-expanded=(!self.results.hits.is_empty());
                    button type="submit" { "Search" }
                }
                p id="summary" .summary {
                    @if self.query.trim().is_empty() {
                        "Cities with more than 15,000 people, from GeoNames."
                    } @else if self.results.total == 0 {
                        "No results"
                    } @else {
                        (count(self.results.total)) @if self.results.total == 1 { " match" } @else { " matches" }
                        @if self.results.total > self.results.hits.len() {
                            ", the " (self.results.hits.len()) " largest shown"
                        }
                    }
                }
                @if let Some(city) = &self.open {
                    (details(city))
                }
                ul id="results" .results role="listbox" {
                    @for (i, hit) in self.results.hits.iter().enumerate() {
                        (result(hit, self.selected == Some(i)))
                    }
                }
            }
        }
    }

    fn title(&self) -> Option<String> {
        Some(if self.query.is_empty() {
            "Search".into()
        } else {
            format!("{} · Search", self.query)
        })
    }
}

fn result(hit: &Hit, selected: bool) -> Markup {
    let city = &hit.city;
    html! {
        li .result .selected[selected] role="option" aria-selected=(selected)
            phx-click="open" phx-value-id=(city.id) {
            span.name {
                @for (text, matched) in hit.segments() {
                    @if matched { mark { (text) } } @else { (text) }
                }
            }
            span.where { (city.location()) }
            span.population { (count(usize::try_from(city.population).unwrap_or(0))) }
        }
    }
}

fn details(city: &City) -> Markup {
    html! {
        aside id="city-details" .details role="dialog" aria-label=(city.name) {
            button.close phx-click="close" aria-label="Close" { "×" }
            h2 { (city.name) }
            dl {
                dt { "Where" } dd { (city.location()) " (" (city.country_code) ")" }
                dt { "Population" } dd { (count(usize::try_from(city.population).unwrap_or(0))) }
                dt { "Coordinates" } dd { (format!("{:.4}, {:.4}", city.latitude, city.longitude)) }
                dt { "Time zone" } dd { (city.timezone) }
            }
        }
    }
}

/// `1234567` as `1,234,567`.
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

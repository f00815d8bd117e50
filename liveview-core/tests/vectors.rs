//! The shared protocol vectors in `tests/vectors/`: the Rust applier passes them here, the
//! JS client passes the same files in `js-client/test/vectors.test.js` (and
//! `js-client/test/streams.test.js` for `streams.json`, `js-client/test/js_commands.test.js`
//! for `js_commands.json`, the Rust JS-command builder's output).
//!
//! The files are generated from the cases below; run with `UPDATE_VECTORS=1` after changing
//! a case or the format, and commit the result. Without it, the test fails when the
//! committed files differ from what the code produces.

use std::path::PathBuf;

use liveview_core::js_commands::{On, Push, Transition, JS};
use liveview_core::maud::{html, Markup};
use liveview_core::render::{diff, full, tokenize, Delta, Diff, FragmentStore, Rendered};
use serde_json::{json, Value};

const PATCH_CASES: &[(&str, &str, &str)] = &[
    ("counter increment", "<h1>Counter: 0</h1><button phx-click=\"increment\">+</button>", "<h1>Counter: 1</h1><button phx-click=\"increment\">+</button>"),
    ("text grows and shrinks", "<p>one two three</p>", "<p>one 2 three four</p>"),
    ("attribute change", "<div class=\"a\">x</div>", "<div class=\"b\" hidden>x</div>"),
    ("child fragment changes alone", "<ul id=\"list\"><li id=\"i1\">one</li><li id=\"i2\">two</li></ul>", "<ul id=\"list\"><li id=\"i1\">one</li><li id=\"i2\">TWO</li></ul>"),
    ("child fragment added", "<ul id=\"list\"><li id=\"i1\">one</li></ul>", "<ul id=\"list\"><li id=\"i1\">one</li><li id=\"i2\">two</li></ul>"),
    ("child fragment removed", "<ul id=\"list\"><li id=\"i1\">one</li><li id=\"i2\">two</li></ul>", "<ul id=\"list\"><li id=\"i2\">two</li></ul>"),
    ("children reordered", "<ul id=\"l\"><li id=\"a\">a</li><li id=\"b\">b</li><li id=\"c\">c</li></ul>", "<ul id=\"l\"><li id=\"c\">c</li><li id=\"a\">a</li><li id=\"b\">b</li></ul>"),
    ("nested ids three deep", "<div id=\"o\"><div id=\"m\"><span id=\"i\">1</span></div></div>", "<div id=\"o\"><div id=\"m\"><span id=\"i\">2</span> more</div></div>"),
    ("child moves to another parent", "<div id=\"p1\"><b id=\"c\">c</b></div><div id=\"p2\"></div>", "<div id=\"p1\"></div><div id=\"p2\"><b id=\"c\">c</b></div>"),
    ("unicode and entities", "<p>caf\u{e9} &amp; cr\u{e8}me \u{1f600}</p>", "<p>caf\u{e9} &lt;b&gt; cr\u{e8}me br\u{fb}l\u{e9}e \u{1f600}</p>"),
    ("void elements and inputs", "<form id=\"f\"><input id=\"q\" name=\"q\" value=\"a\"><br><img src=\"x.png\" alt=\"\"></form>", "<form id=\"f\"><input id=\"q\" name=\"q\" value=\"ab\"><br><hr><img src=\"x.png\" alt=\"\"></form>"),
    ("quotes in attributes", "<a title='say \"hi\"' data-x=\"it's\">l</a>", "<a title='say \"bye\"' data-x=\"it's > 1\">l</a>"),
    ("script and style stay whole", "<style>p > a { color: red }</style><script>if (a < b) go()</script>", "<style>p > a { color: blue }</style><script>if (a < b) stop()</script>"),
    ("comments", "<!-- a --><p>x</p>", "<!-- b --><p>x</p><!-- c -->"),
    ("literal reference mark in text is escaped", "<p>1</p>", "<p>a <#b> c</p>"),
    ("empty to content", "", "<main id=\"m\"><h1>Hi</h1></main>"),
    ("content to empty", "<main id=\"m\"><h1>Hi</h1></main>", ""),
    ("whitespace and newlines", "<pre>a\n  b\tc</pre>", "<pre>a\n  b\n\tc  </pre>"),
    ("table row changed", "<table><tbody id=\"rows\"><tr id=\"r1\"><td>1</td><td>a</td></tr><tr id=\"r2\"><td>2</td><td>b</td></tr></tbody></table>", "<table><tbody id=\"rows\"><tr id=\"r1\"><td>1</td><td>a</td></tr><tr id=\"r2\"><td>2</td><td>B!</td></tr></tbody></table>"),
    ("focused input value in a changing list", "<form phx-change=\"s\"><input id=\"query\" name=\"query\" value=\"ab\"></form><ul id=\"results\"><li>ab</li></ul>", "<form phx-change=\"s\"><input id=\"query\" name=\"query\" value=\"abc\"></form><ul id=\"results\"><li>abc</li><li>abcd</li></ul>"),
];

/// Stream cases (protocol §4.5): the renders a view sends one after another, and what the
/// page shows after the last one. The renders are what `Stream::render` writes.
const STREAM_CASES: &[(&str, &[&str], &str)] = &[
    (
        "items sent once stay after the server forgets them",
        &[
            "<div id=\"s\" phx-update=\"stream\"><p id=\"s-1\">a</p></div>",
            "<div id=\"s\" phx-update=\"stream\"><p id=\"s-2\">b</p></div>",
            "<div id=\"s\" phx-update=\"stream\"></div><p id=\"x\">other</p>",
        ],
        "<div id=\"s\" phx-update=\"stream\"><p id=\"s-1\">a</p><p id=\"s-2\">b</p></div><p id=\"x\">other</p>",
    ),
    (
        "insert first and at an index",
        &[
            "<ul id=\"s\" phx-update=\"stream\"><li id=\"s-1\">1</li><li id=\"s-3\">3</li></ul>",
            "<ul id=\"s\" phx-update=\"stream\"><li id=\"s-0\" data-phx-stream-at=\"0\">0</li></ul>",
            "<ul id=\"s\" phx-update=\"stream\"><li id=\"s-2\" data-phx-stream-at=\"2\">2</li></ul>",
        ],
        "<ul id=\"s\" phx-update=\"stream\"><li id=\"s-0\" data-phx-stream-at=\"0\">0</li><li id=\"s-1\">1</li><li id=\"s-2\" data-phx-stream-at=\"2\">2</li><li id=\"s-3\">3</li></ul>",
    ),
    (
        "an existing id is updated in place",
        &[
            "<div id=\"s\" phx-update=\"stream\"><p id=\"s-1\">a</p><p id=\"s-2\">b</p></div>",
            "<div id=\"s\" phx-update=\"stream\"><p id=\"s-1\">A!</p></div>",
            "<div id=\"s\" phx-update=\"stream\"><p id=\"s-1\">A!!</p></div>",
        ],
        "<div id=\"s\" phx-update=\"stream\"><p id=\"s-1\">A!!</p><p id=\"s-2\">b</p></div>",
    ),
    (
        "delete removes the element",
        &[
            "<div id=\"s\" phx-update=\"stream\"><p id=\"s-1\">a</p><p id=\"s-2\">b</p></div>",
            "<div id=\"s\" phx-update=\"stream\"><template id=\"s-1\" data-phx-stream-delete></template></div>",
        ],
        "<div id=\"s\" phx-update=\"stream\"><p id=\"s-2\">b</p></div>",
    ),
    (
        "reset replaces everything",
        &[
            "<div id=\"s\" phx-update=\"stream\"><p id=\"s-1\">a</p><p id=\"s-2\">b</p></div>",
            "<div id=\"s\" phx-update=\"stream\" data-phx-stream-reset><p id=\"s-3\">c</p></div>",
            "<div id=\"s\" phx-update=\"stream\"></div>",
        ],
        "<div id=\"s\" phx-update=\"stream\"><p id=\"s-3\">c</p></div>",
    ),
    (
        "a reset puts the children in the new order, kept ones included",
        &[
            "<div id=\"s\" phx-update=\"stream\"><p id=\"s-3\">c</p></div>",
            "<div id=\"s\" phx-update=\"stream\" data-phx-stream-reset><p id=\"s-1\">a</p><p id=\"s-2\">b</p><p id=\"s-3\">C</p></div>",
        ],
        "<div id=\"s\" phx-update=\"stream\"><p id=\"s-1\">a</p><p id=\"s-2\">b</p><p id=\"s-3\">C</p></div>",
    ),
    (
        "a reset twice in a row reaches the page both times",
        &[
            "<div id=\"s\" phx-update=\"stream\" data-phx-stream-reset><p id=\"s-1\">a</p></div>",
            "<div id=\"s\" phx-update=\"stream\" data-phx-stream-reset></div>",
        ],
        "<div id=\"s\" phx-update=\"stream\"></div>",
    ),
    (
        "a negative limit keeps the last items",
        &[
            "<div id=\"s\" phx-update=\"stream\" data-phx-stream-limit=\"-2\"><p id=\"s-1\">1</p><p id=\"s-2\">2</p></div>",
            "<div id=\"s\" phx-update=\"stream\" data-phx-stream-limit=\"-2\"><p id=\"s-3\">3</p></div>",
        ],
        "<div id=\"s\" phx-update=\"stream\" data-phx-stream-limit=\"-2\"><p id=\"s-2\">2</p><p id=\"s-3\">3</p></div>",
    ),
    (
        "a positive limit keeps the first items",
        &[
            "<div id=\"s\" phx-update=\"stream\" data-phx-stream-limit=\"2\"><p id=\"s-1\">1</p><p id=\"s-2\">2</p></div>",
            "<div id=\"s\" phx-update=\"stream\" data-phx-stream-limit=\"2\"><p id=\"s-0\" data-phx-stream-at=\"0\">0</p></div>",
        ],
        "<div id=\"s\" phx-update=\"stream\" data-phx-stream-limit=\"2\"><p id=\"s-0\" data-phx-stream-at=\"0\">0</p><p id=\"s-1\">1</p></div>",
    ),
];

const TOKEN_CASES: &[(&str, &str, bool)] = &[
    ("words", "<h1>Counter: 10</h1>", false),
    ("leading whitespace", "  a b ", false),
    (
        "quoted angle brackets",
        "<a title=\"x>y\" data-q='>'>t</a>",
        false,
    ),
    (
        "raw text elements",
        "<script>if (a < b) { x() }</SCRIPT><textarea>a <b></textarea><title>t</title>",
        false,
    ),
    ("empty raw text", "<style></style>", false),
    ("lone angle bracket", "a < b <3", false),
    ("reference in rendered html is text", "a<#x>b", false),
    (
        "reference in wire string",
        "<ul id=\"l\"><#a><#b></ul>",
        true,
    ),
    (
        "comment and doctype",
        "<!doctype html><!-- c -->x<?pi?>",
        false,
    ),
    ("unterminated comment", "x<!-- open", false),
    ("unterminated tag", "<div class=\"open", false),
    ("unterminated script", "<script>never closed", false),
    ("end tag forms", "</div></ x>< /y>", false),
    ("unicode", "caf\u{e9}\u{a0}cr\u{e8}me \u{1f600}!", false),
    ("control whitespace", "a\tb\nc\x0cd\re", false),
];

/// JS command cases (protocol §5.1): a chain the Rust builder writes into `phx-click` of a
/// button `#go`, the `#stage` it acts on, and what the client must show in `#stage` after
/// the click once every transition has ended, plus the events it sends. The JS client runs
/// them in `js-client/test/js_commands.test.js`.
struct JsCommandCase {
    name: &'static str,
    chain: JS,
    stage: Markup,
    expected: String,
    events: Value,
}

fn js_command_cases() -> Vec<JsCommandCase> {
    let case = |name, chain, stage, expected: &str, events| JsCommandCase {
        name,
        chain,
        stage,
        expected: expected.to_owned(),
        events,
    };
    let cancel = JS::new().hide(On::this()).push("close");
    let none = json!([]);
    vec![
        case(
            "show removes hidden and an inline display none",
            JS::new().show("#a").show("#b"),
            html! { p #a hidden { "a" } p #b style="display: none; color: red" { "b" } },
            r#"<p id="a">a</p><p id="b" style="color: red;">b</p>"#,
            none.clone(),
        ),
        case(
            "hide sets display none on every match",
            JS::new().hide(".item"),
            html! { p.item { "a" } p.item { "b" } },
            r#"<p class="item" style="display: none;">a</p><p class="item" style="display: none;">b</p>"#,
            none.clone(),
        ),
        case(
            "toggle shows the hidden and hides the shown",
            JS::new().toggle("#a").toggle("#b"),
            html! { p #a style="display: none; color: red" { "a" } p #b { "b" } },
            r#"<p id="a" style="color: red;">a</p><p id="b" style="display: none;">b</p>"#,
            none.clone(),
        ),
        case(
            "classes are added and removed",
            JS::new().add_class("z w", "#a").remove_class("x", "#a"),
            html! { p #a class="x y" { "a" } },
            r#"<p id="a" class="y z w">a</p>"#,
            none.clone(),
        ),
        case(
            "a transition ends in the final state with its classes gone",
            JS::new().show(On::to("#a").transition(Transition::new("fade", "o-0", "o-100")).time(100)),
            html! { p #a class="card" hidden { "a" } },
            r#"<p id="a" class="card">a</p>"#,
            none.clone(),
        ),
        case(
            "set_attribute sets it",
            JS::new().set_attribute("aria-expanded", "true", "#a"),
            html! { p #a aria-expanded="false" { "a" } },
            r#"<p id="a" aria-expanded="true">a</p>"#,
            none.clone(),
        ),
        case(
            "push sends the event with the value over the button's phx-value",
            JS::new().push(Push::event("save").value(json!({"extra": 1}))).add_class("sent", "#a"),
            html! { p #a { "a" } },
            r#"<p id="a" class="sent">a</p>"#,
            json!([["event", "save", {"id": "7", "extra": 1}]]),
        ),
        case(
            "push from a target takes the target's values",
            JS::new().push(Push::event("pick").target("#a")),
            html! { p #a phx-value-tab="billing" { "a" } },
            r#"<p id="a" phx-value-tab="billing" class="phx-click-loading">a</p>"#,
            json!([["event", "pick", {"tab": "billing"}]]),
        ),
        case(
            "exec runs the chain stored in another attribute of the target",
            JS::new().exec("data-cancel", "#m"),
            html! { div #m data-cancel=(cancel) { "m" } },
            &html! { div #m data-cancel=(cancel) style="display: none;" class="phx-click-loading" { "m" } }.into_string(),
            json!([["event", "close", {}]]),
        ),
    ]
}

fn js_command_vectors() -> Value {
    let cases = js_command_cases().into_iter().map(|c| {
        let page = html! { button #go phx-click=(c.chain) phx-value-id="7" { "go" } div #stage { (c.stage) } };
        json!({ "name": c.name, "chain": c.chain.encode(), "page": page.into_string(), "stage": c.expected, "events": c.events })
    });
    Value::Array(cases.collect())
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn patch_vectors() -> Value {
    let cases = PATCH_CASES.iter().map(|(name, old, new)| {
        let old = Rendered::new(old.to_string());
        let new = Rendered::new(new.to_string());
        json!({
            "name": name,
            "old": old.html(),
            "new": new.html(),
            "join": to_value(&full(&old)),
            "patch": to_value(&diff(&old, &new, &Delta::unknown())),
        })
    });
    Value::Array(cases.collect())
}

/// Each stream case with the diffs the server sends: the join reply for the first render,
/// then one diff per following render, each against the render as the client holds it
/// (stream items merged and forgotten), as the process does.
fn stream_vectors() -> Value {
    let kept = |r: Rendered| r.without_stream_items().unwrap_or(r);
    let cases = STREAM_CASES.iter().map(|(name, renders, expected)| {
        let first = Rendered::new(renders[0].to_string());
        let mut diffs = vec![to_value(&full(&first))];
        let mut previous = kept(first);
        for html in &renders[1..] {
            let (next, delta) = previous.following(html.to_string());
            diffs.push(to_value(&diff(&previous, &next, &delta)));
            previous = kept(next);
        }
        json!({ "name": name, "renders": renders, "diffs": diffs, "expected": expected })
    });
    Value::Array(cases.collect())
}

fn token_vectors() -> Value {
    let cases = TOKEN_CASES.iter().map(|(name, input, wire)| {
        let mut tokens = Vec::new();
        tokenize(input, *wire, &mut tokens);
        let texts: Vec<&str> = tokens.iter().map(|t| t.text(input)).collect();
        json!({ "name": name, "input": input, "wire": wire, "tokens": texts })
    });
    Value::Array(cases.collect())
}

fn to_value(patch: &Diff) -> Value {
    serde_json::from_str(&patch.to_json()).expect("patches encode to valid JSON")
}

fn check_file(name: &str, expected: &Value) {
    let path = vectors_dir().join(name);
    let text = serde_json::to_string_pretty(expected).unwrap() + "\n";
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is out of date: run `UPDATE_VECTORS=1 cargo test -p liveview-core --test vectors`",
        path.display()
    );
}

#[test]
fn committed_vectors_match_the_code() {
    check_file("patches.json", &patch_vectors());
    check_file("tokens.json", &token_vectors());
    check_file("streams.json", &stream_vectors());
    check_file("js_commands.json", &js_command_vectors());
}

#[test]
fn the_rust_applier_merges_stream_containers_as_the_browser_does() {
    let text = std::fs::read_to_string(vectors_dir().join("streams.json")).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(cases.len(), STREAM_CASES.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut store = FragmentStore::new();
        for diff in case["diffs"].as_array().unwrap() {
            store.apply(&Diff::from_json(diff).unwrap()).unwrap();
        }
        assert_eq!(
            store.html().unwrap(),
            case["expected"].as_str().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn the_rust_applier_passes_every_patch_vector() {
    let text = std::fs::read_to_string(vectors_dir().join("patches.json")).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(cases.len(), PATCH_CASES.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut doc = FragmentStore::new();
        doc.apply(&Diff::from_json(&case["join"]).unwrap()).unwrap();
        assert_eq!(
            doc.html().unwrap(),
            case["old"].as_str().unwrap(),
            "{name}: join"
        );
        doc.apply(&Diff::from_json(&case["patch"]).unwrap())
            .unwrap();
        assert_eq!(
            doc.html().unwrap(),
            case["new"].as_str().unwrap(),
            "{name}: patch"
        );
    }
}

#[test]
fn tokens_concatenate_back_to_their_input() {
    for (name, input, wire) in TOKEN_CASES {
        let mut tokens = Vec::new();
        tokenize(input, *wire, &mut tokens);
        let joined: String = tokens.iter().map(|t| t.text(input)).collect();
        assert_eq!(&joined, input, "{name}");
    }
}

//! `apply(diff(a, b), a) == b` for generated HTML: the property the whole render pipeline
//! rests on. Documents mix unicode, entities, void elements, quoted attributes, nested and
//! duplicate ids, script content, and (by splicing) plainly malformed markup.

use std::time::Duration;

use liveview_core::render::{diff, diff_within, full, Delta, Diff, FragmentStore, Rendered};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("word".to_string()),
            Just(" ".to_string()),
            Just("\n\t".to_string()),
            Just("&amp;".to_string()),
            Just("&lt;b&gt;".to_string()),
            Just("caf\u{e9}".to_string()),
            Just("\u{1f600}".to_string()),
            Just("a<#b>".to_string()),
            Just("<3".to_string()),
            "[a-z0-9]{1,6}",
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn attributes() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(r#" class="x y""#.to_string()),
            Just(r#" title='say "hi"'"#.to_string()),
            Just(r#" data-v="a>b""#.to_string()),
            Just(" hidden".to_string()),
            Just(" value=bare".to_string()),
        ],
        0..3,
    )
    .prop_map(|a| a.concat())
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        2 => "[a-e]".prop_map(|k| format!(r#" id="{k}""#)),
    ]
}

fn node() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        text(),
        (
            prop_oneof![Just("br"), Just("input"), Just("img")],
            id(),
            attributes()
        )
            .prop_map(|(tag, id, attrs)| format!("<{tag}{id}{attrs}>")),
        text().prop_map(|t| format!("<script>if (a < b) {{ {t} }}</script>")),
        Just("<!-- note -->".to_string()),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        (
            prop_oneof![Just("div"), Just("p"), Just("ul"), Just("li"), Just("span")],
            id(),
            attributes(),
            prop::collection::vec(inner, 0..5),
        )
            .prop_map(|(tag, id, attrs, children)| {
                format!("<{tag}{id}{attrs}>{}</{tag}>", children.concat())
            })
    })
}

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(node(), 0..5).prop_map(|n| n.concat())
}

/// A document and an edited copy: independent, a splice of markup or of text at
/// arbitrary char boundaries (which produces unbalanced tags and cut attributes), or the
/// same markup with words and attribute values changed throughout.
fn pair() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (document(), document()),
        splice(document()),
        splice(text()),
        document().prop_map(|a| {
            let b = a.replace("word", "letters").replace("x y", "z");
            (a, b)
        }),
    ]
}

/// A document and a copy with a range replaced by `insert`.
fn splice(insert: impl Strategy<Value = String>) -> impl Strategy<Value = (String, String)> {
    (
        document(),
        insert,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(a, insert, i, j)| {
            let bounds: Vec<usize> = a.char_indices().map(|(p, _)| p).chain([a.len()]).collect();
            let (x, y) = (i.get(&bounds), j.get(&bounds));
            let (from, to) = (*x.min(y), *x.max(y));
            let b = format!("{}{}{}", &a[..from], insert, &a[to..]);
            (a, b)
        })
}

/// What a client shows after joining on `old` (checked to show it exactly) and applying
/// `patch`.
fn join_then_patch(old: &Rendered, patch: &Diff) -> String {
    let mut client = FragmentStore::new();
    client.apply(&full(old)).unwrap();
    assert_eq!(client.html().unwrap(), old.html());
    client.apply(patch).unwrap();
    client.html().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn applying_the_diff_to_the_old_render_gives_the_new_one((a, b) in pair()) {
        // As a view process does: the new render made from the old one.
        let old = Rendered::new(a);
        let (new, delta) = old.following(b);
        prop_assert_eq!(join_then_patch(&old, &diff(&old, &new, &delta)), new.html());
    }

    /// With no time budget every changed fragment takes Myers' cut-short path, which
    /// reports its steps out of order: the patch must still be right.
    #[test]
    fn a_diff_cut_short_by_its_deadline_is_still_right((a, b) in pair()) {
        let old = Rendered::new(a);
        let (new, delta) = old.following(b);
        let patch = diff_within(&old, &new, &delta, Duration::ZERO);
        prop_assert_eq!(join_then_patch(&old, &patch), new.html());
    }

    /// A view's renders form a chain, each made from the last; a client that joined on the
    /// first and applied every diff shows the last.
    #[test]
    fn a_chain_of_following_renders_keeps_the_client_in_step(
        (a, b) in splice(text()),
        c in text(),
        at in any::<prop::sample::Index>(),
    ) {
        let bounds: Vec<usize> = b.char_indices().map(|(p, _)| p).chain([b.len()]).collect();
        let at = *at.get(&bounds);
        let c = format!("{}{}{}", &b[..at], c, &b[at..]);
        let first = Rendered::new(a);
        let mut client = FragmentStore::new();
        client.apply(&full(&first)).unwrap();
        let mut last = first;
        for html in [b, c.clone(), c] {
            let (next, delta) = last.following(html);
            client.apply(&diff(&last, &next, &delta)).unwrap();
            last = next;
        }
        prop_assert_eq!(client.html().unwrap(), last.html());
    }

    #[test]
    fn a_following_render_is_the_same_as_one_made_from_scratch((a, b) in pair()) {
        let from_scratch = Rendered::new(b.clone());
        let (following, _) = Rendered::new(a).following(b);
        prop_assert_eq!(following, from_scratch);
    }

    #[test]
    fn a_diff_between_unrelated_renders_is_right((a, b) in pair()) {
        let (old, new) = (Rendered::new(a), Rendered::new(b));
        prop_assert_eq!(join_then_patch(&old, &diff(&old, &new, &Delta::unknown())), new.html());
    }

    #[test]
    fn rendering_keeps_html_without_reference_marks_byte_for_byte(a in document()) {
        let rendered = Rendered::new(a.clone());
        if !a.contains("<#") {
            prop_assert_eq!(rendered.html(), a);
        }
    }

    #[test]
    fn a_diff_against_itself_is_empty(a in document()) {
        let r = Rendered::new(a);
        prop_assert!(diff(&r, &r.clone(), &Delta::unknown()).is_empty());
    }
}

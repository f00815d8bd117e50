//! The diff object of protocol §4.3: what changed, per fragment, and its JSON form.

use std::fmt::Write as _;

use serde_json::Value;

/// What happened to one fragment between two renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The fragment in full, children written as `<#key>`.
    Whole(String),
    /// Splices to apply in order to the fragment's current token list.
    Ops(Vec<Op>),
    /// The fragment is gone.
    Removed,
}

/// One splice: `tokens.splice(index, delete, ...tokens of insert)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Where the splice starts, in the list as left by the previous ops.
    pub index: usize,
    /// How many tokens it removes.
    pub delete: usize,
    /// What it puts in their place.
    pub insert: Vec<Insert>,
}

/// Tokens to insert, as they travel (protocol §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insert {
    /// Consecutive tokens written as one string; the receiver tokenizes it (wire rules).
    /// One string for a run costs 2 bytes of quoting instead of 3 per token.
    Run(String),
    /// One token taken as it is: raw `script`/`style`/`textarea`/`title` text sent without
    /// its opening tag, which tokenizing on its own would cut into words. JSON: `["text"]`.
    Verbatim(String),
}

/// The changes between two renders of a view, keyed by fragment; empty when nothing changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Each changed fragment's key and its change, in the order they are written.
    pub entries: Vec<(String, Change)>,
}

/// A diff object that does not follow protocol §4.3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffError(pub String);

impl std::fmt::Display for DiffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid diff: {}", self.0)
    }
}

impl std::error::Error for DiffError {}

impl Diff {
    /// True when no fragment changed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends the JSON form to `out`.
    pub fn write_json(&self, out: &mut String) {
        out.push('{');
        for (i, (key, change)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_json_str(out, key);
            out.push(':');
            match change {
                Change::Whole(html) => write_json_str(out, html),
                Change::Ops(ops) => write_ops(out, ops),
                Change::Removed => out.push_str("null"),
            }
        }
        out.push('}');
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    /// Reads a diff object, as the test harness receives it from the wire.
    pub fn from_json(value: &Value) -> Result<Diff, DiffError> {
        let map = value
            .as_object()
            .ok_or_else(|| DiffError("a diff must be an object".into()))?;
        let mut entries = Vec::with_capacity(map.len());
        for (key, change) in map {
            let change = match change {
                Value::String(html) => Change::Whole(html.clone()),
                Value::Null => Change::Removed,
                Value::Array(ops) => Change::Ops(
                    ops.iter()
                        .map(op_from_json)
                        .collect::<Result<_, _>>()
                        .map_err(|e| DiffError(format!("fragment {key:?}: {}", e.0)))?,
                ),
                other => return Err(DiffError(format!("fragment {key:?}: unexpected {other}"))),
            };
            entries.push((key.clone(), change));
        }
        Ok(Diff { entries })
    }
}

fn op_from_json(op: &Value) -> Result<Op, DiffError> {
    let bad = || DiffError(format!("bad op {op}"));
    let items = op.as_array().ok_or_else(bad)?;
    let number = |i: usize| {
        items
            .get(i)
            .and_then(Value::as_u64)
            .map(|n| n as usize)
            .ok_or_else(bad)
    };
    let insert = items[2.min(items.len())..]
        .iter()
        .map(|item| match item {
            Value::String(run) => Ok(Insert::Run(run.clone())),
            Value::Array(one) => match one.as_slice() {
                [Value::String(token)] => Ok(Insert::Verbatim(token.clone())),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        })
        .collect::<Result<_, _>>()?;
    Ok(Op {
        index: number(0)?,
        delete: number(1)?,
        insert,
    })
}

pub(crate) fn write_ops(out: &mut String, ops: &[Op]) {
    out.push('[');
    for (i, op) in ops.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "[{},{}", op.index, op.delete);
        for item in &op.insert {
            out.push(',');
            match item {
                Insert::Run(run) => write_json_str(out, run),
                Insert::Verbatim(token) => {
                    out.push('[');
                    write_json_str(out, token);
                    out.push(']');
                }
            }
        }
        out.push(']');
    }
    out.push(']');
}

/// Writes `s` as a JSON string. Non-ASCII text stays UTF-8, as JSON allows.
pub(crate) fn write_json_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut plain_from = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let escape = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[plain_from..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{c:04x}");
        } else {
            out.push_str(escape);
        }
        plain_from = i + 1;
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
}

/// The length of `s` as written by [`write_json_str`], without writing it.
pub(crate) fn json_str_len(s: &str) -> usize {
    2 + s.len()
        + s.bytes()
            .map(|c| match c {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' => 1,
                0..=0x1f => 5,
                _ => 0,
            })
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_match_serde_json() {
        for s in [
            "plain",
            "quote \" back \\ nl \n tab \t",
            "\u{1} ctl",
            "ünï €",
        ] {
            let mut out = String::new();
            write_json_str(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
            assert_eq!(json_str_len(s), out.len());
        }
    }

    #[test]
    fn a_diff_survives_its_json_form() {
        let diff = Diff {
            entries: vec![
                (
                    "".into(),
                    Change::Ops(vec![Op {
                        index: 2,
                        delete: 1,
                        insert: vec![Insert::Run("1".into())],
                    }]),
                ),
                (
                    "row-1".into(),
                    Change::Whole("<tr id=\"row-1\"><#c></tr>".into()),
                ),
                ("gone".into(), Change::Removed),
            ],
        };
        let json = diff.to_json();
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(Diff::from_json(&value).unwrap().entries.len(), 3);
        assert!(json.starts_with(r#"{"":[[2,1,"1"]],"#));
    }

    #[test]
    fn malformed_diffs_are_refused_with_a_reason() {
        for bad in [
            r#"[1]"#,
            r#"{"":5}"#,
            r#"{"":[["x",1]]}"#,
            r#"{"":[[1,1,2]]}"#,
        ] {
            let value: Value = serde_json::from_str(bad).unwrap();
            assert!(Diff::from_json(&value).is_err(), "{bad}");
        }
    }
}

//! URL parameters handed to `mount` and `handle_params`.

use std::collections::BTreeMap;

/// Path and query parameters of the view's URL, path parameters winning on a clash.
///
/// ```
/// use liveview_core::Params;
///
/// let params = Params::from_query("q=rust+web&page=2");
/// assert_eq!(params.get("q"), Some("rust web"));
/// assert_eq!(params.parse::<u32>("page"), Some(2));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Parameters from a URL query string (without the `?`).
    pub fn from_query(query: &str) -> Self {
        Params(
            form_urlencoded_pairs(query)
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
        )
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value of `name` parsed, or `None` when absent or unparsable.
    pub fn parse<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.get(name)?.parse().ok()
    }

    /// Sets a parameter (path parameters are added this way).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// All parameters, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match bytes
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_percent_escapes_are_kept_literally() {
        let p = Params::from_query("a=%zz&b=%e2%82%ac&c=%");
        assert_eq!(p.get("a"), Some("%zz"));
        assert_eq!(p.get("b"), Some("\u{20ac}"));
        assert_eq!(p.get("c"), Some("%"));
    }
}

//! Form params into a serde type.
//!
//! A browser sends every field as a string, so this deserializer reads numbers and booleans
//! from strings, takes an empty string as `None`, and fills fields the form did not send
//! with empty values. A field whose text does not fit its type becomes a *cast error*
//! (`is invalid`, or `can't be blank` when the text is blank) and takes the type's zero, or
//! its serde default, so the rest of the params still decode, as Ecto's `cast` does.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde_json::{Map, Value};

pub(crate) const BLANK: &str = "can't be blank";
pub(crate) const INVALID: &str = "is invalid";

/// What decoding found: the params (`None` when no value of the type could be built) and
/// the cast errors by field.
pub(crate) struct Decoded<T> {
    pub params: Option<T>,
    pub cast: Vec<(String, &'static str)>,
}

/// Decodes `raw` (the object under the form's name) into `T`.
pub(crate) fn decode<T: DeserializeOwned>(raw: &Value) -> Decoded<T> {
    let mut work = raw.clone();
    let mut cast: Vec<(String, &'static str)> = Vec::new();
    // Each retry changes one field: sent -> removed (serde's default applies) -> empty.
    // The bound only guards against a type that keeps failing in new places.
    for _ in 0..256 {
        let lenient = RefCell::new(Vec::new());
        let result = T::deserialize(FormDe {
            value: &work,
            path: String::new(),
            cast: &lenient,
        });
        let mut found = lenient.into_inner();
        match result {
            Ok(params) => {
                cast.append(&mut found);
                return Decoded {
                    params: Some(params),
                    cast,
                };
            }
            Err(error) => {
                let field = error.field.unwrap_or_default();
                let retry = !field.is_empty()
                    && match (&error.kind, lookup(&work, &field)) {
                        // Not sent, no serde default: try it as an empty field.
                        (Kind::Missing(_), None) => set_empty(&mut work, &field),
                        // Sent but unusable beyond the lenient scalars (an unknown enum
                        // variant, a `deserialize_with` error): drop it so a default can apply.
                        (Kind::Other(_), Some(value)) if !value.is_null() => {
                            cast.push((field.clone(), message_for(lookup(raw, &field))));
                            remove(&mut work, &field)
                        }
                        _ => false,
                    };
                if !retry {
                    if !field.is_empty() {
                        cast.push((field.clone(), message_for(lookup(raw, &field))));
                    }
                    cast.append(&mut found);
                    break;
                }
            }
        }
    }
    Decoded { params: None, cast }
}

/// `can't be blank` for a blank or missing value, `is invalid` for anything else.
fn message_for(value: Option<&Value>) -> &'static str {
    match value {
        None | Some(Value::Null) => BLANK,
        Some(Value::String(s)) if s.trim().is_empty() => BLANK,
        Some(_) => INVALID,
    }
}

/// `address[city]` -> `["address", "city"]`.
pub(crate) fn segments(field: &str) -> impl Iterator<Item = &str> {
    field
        .split('[')
        .map(|s| s.strip_suffix(']').unwrap_or(s))
        .filter(|s| !s.is_empty())
}

/// `address` + `city` -> `address[city]`.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}[{key}]")
    }
}

pub(crate) fn lookup<'a>(value: &'a Value, field: &str) -> Option<&'a Value> {
    segments(field).try_fold(value, |node, key| node.get(key))
}

fn set_empty(value: &mut Value, field: &str) -> bool {
    let mut node = value;
    let keys: Vec<&str> = segments(field).collect();
    let Some((last, parents)) = keys.split_last() else {
        return false;
    };
    for key in parents {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        node = node
            .as_object_mut()
            .expect("made an object above")
            .entry(*key)
            .or_insert(Value::Null);
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    node.as_object_mut()
        .expect("made an object above")
        .insert((*last).to_owned(), Value::Null);
    true
}

fn remove(value: &mut Value, field: &str) -> bool {
    let keys: Vec<&str> = segments(field).collect();
    let Some((last, parents)) = keys.split_last() else {
        return false;
    };
    let parent = parents
        .iter()
        .try_fold(value, |node, key| node.get_mut(*key));
    parent
        .and_then(Value::as_object_mut)
        .is_some_and(|map| map.remove(*last).is_some())
}

/// The deserializer's error: where, and whether a field was missing.
#[derive(Debug)]
pub(crate) struct DeError {
    field: Option<String>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Missing(&'static str),
    Other(String),
}

impl DeError {
    /// Places an error raised by a visitor at `path` (a missing field, inside it).
    fn at(mut self, path: &str) -> Self {
        if self.field.is_none() {
            self.field = Some(match self.kind {
                Kind::Missing(name) => join(path, name),
                Kind::Other(_) => path.to_owned(),
            });
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Missing(name) => write!(f, "missing field `{name}`"),
            Kind::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        DeError {
            field: None,
            kind: Kind::Other(msg.to_string()),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError {
            field: None,
            kind: Kind::Missing(field),
        }
    }
}

/// One value of the form, at `path`. `Null` stands for a field the form did not send.
struct FormDe<'a> {
    value: &'a Value,
    path: String,
    cast: &'a RefCell<Vec<(String, &'static str)>>,
}

/// A scalar's text, or why there is none.
enum Text<'a> {
    Given(Cow<'a, str>),
    Missing,
    Structured,
}

impl<'a> FormDe<'a> {
    fn text(&self) -> Text<'a> {
        match self.value {
            Value::String(s) => Text::Given(Cow::Borrowed(s)),
            Value::Number(n) => Text::Given(Cow::Owned(n.to_string())),
            Value::Bool(b) => Text::Given(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Null => Text::Missing,
            Value::Array(_) | Value::Object(_) => Text::Structured,
        }
    }

    fn fail(&self) {
        let message = message_for(Some(self.value));
        let mut cast = self.cast.borrow_mut();
        if !cast.iter().any(|(f, m)| *f == self.path && *m == message) {
            cast.push((self.path.clone(), message));
        }
    }

    /// Parses a scalar; text that does not parse is a cast error and gives `zero`.
    fn parse<N: std::str::FromStr>(&self, zero: N, valid: impl Fn(&N) -> bool) -> N {
        match self.text() {
            Text::Given(text) => match text.trim().parse::<N>() {
                Ok(n) if valid(&n) => n,
                _ => {
                    self.fail();
                    zero
                }
            },
            Text::Missing => zero,
            Text::Structured => {
                self.fail();
                zero
            }
        }
    }

    fn child(&self, value: &'a Value, path: String) -> FormDe<'a> {
        FormDe {
            value,
            path,
            cast: self.cast,
        }
    }

    fn is_blank(&self) -> bool {
        match self.value {
            Value::Null => true,
            Value::String(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

macro_rules! numbers {
    ($($method:ident $visit:ident $t:ty,)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            visitor.$visit(self.parse::<$t>(0 as $t, |_| true))
        })*
    };
}

impl<'de, 'a> de::Deserializer<'de> for FormDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or_default())
                }
            }
            Value::String(s) => visitor.visit_str(s),
            Value::Array(_) => self.deserialize_seq(visitor),
            Value::Object(_) => self.deserialize_map(visitor),
        }
    }

    numbers! {
        deserialize_i8 visit_i8 i8,
        deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64,
        deserialize_i128 visit_i128 i128,
        deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64,
        deserialize_u128 visit_u128 u128,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f32(self.parse::<f32>(0.0, |n| n.is_finite()))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f64(self.parse::<f64>(0.0, |n| n.is_finite()))
    }

    /// A checkbox sends `on` (or its `value`), an unchecked one nothing.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = match self.text() {
            Text::Given(text) => match text.trim() {
                "true" | "on" | "1" => true,
                "false" | "off" | "0" | "" => false,
                _ => {
                    self.fail();
                    false
                }
            },
            Text::Missing => false,
            Text::Structured => {
                self.fail();
                false
            }
        };
        visitor.visit_bool(value)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_char(self.parse::<char>('\0', |_| true))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.text() {
            Text::Given(Cow::Borrowed(s)) => visitor.visit_str(s),
            Text::Given(Cow::Owned(s)) => visitor.visit_string(s),
            Text::Missing => visitor.visit_str(""),
            Text::Structured => {
                self.fail();
                visitor.visit_str("")
            }
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    /// An empty (or whitespace-only) field is `None`, as Ecto casts `""` to `nil`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.is_blank() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    /// `tags[]` arrives as an array; one plain value is a list of one, a blank one empty.
    /// Errors inside a list belong to the list's field.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let items: &'a [Value] = match self.value {
            Value::Array(items) => items,
            _ if self.is_blank() => &[],
            Value::Object(_) => {
                self.fail();
                &[]
            }
            one => std::slice::from_ref(one),
        };
        let path = self.path.clone();
        visitor
            .visit_seq(Seq {
                items: items.iter(),
                parent: self,
            })
            .map_err(|e| e.at(&path))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    /// A nested name (`user[address][city]`) is an object; a field the form did not send
    /// is an empty one.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let map: &'a Map<String, Value> = match self.value {
            Value::Object(map) => map,
            _ => {
                if !self.is_blank() {
                    self.fail();
                }
                EMPTY.get_or_init(Map::new)
            }
        };
        let path = self.path.clone();
        visitor
            .visit_map(Entries {
                entries: map.iter(),
                value: None,
                parent: self,
            })
            .map_err(|e| e.at(&path))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    /// A `select` of unit variants: the text names the variant.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let path = self.path.clone();
        let result = match self.text() {
            Text::Given(text) => {
                let text: &str = &text;
                let variant: StrDeserializer<'_, DeError> = text.trim().into_deserializer();
                visitor.visit_enum(variant)
            }
            Text::Missing | Text::Structured => Err(de::Error::custom("expected a variant name")),
        };
        result.map_err(|e| e.at(&path))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct Seq<'a> {
    items: std::slice::Iter<'a, Value>,
    parent: FormDe<'a>,
}

impl<'de, 'a> de::SeqAccess<'de> for Seq<'a> {
    type Error = DeError;

    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, DeError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let path = self.parent.path.clone();
        seed.deserialize(self.parent.child(item, path.clone()))
            .map(Some)
            .map_err(|e| e.at(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'a> {
    entries: serde_json::map::Iter<'a>,
    value: Option<(&'a String, &'a Value)>,
    parent: FormDe<'a>,
}

impl<'de, 'a> de::MapAccess<'de> for Entries<'a> {
    type Error = DeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((key, value));
        let key_de: StrDeserializer<'_, DeError> = key.as_str().into_deserializer();
        seed.deserialize(key_de).map(Some)
    }

    fn next_value_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, DeError> {
        let (key, value) = self
            .value
            .take()
            .ok_or_else(|| <DeError as de::Error>::custom("value asked before its key"))?;
        let path = join(&self.parent.path, key);
        seed.deserialize(self.parent.child(value, path.clone()))
            .map_err(|e| e.at(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

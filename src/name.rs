//! [`Name`]: a shared, immutable string for the names that repeat across records.

use arcstr::ArcStr;
use std::fmt;

/// A kind, channel or source name, an id, or a string value: an immutable string that clones
/// without copying.
///
/// A million observations name a few dozen kinds. Readers that know a vocabulary hand every
/// record the vocabulary's own copy of each declared name and value, so it is stored once and
/// comparing two of them usually stops at the pointer. An observation's `id` and `counterpart`
/// are names too, so that a flag's evidence, a pending deadline and the monitor's first contacts
/// share the observation's copy instead of making their own. It reads like a `&str` (it derefs
/// to one) and converts from `&str` and `String`. It is one pointer wide (the length is kept
/// with the text), so that an observation's names take 40 bytes rather than 80.
///
/// ```
/// use early_signal::Name;
/// let kind = Name::from("contact.new");
/// assert_eq!(kind, "contact.new");
/// assert!(kind.starts_with("contact."));
/// assert_eq!(format!("[{kind:<12}]"), "[contact.new ]");
/// ```
#[derive(Clone)]
pub struct Name(ArcStr);

impl Name {
    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether both are the same stored copy (then they are equal). Every empty name is one
    /// static copy, which no other text can share.
    pub(crate) fn same(&self, other: &Name) -> bool {
        ArcStr::ptr_eq(&self.0, &other.0)
    }

    /// The address of the stored copy: equal addresses mean the same copy while both live.
    pub(crate) fn addr(&self) -> usize {
        self.0.as_ptr() as usize
    }
}

/// The traits of a type that reads as a string (`$t::as_str`): it derefs to `&str`, borrows,
/// hashes, compares (with `str`, `&str` and `String`, both ways), prints and serialises as its
/// text, and converts into a `String`. Shared by [`Name`] and [`crate::FlagId`].
macro_rules! string_like {
    ($t:ty) => {
        impl std::ops::Deref for $t {
            type Target = str;
            fn deref(&self) -> &str {
                self.as_str()
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                self.as_str()
            }
        }

        /// Hashes as its text does, so that a map keyed by it can be searched with a `&str`.
        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self.as_str(), f)
            }
        }

        /// Through `str`'s own `Display`, so that width and alignment (`{:<12}`) apply.
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(self.as_str(), f)
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl From<$t> for String {
            fn from(x: $t) -> Self {
                x.as_str().to_owned()
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<String> for $t {
            fn eq(&self, other: &String) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl PartialEq<$t> for str {
            fn eq(&self, other: &$t) -> bool {
                self == other.as_str()
            }
        }

        impl PartialEq<$t> for &str {
            fn eq(&self, other: &$t) -> bool {
                *self == other.as_str()
            }
        }

        impl PartialEq<$t> for String {
            fn eq(&self, other: &$t) -> bool {
                self.as_str() == other.as_str()
            }
        }
    };
}
pub(crate) use string_like;

string_like!(Name);

impl Default for Name {
    fn default() -> Self {
        Name::from("")
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(ArcStr::from(s))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(ArcStr::from(s))
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Self {
        Name(ArcStr::from(s.as_str()))
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.same(other) || self.0 == other.0
    }
}

impl Eq for Name {}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// Takes the text as lent where the format lends it: one copy, into the shared string.
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Name, E> {
                Ok(Name::from(s))
            }
            // As `String` does: bytes that are UTF-8 (binary formats) are text too.
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Name, E> {
                std::str::from_utf8(b)
                    .map(Name::from)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(b), &self))
            }
        }
        d.deserialize_str(Text)
    }
}

/// The declared names of a vocabulary, each stored once, for readers to share.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names(
    crate::hash::FastMap<Name, ()>,
    /// The addresses of the stored copies: a name already shared is recognised without hashing
    /// its text (the map holds the copies, so the addresses stay theirs).
    crate::hash::FastMap<usize, ()>,
);

impl Names {
    /// Adds a declared name (only from a rule set, never from input: the map is unkeyed).
    pub(crate) fn declare(&mut self, s: &str) {
        if !self.0.contains_key(s) {
            let n = Name::from(s);
            self.1.insert(n.addr(), ());
            self.0.insert(n, ());
        }
    }

    /// The stored copy of `s`, or a new one when `s` is not declared.
    pub(crate) fn get(&self, s: &str) -> Name {
        match self.0.get_key_value(s) {
            Some((n, ())) => n.clone(),
            None => Name::from(s),
        }
    }

    /// Replaces `n` by the stored copy when there is one.
    pub(crate) fn share(&self, n: &mut Name) {
        if self.1.contains_key(&n.addr()) {
            return;
        }
        if let Some((stored, ())) = self.0.get_key_value(n.as_str())
            && !stored.same(n)
        {
            *n = stored.clone();
        }
    }
}

impl Eq for Names {}

impl PartialEq for Names {
    // The stored copies follow from the declarations, which the vocabulary compares.
    fn eq(&self, _: &Names) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde::de::value::{BytesDeserializer, Error};

    #[test]
    fn reads_as_a_string_reads() {
        let name: Name = serde_json::from_str(r#""o-1""#).expect("a string");
        assert_eq!(name, "o-1");
        let escaped: Name = serde_json::from_str(r#""c\u002d1""#).expect("an escaped string");
        assert_eq!(escaped, "c-1");
        for not_text in ["5", "true", "null", "[]"] {
            let mine = serde_json::from_str::<Name>(not_text).map_err(|e| e.to_string());
            let string = serde_json::from_str::<String>(not_text).map_err(|e| e.to_string());
            assert_eq!(mine.err(), string.err(), "{not_text}");
        }
        let yaml: Name = serde_saphyr::from_str("5").expect("a plain scalar");
        assert_eq!(yaml, "5");
        // Binary formats: bytes that are UTF-8 are text, others are refused.
        let bytes = Name::deserialize(BytesDeserializer::<Error>::new(b"abc"));
        assert_eq!(bytes.ok(), Some(Name::from("abc")));
        assert!(Name::deserialize(BytesDeserializer::<Error>::new(b"\xff")).is_err());
    }
}

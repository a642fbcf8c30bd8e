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

/// The declared names of a vocabulary, each stored once, for readers to share, and numbered in
/// the order they were declared (the bulk reader keeps a declared name as its number).
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// The stored copies by number.
    by_number: Vec<Name>,
    /// The numbers again (plus one; zero is an empty slot), by a hash of a few words of the text
    /// and its length ([`word_hash`]), in a table at most half full: a name is found with a few
    /// multiplications and usually one comparison, where a map would hash every byte.
    by_hash: Vec<u32>,
    /// The addresses of the stored copies: a name already shared is recognised without hashing
    /// its text (the list holds the copies, so the addresses stay theirs).
    by_addr: crate::hash::FastMap<usize, ()>,
}

impl Names {
    /// Adds a declared name (only from a rule set, never from input: the tables are unkeyed).
    /// Beyond `u32::MAX - 1` names (a vocabulary is far smaller) the rest are not stored: a
    /// name that is not a stored copy is only looked at by its text.
    pub(crate) fn declare(&mut self, s: &str) {
        if self.number(s).is_some()
            || u32::try_from(self.by_number.len()).is_ok_and(|k| k >= u32::MAX - 1)
        {
            return;
        }
        let n = Name::from(s);
        self.by_addr.insert(n.addr(), ());
        self.by_number.push(n);
        if self.by_number.len() * 2 > self.by_hash.len() {
            let size = (self.by_number.len() * 4).next_power_of_two();
            self.by_hash = vec![0; size];
            for (k, name) in (1..).zip(&self.by_number) {
                place(&mut self.by_hash, name, k);
            }
        } else if let Some(name) = self.by_number.last() {
            let k = u32::try_from(self.by_number.len()).unwrap_or(u32::MAX);
            place(&mut self.by_hash, name, k);
        }
    }

    /// The stored copy of `s`, or a new one when `s` is not declared.
    pub(crate) fn get(&self, s: &str) -> Name {
        match self.number(s).and_then(|k| self.numbered(k)) {
            Some(n) => n.clone(),
            None => Name::from(s),
        }
    }

    /// The number of `s` when it is declared. A name that is not stops at the first free slot:
    /// the table is at most half full, and input cannot add to it. (Inlined: the bulk reader's
    /// first look calls it for every name of every line.)
    #[inline]
    pub(crate) fn number(&self, s: &str) -> Option<u32> {
        let mask = self.by_hash.len().checked_sub(1)?;
        let mut at = word_hash(s.as_bytes()) & mask;
        loop {
            let number = self.by_hash.get(at)?.checked_sub(1)?;
            if self.numbered(number).is_some_and(|n| n.as_str() == s) {
                return Some(number);
            }
            at = (at + 1) & mask;
        }
    }

    /// The stored copy numbered `number`.
    #[inline]
    pub(crate) fn numbered(&self, number: u32) -> Option<&Name> {
        self.by_number.get(usize::try_from(number).ok()?)
    }

    /// Replaces `n` by the stored copy when there is one.
    pub(crate) fn share(&self, n: &mut Name) {
        if self.by_addr.contains_key(&n.addr()) {
            return;
        }
        if let Some(stored) = self.number(n.as_str()).and_then(|k| self.numbered(k))
            && !stored.same(n)
        {
            *n = stored.clone();
        }
    }
}

/// Puts number-plus-one `k` of `name` in the first free slot of `table` from its hash on.
fn place(table: &mut [u32], name: &str, k: u32) {
    let mask = table.len().saturating_sub(1);
    let mut at = word_hash(name.as_bytes()) & mask;
    while let Some(slot) = table.get_mut(at) {
        if *slot == 0 {
            *slot = k;
            return;
        }
        at = (at + 1) & mask;
    }
}

/// A hash of a name for [`Names::number`]: its first, middle and last eight bytes (all of it up
/// to 24 bytes) and its length, mixed by multiplications.
#[inline]
fn word_hash(b: &[u8]) -> usize {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let word = |part: Option<&[u8]>| {
        let mut w = [0u8; 8];
        if let Some(part) = part
            && let Some(to) = w.get_mut(..part.len())
        {
            to.copy_from_slice(part);
        }
        u64::from_le_bytes(w)
    };
    let n = b.len();
    let (first, middle, last) = if n > 16 {
        let mid = n / 2 - 4;
        (
            word(b.get(..8)),
            word(b.get(mid..mid + 8)),
            word(b.get(n - 8..)),
        )
    } else if n > 8 {
        (word(b.get(..8)), 0, word(b.get(8..)))
    } else {
        (word(Some(b)), 0, 0)
    };
    let mixed = ((first ^ n as u64).wrapping_mul(K) ^ middle)
        .wrapping_mul(K)
        .rotate_left(23)
        ^ last;
    // (Only the bits under the table's mask are used.)
    mixed.wrapping_mul(K).rotate_left(32) as usize
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
    fn declared_names_are_numbered_and_found_by_number() {
        let mut names = Names::default();
        assert_eq!(names.number("k"), None);
        // Short and long ones, many differing only in their middle, enough to grow the table
        // several times (and to share slots: each is looked for from its hash on).
        let mut declared: Vec<String> = vec!["".into(), "k".into(), "contact.new".into()];
        declared.extend((0..300).map(|i| format!("abcdefgh{i:03}stuvwxyz")));
        declared.extend((0..300).map(|i| format!("n{i}")));
        for (i, n) in declared.iter().enumerate() {
            names.declare(n);
            // Declaring a name again changes nothing.
            names.declare(n);
            assert_eq!(names.number(n), u32::try_from(i).ok(), "{n}");
        }
        for (i, n) in declared.iter().enumerate() {
            let number = names.number(n).expect("declared");
            assert_eq!(usize::try_from(number).ok(), Some(i));
            let stored = names.numbered(number).expect("stored");
            assert_eq!(stored.as_str(), n);
            // The stored copy `get` and `share` hand out.
            assert!(stored.same(&names.get(n)));
        }
        for not in [
            "K",
            "contact.ne",
            "contact.new ",
            "abcdefgh300stuvwxyz",
            "n300",
            "é",
        ] {
            assert_eq!(names.number(not), None, "{not}");
        }
        assert!(
            names
                .numbered(u32::try_from(declared.len()).expect("few"))
                .is_none()
        );
    }

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

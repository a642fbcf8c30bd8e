//! Hashing: a fast, unkeyed hasher for maps whose keys come from the rule set, not from input;
//! keyed hashing for maps whose keys do ([`InputKeyed`]); and [`IdKey`], an input id held in
//! the map's own slot.
//!
//! Std's default SipHash is keyed against crafted collisions, which matters only where input
//! chooses the keys that are inserted. Maps built once from a rule set (kinds, names) are looked
//! up with input strings but never grow from them, so a collision can cost a lookup a few extra
//! probes at most; there a multiply-rotate hash over eight bytes at a time is several times
//! cheaper per lookup.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing of eight bytes at a time (the scheme of rustc's `FxHasher`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            if let Some(w) = word.get_mut(..rest.len()) {
                w.copy_from_slice(rest);
            }
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// A `HashMap` with [`FastHasher`]: only for keys that input cannot insert.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A `HashSet` with [`FastHasher`]: only for keys that input cannot choose.
pub(crate) type FastSet<K> = std::collections::HashSet<K, BuildHasherDefault<FastHasher>>;

/// Hashing for maps whose keys come from input (subject and observation ids): foldhash, keyed
/// with seeds drawn from the operating system's randomness (through std's `RandomState`), the
/// process-wide part once, the per-map part for each new map. Several times cheaper than std's
/// SipHash on short ids; foldhash's own default seeds come from addresses and the clock, which
/// an attacker who can watch a long-running monitor might learn, hence these.
#[derive(Debug, Clone)]
pub(crate) struct InputKeyed(foldhash::fast::SeedableRandomState);

impl Default for InputKeyed {
    fn default() -> Self {
        use std::hash::BuildHasher as _;
        static SHARED: std::sync::OnceLock<foldhash::SharedSeed> = std::sync::OnceLock::new();
        let random = || std::collections::hash_map::RandomState::new().hash_one(0u64);
        let shared = SHARED.get_or_init(|| foldhash::SharedSeed::from_u64(random()));
        InputKeyed(foldhash::fast::SeedableRandomState::with_seed(
            random(),
            shared,
        ))
    }
}

impl std::hash::BuildHasher for InputKeyed {
    type Hasher = foldhash::fast::FoldHasher<'static>;

    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

/// An id from input (a youth's) as the key of a map that is looked up once per record: held in
/// the map's own slot when it is short, as ids usually are, so that a lookup compares bytes
/// already at hand instead of first reading a separate allocation, which with many ids misses
/// the cache (docs/performance-history.md, tenth round). Looked up by the id's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdKey {
    Short { len: u8, bytes: [u8; IdKey::SHORT] },
    Long(Box<[u8]>),
}

impl IdKey {
    /// The longest id held in the slot itself.
    const SHORT: usize = 22;

    pub(crate) fn new(id: &str) -> Self {
        let mut bytes = [0; Self::SHORT];
        match (bytes.get_mut(..id.len()), u8::try_from(id.len())) {
            (Some(short), Ok(len)) => {
                short.copy_from_slice(id.as_bytes());
                IdKey::Short { len, bytes }
            }
            _ => IdKey::Long(id.as_bytes().into()),
        }
    }
}

impl std::borrow::Borrow<[u8]> for IdKey {
    fn borrow(&self) -> &[u8] {
        match self {
            IdKey::Short { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            IdKey::Long(bytes) => bytes,
        }
    }
}

// Hashed as its bytes, as `Borrow` requires. Equal keys are equal bytes and the other way
// round: an id has one form only, set by its length (unused short bytes are zero).
impl std::hash::Hash for IdKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::borrow::Borrow::<[u8]>::borrow(self).hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_hash_equal_and_lookups_work() {
        let mut m: FastMap<String, usize> = FastMap::default();
        for (i, k) in [
            "",
            "a",
            "contact.new",
            "meeting.in_person",
            "abcdefgh",
            "abcdefghi",
        ]
        .iter()
        .enumerate()
        {
            m.insert((*k).to_owned(), i);
        }
        assert_eq!(m.get("meeting.in_person"), Some(&3));
        assert_eq!(m.get("abcdefgh"), Some(&4));
        assert_eq!(m.get("abcdefghi"), Some(&5));
        assert_eq!(m.get(""), Some(&0));
        assert_eq!(m.get("contact.ne"), None);
    }

    /// Held in the slot up to 22 bytes, apart from there: equal keys are equal bytes, hash as
    /// their bytes, and are found by them.
    #[test]
    fn id_keys_are_their_bytes() {
        use std::borrow::Borrow;
        use std::hash::BuildHasher;
        let ids: Vec<String> = [0, 1, 21, 22, 23, 100]
            .iter()
            .map(|&n| "y".repeat(n))
            .chain(["é-1".to_owned(), "y-1".to_owned(), "y-1\0".to_owned()])
            .collect();
        let hasher = InputKeyed::default();
        let mut m: std::collections::HashMap<IdKey, usize, InputKeyed> =
            std::collections::HashMap::default();
        for (i, id) in ids.iter().enumerate() {
            let key = IdKey::new(id);
            assert_eq!(matches!(key, IdKey::Short { .. }), id.len() <= 22, "{id:?}");
            assert_eq!(Borrow::<[u8]>::borrow(&key), id.as_bytes());
            assert_eq!(hasher.hash_one(&key), hasher.hash_one(id.as_bytes()));
            assert_eq!(key, IdKey::new(id));
            m.insert(key, i);
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(m.get(id.as_bytes()), Some(&i), "{id:?}");
        }
        assert_eq!(m.len(), ids.len());
        assert_eq!(m.get("y-2".as_bytes()), None);
    }
}

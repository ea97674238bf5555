//! The aggregates this process loaded or changed last, with the sequence each stands at, so that a command on a
//! busy stream (a live conversation gets a command per merge) reads only the events appended since, instead of
//! folding the whole stream again. Another process's appends are among those events; a conflict drops the entry.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept at most; past it, arbitrary entries are dropped (a miss only costs a full load).
const CAPACITY: usize = 4_096;

type Key = (&'static str, String);
/// A type-erased aggregate and the sequence of the last event folded into it, per stream.
type Entries = HashMap<Key, (Box<dyn Any + Send>, usize)>;

/// A checked-out aggregate is removed while its command runs and put back after, so no clone is needed.
#[derive(Default)]
pub(crate) struct AggregateCache {
    entries: Mutex<Entries>,
}

impl AggregateCache {
    /// Takes the cached state of stream `id` of `kind`: the aggregate and its last sequence.
    pub fn take<A: Any + Send>(&self, kind: &'static str, id: &str) -> Option<(A, usize)> {
        let (state, sequence) = self.lock().remove(&(kind, id.to_string()))?;
        state.downcast::<A>().ok().map(|state| (*state, sequence))
    }

    /// Puts back the state of stream `id` of `kind` as of `sequence`.
    pub fn put<A: Any + Send>(&self, kind: &'static str, id: &str, aggregate: A, sequence: usize) {
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            let drop: Vec<Key> = entries.keys().take(CAPACITY / 4).cloned().collect();
            for key in drop {
                entries.remove(&key);
            }
        }
        entries.insert((kind, id.to_string()), (Box::new(aggregate), sequence));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::AggregateCache;

    #[test]
    fn an_entry_is_taken_once_and_keeps_its_type() {
        let cache = AggregateCache::default();
        cache.put("Memory", "m1", String::from("state"), 3);
        assert_eq!(cache.take::<u32>("Memory", "m1"), None, "wrong type");
        cache.put("Memory", "m1", String::from("state"), 3);
        assert_eq!(
            cache.take::<String>("Memory", "m1"),
            Some(("state".to_string(), 3))
        );
        assert_eq!(cache.take::<String>("Memory", "m1"), None, "taken already");
        assert_eq!(cache.take::<String>("ActionItem", "m1"), None);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = AggregateCache::default();
        for n in 0..(super::CAPACITY * 2) {
            cache.put("Memory", &n.to_string(), n, 1);
        }
        assert!(cache.lock().len() <= super::CAPACITY);
        let last = super::CAPACITY * 2 - 1;
        assert_eq!(
            cache.take::<usize>("Memory", &last.to_string()),
            Some((last, 1))
        );
    }
}

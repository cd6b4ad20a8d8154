//! One table of the in-memory backend: rows by primary key, hash indexes over the keys that
//! are looked up, and the journal entries that let a failed operation be undone.
//!
//! An index maps the hash of a row's key (one or more column values) to the primary keys of
//! the rows with that hash. A lookup returns those rows; the caller's filter then compares
//! the values themselves, so a hash collision costs a comparison, never a wrong answer.

use std::borrow::Borrow;
use std::collections::hash_map::{Entry, HashMap};
use std::collections::{HashSet, hash_set};
use std::hash::{BuildHasher, Hash, RandomState};

use crate::generated::Undo;

/// A row type kept in a [`Table`]; the generated code implements it for every table.
pub(crate) trait Stored: Clone {
    type Pk: Clone + Eq + Hash + std::fmt::Debug;
    /// How many hash indexes the table keeps.
    const INDEXES: usize;
    fn pk(&self) -> Self::Pk;
    /// The hash of this row's key in index `index`, or `None` when a column of that key is
    /// NULL: such rows are not indexed, as NULL neither matches a lookup nor conflicts.
    fn index_key(&self, index: usize, hasher: &RandomState) -> Option<u64>;
    /// This table's change as an entry of the journal.
    fn journal_entry(change: Change<Self>) -> Undo;
}

/// One change to a table, recorded so that it can be undone.
#[derive(Debug)]
pub(crate) enum Change<R: Stored> {
    Inserted(R::Pk),
    Removed(R),
    /// Changed in place (no key column changed); the row as it was.
    Modified(R),
}

/// The primary keys behind one index hash: one for nearly every hash of a unique key, many
/// for a shared value (a user's sessions).
#[derive(Debug)]
enum Bucket<K> {
    One(K),
    Many(HashSet<K>),
}

impl<K: Clone + Eq + Hash> Bucket<K> {
    fn add(&mut self, pk: K) {
        match self {
            Bucket::One(only) if *only == pk => {}
            Bucket::One(only) => *self = Bucket::Many(HashSet::from([only.clone(), pk])),
            Bucket::Many(set) => {
                set.insert(pk);
            }
        }
    }

    /// Removes `pk`; true when the bucket is then empty.
    fn remove(&mut self, pk: &K) -> bool {
        match self {
            Bucket::One(only) => only == pk,
            Bucket::Many(set) => {
                set.remove(pk);
                match set.len() {
                    0 => true,
                    1 => {
                        let only = set.iter().next().cloned().expect("one element");
                        *self = Bucket::One(only);
                        false
                    }
                    _ => false,
                }
            }
        }
    }

    fn iter(&self) -> BucketIter<'_, K> {
        match self {
            Bucket::One(only) => BucketIter::One(Some(only)),
            Bucket::Many(set) => BucketIter::Many(set.iter()),
        }
    }
}

enum BucketIter<'a, K> {
    One(Option<&'a K>),
    Many(hash_set::Iter<'a, K>),
}

impl<'a, K> Iterator for BucketIter<'a, K> {
    type Item = &'a K;

    fn next(&mut self) -> Option<&'a K> {
        match self {
            BucketIter::One(only) => only.take(),
            BucketIter::Many(iter) => iter.next(),
        }
    }
}

/// The rows of one table.
#[derive(Debug)]
pub(crate) struct Table<R: Stored> {
    rows: HashMap<R::Pk, R>,
    indexes: Vec<HashMap<u64, Bucket<R::Pk>>>,
    hasher: RandomState,
}

impl<R: Stored> Default for Table<R> {
    fn default() -> Self {
        Table {
            rows: HashMap::new(),
            indexes: (0..R::INDEXES).map(|_| HashMap::new()).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl<R: Stored> Table<R> {
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Every row, in no particular order (lists sort).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &R> {
        self.rows.values()
    }

    pub(crate) fn get<Q>(&self, pk: &Q) -> Option<&R>
    where
        R::Pk: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.rows.get(pk)
    }

    /// The hash that index lookups of this table take, of the same borrowed values that
    /// [`Stored::index_key`] hashes.
    pub(crate) fn hash(&self, key: impl Hash) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The rows whose key in index `index` hashes to `key`.
    pub(crate) fn lookup(&self, index: usize, key: u64) -> impl Iterator<Item = &R> {
        self.indexes[index]
            .get(&key)
            .into_iter()
            .flat_map(Bucket::iter)
            .filter_map(|pk| self.rows.get(pk))
    }

    /// The stored rows with the same key as `row` in index `index` (none when a column of
    /// that key is NULL in `row`).
    pub(crate) fn colliding<'a>(&'a self, index: usize, row: &R) -> impl Iterator<Item = &'a R> {
        let key = row.index_key(index, &self.hasher);
        key.into_iter().flat_map(move |key| self.lookup(index, key))
    }

    /// Adds a row whose keys the caller has checked.
    pub(crate) fn insert(&mut self, row: R, journal: &mut Vec<Undo>) {
        let pk = row.pk();
        self.index(&row, &pk);
        journal.push(R::journal_entry(Change::Inserted(pk.clone())));
        self.rows.insert(pk, row);
    }

    /// Removes a row and returns it.
    pub(crate) fn remove<Q>(&mut self, pk: &Q, journal: &mut Vec<Undo>) -> Option<R>
    where
        R::Pk: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let row = self.take(pk)?;
        journal.push(R::journal_entry(Change::Removed(row.clone())));
        Some(row)
    }

    /// Changes a row in place. `change` must leave the primary key and every indexed column
    /// as they are (the generated code removes and re-inserts rows whose keys change).
    pub(crate) fn modify<Q>(
        &mut self,
        pk: &Q,
        journal: &mut Vec<Undo>,
        change: impl FnOnce(&mut R),
    ) -> Option<&R>
    where
        R::Pk: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let row = self.rows.get_mut(pk)?;
        journal.push(R::journal_entry(Change::Modified(row.clone())));
        #[cfg(debug_assertions)]
        let keys = |row: &R| -> Vec<Option<u64>> {
            (0..R::INDEXES)
                .map(|i| row.index_key(i, &self.hasher))
                .collect()
        };
        #[cfg(debug_assertions)]
        let before = (row.pk(), keys(row));
        change(row);
        #[cfg(debug_assertions)]
        assert!(
            before == (row.pk(), keys(row)),
            "an in-place change moved a key column"
        );
        Some(row)
    }

    /// Reverts one change of this table.
    pub(crate) fn undo(&mut self, change: Change<R>) {
        match change {
            Change::Inserted(pk) => {
                self.take(&pk);
            }
            Change::Removed(row) => {
                let pk = row.pk();
                self.index(&row, &pk);
                self.rows.insert(pk, row);
            }
            Change::Modified(row) => {
                self.rows.insert(row.pk(), row);
            }
        }
    }

    fn take<Q>(&mut self, pk: &Q) -> Option<R>
    where
        R::Pk: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (pk, row) = self.rows.remove_entry(pk)?;
        for index in 0..R::INDEXES {
            if let Some(key) = row.index_key(index, &self.hasher)
                && let Entry::Occupied(mut bucket) = self.indexes[index].entry(key)
                && bucket.get_mut().remove(&pk)
            {
                bucket.remove();
            }
        }
        Some(row)
    }

    fn index(&mut self, row: &R, pk: &R::Pk) {
        for index in 0..R::INDEXES {
            if let Some(key) = row.index_key(index, &self.hasher) {
                match self.indexes[index].entry(key) {
                    Entry::Occupied(mut bucket) => bucket.get_mut().add(pk.clone()),
                    Entry::Vacant(slot) => {
                        slot.insert(Bucket::One(pk.clone()));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use uuid::Uuid;
    use yauth_entity::Session;

    use super::*;

    fn session(user_id: Uuid, token: &str) -> Session {
        Session {
            id: Uuid::now_v7(),
            user_id,
            token_hash: token.into(),
            ip_address: None,
            user_agent: None,
            expires_at: Utc::now() + Duration::hours(1),
            created_at: Utc::now(),
            impersonator_id: None,
            last_seen_at: None,
            persistent: false,
        }
    }

    /// Every index finds exactly the rows whose key equals the row's.
    fn assert_indexes_agree(table: &Table<Session>) {
        for row in table.iter() {
            for index in 0..Session::INDEXES {
                let key = row.index_key(index, &table.hasher);
                let mut found: Vec<Uuid> = table.colliding(index, row).map(|r| r.id).collect();
                let mut expected: Vec<Uuid> = table
                    .iter()
                    .filter(|o| key.is_some() && o.index_key(index, &table.hasher) == key)
                    .map(|r| r.id)
                    .collect();
                found.sort();
                expected.sort();
                assert_eq!(found, expected, "index {index}");
            }
        }
    }

    #[test]
    fn indexes_follow_inserts_removals_and_undo() {
        let mut table = Table::<Session>::default();
        let mut journal = Vec::new();
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let rows = [
            session(ada, "a1"),
            session(ada, "a2"),
            session(ada, "a3"),
            session(bob, "b1"),
        ];
        for row in &rows {
            table.insert(row.clone(), &mut journal);
        }
        assert_indexes_agree(&table);
        journal.clear();

        // Shared keys shrink back to one row and to none; an in-place change keeps its keys.
        assert!(table.remove(&rows[0].id, &mut journal).is_some());
        assert!(table.remove(&rows[1].id, &mut journal).is_some());
        assert_indexes_agree(&table);
        table.modify(&rows[3].id, &mut journal, |r| r.persistent = true);
        assert!(table.remove(&rows[2].id, &mut journal).is_some());
        assert!(table.remove(&rows[2].id, &mut journal).is_none());
        assert_indexes_agree(&table);
        assert_eq!(table.len(), 1);

        // Undoing the journal newest first restores every row and every index.
        while let Some(entry) = journal.pop() {
            match entry {
                Undo::Session(change) => table.undo(change),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(table.len(), 4);
        for row in &rows {
            assert_eq!(table.get(&row.id), Some(row));
        }
        assert_indexes_agree(&table);
    }
}

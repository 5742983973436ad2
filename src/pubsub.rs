//! The Pub/Sub registry: channels, patterns and shard channels (Redis's `src/pubsub.c`).
//!
//! Two sides hold the same facts. The server-wide [`PubSub`] maps each channel to its
//! subscribers (global and shard channels are separate namespaces, as in Redis outside cluster
//! mode) and keeps the pattern subscriptions; each connection keeps its own [`ClientSubs`] (in
//! subscription order), which gives the running counts of the confirmations, the order of an
//! argument-less UNSUBSCRIBE, and what to remove on RESET or disconnect. Only the owning
//! connection task changes a client's subscriptions, so the two sides never disagree for long.
//!
//! PUBLISH reads the channel's subscriber list under one shard of a `DashMap` (a read lock that
//! other channels do not share), encodes the message once per protocol version (RESP2 array,
//! RESP3 push) and pushes the same `Bytes` into every subscriber's outbound queue with
//! [`ClientInfo::push_limited`], which applies `client-output-buffer-limit` and never waits for a
//! socket. Pattern subscriptions live behind one `RwLock`, read only when at least one pattern
//! exists and matched with [`crate::glob::matches`], the matcher KEYS uses. A publisher delivers
//! synchronously, so messages from one publisher reach each subscriber in publish order.
//!
//! Slow subscribers: a subscriber whose queued plus unwritten output reaches the pubsub class's
//! hard limit, or stays at or over its soft limit for longer than its seconds, is closed and its
//! queue dropped at once (`client-output-buffer-limit`, applied by `ClientInfo::push_limited`,
//! checked on every message as Redis checks on every reply). Redis 7.0 has no INFO counter for
//! these disconnections (`client_output_buffer_limit_disconnections` arrived in 7.2), so Herald
//! reports none either; they are logged at debug level.
//!
//! # Lock order
//! keyspace shard locks (a keyspace notification is published by a command holding them) ->
//! a channel-map shard or the pattern lock (never both at once) -> a client's outbound mutex.
//! None of them is held across an `.await` or I/O.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use dashmap::DashMap;
use indexmap::{IndexMap, IndexSet};
use parking_lot::RwLock;

use crate::client::{Client, ClientInfo};
use crate::config::ObufLimit;

type Hasher = ahash::RandomState;
/// Subscribers of one channel or pattern, by client id.
type Subscribers = IndexMap<u64, Arc<ClientInfo>, Hasher>;

/// The three subscription namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    /// The kind named in subscribe confirmations.
    pub fn subscribe_name(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    /// The kind named in unsubscribe confirmations.
    pub fn unsubscribe_name(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// One connection's subscriptions, in the order they were made. Most connections never
/// subscribe: the sets are allocated on the first subscription and dropped with the last, so
/// they cost an idle connection one pointer instead of three sets.
#[derive(Default, Debug)]
pub struct ClientSubs(Option<Box<Sets>>);

#[derive(Default, Debug)]
struct Sets {
    channels: IndexSet<Bytes, Hasher>,
    patterns: IndexSet<Bytes, Hasher>,
    shard: IndexSet<Bytes, Hasher>,
}

impl Sets {
    fn of(&self, k: Kind) -> &IndexSet<Bytes, Hasher> {
        match k {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }
}

impl ClientSubs {
    fn contains(&self, k: Kind, name: &[u8]) -> bool {
        self.0.as_ref().is_some_and(|s| s.of(k).contains(name))
    }

    fn insert(&mut self, k: Kind, name: Bytes) {
        let s = self.0.get_or_insert_with(Box::default);
        match k {
            Kind::Channel => s.channels.insert(name),
            Kind::Pattern => s.patterns.insert(name),
            Kind::Shard => s.shard.insert(name),
        };
    }

    /// Removes `name`; false if it was not there.
    fn remove(&mut self, k: Kind, name: &[u8]) -> bool {
        let Some(s) = self.0.as_mut() else {
            return false;
        };
        let removed = match k {
            Kind::Channel => s.channels.shift_remove(name),
            Kind::Pattern => s.patterns.shift_remove(name),
            Kind::Shard => s.shard.shift_remove(name),
        };
        if self.total() == 0 {
            self.0 = None;
        }
        removed
    }

    fn len(&self, k: Kind) -> usize {
        self.0.as_ref().map_or(0, |s| s.of(k).len())
    }

    /// The names subscribed to in namespace `k`, in subscription order.
    pub fn names(&self, k: Kind) -> Vec<Bytes> {
        self.0
            .as_ref()
            .map_or_else(Vec::new, |s| s.of(k).iter().cloned().collect())
    }

    /// The count a confirmation reports: channels + patterns (Redis's
    /// `clientSubscriptionsCount`), or shard channels (`clientShardSubscriptionsCount`).
    pub fn count(&self, k: Kind) -> usize {
        match k {
            Kind::Shard => self.len(Kind::Shard),
            _ => self.len(Kind::Channel) + self.len(Kind::Pattern),
        }
    }

    /// Every subscription of any kind; the client is in Pub/Sub mode while this is non-zero.
    pub fn total(&self) -> usize {
        self.count(Kind::Channel) + self.count(Kind::Shard)
    }
}

/// The server-wide registry.
pub struct PubSub {
    /// Global channels -> subscribers. A `DashMap` shard lock is held only to add or remove a
    /// subscriber, or while PUBLISH pushes to one channel's subscribers.
    channels: DashMap<Bytes, Subscribers, Hasher>,
    /// Shard channels (SSUBSCRIBE/SPUBLISH), a namespace of their own.
    shard: DashMap<Bytes, Subscribers, Hasher>,
    /// Patterns -> subscribers. Written by (P)UNSUBSCRIBE, read by PUBLISH and PUBSUB; held
    /// only for the match-and-push loop.
    patterns: RwLock<IndexMap<Bytes, Subscribers, Hasher>>,
    /// Distinct patterns, read lock-free so PUBLISH skips the pattern lock when there are none.
    npatterns: AtomicUsize,
    /// `notify-keyspace-events` flags (`registry::NOTIFY_*`), cached here because every write
    /// command reads them; kept in step by CONFIG SET.
    pub notify_flags: AtomicU32,
}

impl Default for PubSub {
    fn default() -> Self {
        PubSub {
            channels: DashMap::with_hasher(Hasher::default()),
            shard: DashMap::with_hasher(Hasher::default()),
            patterns: RwLock::new(IndexMap::default()),
            npatterns: AtomicUsize::new(0),
            notify_flags: AtomicU32::new(0),
        }
    }
}

/// One message being delivered, encoded lazily once per protocol version.
struct Message<'a> {
    kind: &'static [u8],
    pattern: Option<&'a [u8]>,
    channel: &'a [u8],
    payload: &'a [u8],
    resp2: Option<Bytes>,
    resp3: Option<Bytes>,
}

impl<'a> Message<'a> {
    fn new(
        kind: &'static [u8],
        pattern: Option<&'a [u8]>,
        channel: &'a [u8],
        payload: &'a [u8],
    ) -> Self {
        Message {
            kind,
            pattern,
            channel,
            payload,
            resp2: None,
            resp3: None,
        }
    }

    fn frame(&mut self, resp3: bool) -> Bytes {
        let slot = if resp3 {
            &mut self.resp3
        } else {
            &mut self.resp2
        };
        if let Some(b) = slot {
            return b.clone();
        }
        let parts: &[&[u8]] = match self.pattern {
            Some(p) => &[self.kind, p, self.channel, self.payload],
            None => &[self.kind, self.channel, self.payload],
        };
        let mut buf =
            BytesMut::with_capacity(16 + parts.iter().map(|p| p.len() + 16).sum::<usize>());
        buf.put_u8(if resp3 { b'>' } else { b'*' });
        put_len(&mut buf, parts.len());
        for p in parts {
            buf.put_u8(b'$');
            put_len(&mut buf, p.len());
            buf.extend_from_slice(p);
            buf.extend_from_slice(b"\r\n");
        }
        let b = buf.freeze();
        *slot = Some(b.clone());
        b
    }
}

fn put_len(buf: &mut BytesMut, n: usize) {
    let mut tmp = itoa::Buffer::new();
    buf.extend_from_slice(tmp.format(n).as_bytes());
    buf.extend_from_slice(b"\r\n");
}

/// The publishing connection, when it may itself be a subscriber: its own messages go straight
/// into its reply buffer, after what others pushed to it, as Redis appends them to its reply
/// before the PUBLISH reply.
pub struct Publisher<'b> {
    pub id: u64,
    pub resp3: bool,
    pub info: &'b ClientInfo,
    pub buf: &'b mut BytesMut,
}

impl PubSub {
    fn map(&self, k: Kind) -> &DashMap<Bytes, Subscribers, Hasher> {
        if k == Kind::Shard {
            &self.shard
        } else {
            &self.channels
        }
    }

    /// Subscribes `client` to `name`; false if it already was.
    pub fn subscribe(&self, client: &mut Client, k: Kind, name: &[u8]) -> bool {
        if client.pubsub.contains(k, name) {
            return false;
        }
        let name = Bytes::copy_from_slice(name);
        client.pubsub.insert(k, name.clone());
        let (id, info) = (client.info.id, client.info.clone());
        match k {
            Kind::Pattern => {
                let mut p = self.patterns.write();
                p.entry(name).or_default().insert(id, info);
                self.npatterns.store(p.len(), Ordering::Release);
            }
            _ => {
                self.map(k).entry(name).or_default().insert(id, info);
            }
        }
        sync_counts(client);
        true
    }

    /// Unsubscribes `client` from `name`; false if it was not subscribed.
    pub fn unsubscribe(&self, client: &mut Client, k: Kind, name: &[u8]) -> bool {
        if !client.pubsub.remove(k, name) {
            return false;
        }
        let id = client.info.id;
        match k {
            Kind::Pattern => {
                let mut p = self.patterns.write();
                if let Some(subs) = p.get_mut(name) {
                    subs.swap_remove(&id);
                    if subs.is_empty() {
                        p.swap_remove(name);
                    }
                }
                self.npatterns.store(p.len(), Ordering::Release);
            }
            _ => {
                let map = self.map(k);
                let empty = match map.get_mut(name) {
                    Some(mut subs) => {
                        subs.swap_remove(&id);
                        subs.is_empty()
                    }
                    None => false,
                };
                if empty {
                    map.remove_if(name, |_, subs| subs.is_empty());
                }
            }
        }
        sync_counts(client);
        true
    }

    /// Drops every subscription of `client` without replying (RESET, disconnect).
    pub fn unsubscribe_all(&self, client: &mut Client) {
        if client.pubsub.total() == 0 {
            return;
        }
        for k in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in client.pubsub.names(k) {
                self.unsubscribe(client, k, &name);
            }
        }
    }

    /// Delivers `payload` on `channel` (global, or shard for `Kind::Shard`) to every
    /// subscriber and, for global channels, to every client of every matching pattern (a
    /// client matching twice receives twice). Returns the number of receivers, as Redis counts
    /// them. Never waits: a subscriber over its output limit is disconnected instead.
    pub fn publish(
        &self,
        k: Kind,
        channel: &[u8],
        payload: &[u8],
        limit: ObufLimit,
        mut me: Option<&mut Publisher<'_>>,
    ) -> usize {
        let mut receivers = 0;
        let kind: &'static [u8] = if k == Kind::Shard {
            b"smessage"
        } else {
            b"message"
        };
        if let Some(subs) = self.map(k).get(channel) {
            let mut m = Message::new(kind, None, channel, payload);
            for c in subs.values() {
                receivers += 1;
                deliver(c, &mut m, limit, &mut me);
            }
        }
        if k != Kind::Shard && self.npatterns.load(Ordering::Acquire) > 0 {
            let pats = self.patterns.read();
            for (pat, subs) in pats.iter() {
                if !crate::glob::matches(pat, channel, false) {
                    continue;
                }
                let mut m = Message::new(b"pmessage", Some(pat), channel, payload);
                for c in subs.values() {
                    receivers += 1;
                    deliver(c, &mut m, limit, &mut me);
                }
            }
        }
        receivers
    }

    /// Active channels (with at least one subscriber) matching `pattern`, if given.
    pub fn channels(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let map = if shard { &self.shard } else { &self.channels };
        map.iter()
            .filter(|e| pattern.is_none_or(|p| crate::glob::matches(p, e.key(), false)))
            .map(|e| e.key().clone())
            .collect()
    }

    /// Subscribers of one channel (patterns not included), as NUMSUB counts them.
    pub fn numsub(&self, shard: bool, channel: &[u8]) -> usize {
        let map = if shard { &self.shard } else { &self.channels };
        map.get(channel).map_or(0, |s| s.len())
    }

    /// Distinct patterns subscribed to (NUMPAT, INFO `pubsub_patterns`).
    pub fn numpat(&self) -> usize {
        self.npatterns.load(Ordering::Acquire)
    }

    /// Channels with subscribers (INFO `pubsub_channels` / `pubsubshard_channels`).
    pub fn num_channels(&self, shard: bool) -> usize {
        if shard {
            self.shard.len()
        } else {
            self.channels.len()
        }
    }

    /// Whether nothing at all is subscribed (tests use this to check cleanup).
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.shard.is_empty() && self.numpat() == 0
    }
}

fn deliver(
    c: &ClientInfo,
    m: &mut Message<'_>,
    limit: ObufLimit,
    me: &mut Option<&mut Publisher<'_>>,
) {
    if let Some(p) = me.as_mut() {
        if p.id == c.id {
            p.info.outbound.drain_into(p.buf);
            let f = m.frame(p.resp3);
            p.buf.extend_from_slice(&f);
            return;
        }
    }
    let f = m.frame(c.resp.load(Ordering::Relaxed) == 3);
    c.push_limited(f, limit);
}

/// Publishes the connection's counts for CLIENT LIST and its Pub/Sub flag.
fn sync_counts(client: &Client) {
    let s = &client.pubsub;
    let i = &client.info;
    i.subs.store(s.len(Kind::Channel), Ordering::Relaxed);
    i.psubs.store(s.len(Kind::Pattern), Ordering::Relaxed);
    i.ssubs.store(s.len(Kind::Shard), Ordering::Relaxed);
    i.pubsub.store(s.total() > 0, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_subs_allocate_with_the_first_and_free_with_the_last() {
        let mut s = ClientSubs::default();
        assert!(s.0.is_none() && s.total() == 0);
        assert!(!s.remove(Kind::Channel, b"a"), "nothing to remove");
        assert!(s.0.is_none(), "a miss allocates nothing");
        s.insert(Kind::Channel, Bytes::from_static(b"a"));
        s.insert(Kind::Pattern, Bytes::from_static(b"p*"));
        s.insert(Kind::Shard, Bytes::from_static(b"s"));
        s.insert(Kind::Channel, Bytes::from_static(b"b"));
        assert!(s.contains(Kind::Pattern, b"p*") && !s.contains(Kind::Channel, b"p*"));
        assert_eq!(
            (s.count(Kind::Channel), s.count(Kind::Shard), s.total()),
            (3, 1, 4)
        );
        assert_eq!(
            s.names(Kind::Channel),
            vec![Bytes::from("a"), Bytes::from("b")]
        );
        for (k, n) in [
            (Kind::Channel, "a"),
            (Kind::Pattern, "p*"),
            (Kind::Shard, "s"),
        ] {
            assert!(s.remove(k, n.as_bytes()));
        }
        assert!(s.0.is_some(), "one channel left");
        assert!(s.remove(Kind::Channel, b"b"));
        assert!(s.0.is_none() && s.total() == 0);
    }

    #[test]
    fn frames_are_encoded_per_protocol() {
        let mut m = Message::new(b"pmessage", Some(b"a*"), b"ab", b"hi");
        assert_eq!(
            &m.frame(false)[..],
            b"*4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$2\r\nab\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            &m.frame(true)[..],
            b">4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$2\r\nab\r\n$2\r\nhi\r\n"
        );
        let mut m = Message::new(b"message", None, b"c", b"");
        assert_eq!(
            &m.frame(false)[..],
            b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$0\r\n\r\n"
        );
    }
}

//! Keyspace notifications (Redis's `src/notify.c`): `notify-keyspace-events` decides which
//! classes of events are published, as `__keyspace@<db>__:<key>` with the event name as the
//! message and/or `__keyevent@<db>__:<event>` with the key as the message.
//!
//! # Adding events for a type
//! A handler that changes a key calls, once per event and after the change,
//! ```ignore
//! ctx.notify(NOTIFY_HASH, "hset", key);
//! ```
//! with the class constant from [`crate::config::registry`] (`NOTIFY_GENERIC`, `NOTIFY_STRING`,
//! `NOTIFY_LIST`, `NOTIFY_SET`, `NOTIFY_HASH`, `NOTIFY_ZSET`, `NOTIFY_STREAM`, ...) and the
//! event name Redis uses at the same place (the `notifyKeyspaceEvent` calls in `t_hash.c`,
//! `t_set.c`, `t_zset.c`, `t_stream.c`); a container emptied by the command also gets
//! `ctx.notify(NOTIFY_GENERIC, "del", key)`, as Redis does. Code outside a handler (a
//! blocked-client hand-off, the expiry cycle) calls [`notify`] with the database. When the
//! class is off the hook costs one atomic load.
//!
//! Events are published while the command still holds its shard locks, which is allowed by the
//! lock order in `pubsub.rs` (keyspace shards before the registry). If the calling connection is
//! itself subscribed (RESP3), its own notifications go into its reply buffer at that point, as
//! Redis adds them to the reply before the command's own reply.

use std::sync::atomic::Ordering;

use bytes::{BufMut, BytesMut};

use crate::commands::Ctx;
use crate::config::registry::{NOTIFY_EXPIRED, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE};
use crate::config::OBUF_PUBSUB;
use crate::pubsub::{Kind, Publisher};
use crate::server::Server;

/// Publishes one event of class `class` about `key` in database `db`, if enabled.
pub fn notify(
    srv: &Server,
    class: u32,
    event: &str,
    key: &[u8],
    db: usize,
    mut me: Option<&mut Publisher<'_>>,
) {
    let flags = srv.pubsub.notify_flags.load(Ordering::Relaxed);
    if flags & class == 0 {
        return;
    }
    let limit = srv.config.read().client_output_buffer_limit[OBUF_PUBSUB];
    let mut dbs = itoa::Buffer::new();
    let db = dbs.format(db).as_bytes();
    if flags & NOTIFY_KEYSPACE != 0 {
        let chan = channel(b"__keyspace@", db, key);
        srv.pubsub.publish(
            Kind::Channel,
            &chan,
            event.as_bytes(),
            limit,
            me.as_deref_mut(),
        );
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        let chan = channel(b"__keyevent@", db, event.as_bytes());
        srv.pubsub.publish(Kind::Channel, &chan, key, limit, me);
    }
}

fn channel(prefix: &[u8], db: &[u8], tail: &[u8]) -> BytesMut {
    let mut c = BytesMut::with_capacity(prefix.len() + db.len() + 3 + tail.len());
    c.put_slice(prefix);
    c.put_slice(db);
    c.put_slice(b"__:");
    c.put_slice(tail);
    c
}

/// Whether any keyspace notification is enabled (lets callers skip collecting work).
pub fn enabled(srv: &Server, class: u32) -> bool {
    srv.pubsub.notify_flags.load(Ordering::Relaxed) & class != 0
}

/// `expired` events for keys deleted by lazy or active expiry. `me` is the connection whose
/// command found them, if any; `reply_at` is where that command's reply starts in its buffer,
/// so its own notifications come before the reply as in Redis (expiry on lookup happens before
/// the command replies).
pub fn expired(
    srv: &Server,
    keys: &[(usize, bytes::Bytes)],
    me: Option<(&crate::client::Client, &mut BytesMut, usize)>,
) {
    if keys.is_empty() || !enabled(srv, NOTIFY_EXPIRED) {
        return;
    }
    match me {
        Some((client, buf, reply_at)) if client.pubsub.total() > 0 => {
            let reply = buf.split_off(reply_at.min(buf.len()));
            let mut p = Publisher {
                id: client.info.id,
                resp3: client.resp3,
                info: &client.info,
                buf: &mut *buf,
            };
            for (db, k) in keys {
                notify(srv, NOTIFY_EXPIRED, "expired", k, *db, Some(&mut p));
            }
            buf.unsplit(reply);
        }
        _ => {
            for (db, k) in keys {
                notify(srv, NOTIFY_EXPIRED, "expired", k, *db, None);
            }
        }
    }
}

impl Ctx<'_> {
    /// Publishes a keyspace event about `key` in the selected database (see the module docs).
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.ks.db;
        self.notify_in(db, class, event, key);
    }

    /// Like [`Ctx::notify`], for a key in database `db` (MOVE, COPY ... DB).
    pub fn notify_in(&mut self, db: usize, class: u32, event: &str, key: &[u8]) {
        if !enabled(self.srv, class) {
            return;
        }
        if self.client.pubsub.total() == 0 {
            notify(self.srv, class, event, key, db, None);
            return;
        }
        let mut p = Publisher {
            id: self.client.info.id,
            resp3: self.out.resp3,
            info: &self.client.info,
            buf: &mut *self.out.buf,
        };
        notify(self.srv, class, event, key, db, Some(&mut p));
    }
}

//! Herald: a Redis-protocol-compatible message broker server.
//!
//! The parts, in request order:
//! - [`server`]: shared state, accept loop, background cycles, shutdown.
//! - [`connection`]: per-connection read → decode → execute → write loop.
//! - [`protocol`]: request decoding with Redis's limits; RESP2/RESP3 reply encoding.
//! - [`commands`]: the single command table, dispatch, and one module per command group.
//! - [`store`]: the sharded keyspace, values and expiry.
//! - [`blocking`]: the waiter registry behind BLPOP and friends.
//! - [`config`]: settings from the command line and redis.conf.
//! - [`client`]: per-connection state, shared parts visible to CLIENT LIST/KILL.
//! - [`pubsub`]: the channel/pattern registry behind SUBSCRIBE and PUBLISH.
//! - [`notify`]: keyspace notifications, published through [`pubsub`].
//! - [`slowlog`]: the SLOWLOG ring of slow commands.
//!
//! See `docs/architecture.md` for how they fit together.

/// jemalloc, as in redis-server: glibc's malloc cost Herald a tenth of its CPU time in
/// allocation-heavy work (scripts: the Lua heap is touched from both worker threads, and glibc
/// frees a chunk into the arena of the thread that allocated it, under that arena's lock), and
/// `used_memory` then counts the same kind of bytes as Redis's (see `commands/server.rs`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub mod aof;
pub mod blocking;
pub mod client;
pub mod commands;
pub mod config;
pub mod connection;
pub mod glob;
pub mod notify;
pub mod protocol;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod slowlog;
pub mod store;
pub mod util;

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

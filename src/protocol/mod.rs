//! The wire protocol: request decoding (RESP multibulk and inline commands, with Redis's limits)
//! and reply encoding (RESP2 and RESP3), both working directly on the connection's buffers.
//!
//! Requests are only ever arrays of bulk strings (or inline text), so Herald decodes them with a
//! small resumable state machine instead of a general RESP frame decoder: it must enforce
//! `proto-max-bulk-len` and the multibulk limits *before* reserving memory, and it must not rescan
//! a large argument that arrives in many reads. The `redis-protocol` crate is used where a general
//! RESP2/RESP3 frame decoder is what is needed: the test client and the load generator.

pub mod decode;
pub mod encode;

pub use decode::{ProtocolError, RequestDecoder};
pub use encode::Out;

//! criterion microbenchmarks of the request hot path: request decoding (single small commands,
//! a pipeline of 16, a 1 MB bulk arriving in 4 KB reads), reply encoding (RESP2 and RESP3),
//! command lookup, and glob matching (KEYS/SCAN MATCH, pub/sub patterns). Run with
//! `cargo bench --bench micro`.

use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use herald::protocol::decode::Limits;
use herald::protocol::{Out, RequestDecoder};

fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

fn decoding(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    let set = resp(&[b"SET", b"key:000000001234", b"value-of-sixteen"]);
    g.throughput(Throughput::Elements(1));
    g.bench_function("set_small", |b| {
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::with_capacity(4096);
        b.iter(|| {
            buf.extend_from_slice(&set);
            let args = dec.decode(&mut buf, Limits::default());
            black_box(args.ok().flatten().map(|a| a.len()))
        })
    });
    g.bench_function("inline_ping", |b| {
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::with_capacity(4096);
        b.iter(|| {
            buf.extend_from_slice(b"PING\r\n");
            black_box(
                dec.decode(&mut buf, Limits::default())
                    .ok()
                    .flatten()
                    .map(|a| a.len()),
            )
        })
    });

    let pipeline: Vec<u8> = (0..16)
        .flat_map(|i| resp(&[b"GET", format!("key:{i:012}").as_bytes()]))
        .collect();
    g.throughput(Throughput::Elements(16));
    g.bench_function("pipeline_16_get", |b| {
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::with_capacity(8192);
        b.iter(|| {
            buf.extend_from_slice(&pipeline);
            let mut n = 0;
            while let Ok(Some(args)) = dec.decode(&mut buf, Limits::default()) {
                n += args.len();
            }
            black_box(n)
        })
    });

    // A 1 MB SET value arriving in 4 KB reads: the decoder is called after every read, as the
    // connection loop does, and must not rescan what it has already seen.
    let big = resp(&[b"SET", b"big", &vec![b'x'; 1 << 20]]);
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("bulk_1mb_in_4kb_reads", |b| {
        b.iter_batched(
            || {
                (
                    RequestDecoder::new(),
                    BytesMut::with_capacity(big.len() + 4096),
                )
            },
            |(mut dec, mut buf)| {
                let mut done = None;
                for chunk in big.chunks(4096) {
                    buf.extend_from_slice(chunk);
                    if let Ok(Some(args)) = dec.decode(&mut buf, Limits::default()) {
                        done = Some(args.len());
                    }
                }
                assert_eq!(done, Some(3));
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn encoding(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    for resp3 in [false, true] {
        let tag = if resp3 { "resp3" } else { "resp2" };
        let mut buf = BytesMut::with_capacity(64 * 1024);
        g.bench_function(format!("{tag}/ok_int_bulk"), |b| {
            b.iter(|| {
                buf.clear();
                let mut out = Out::new(&mut buf, resp3);
                out.ok();
                out.int(black_box(1_234_567));
                out.bulk(black_box(b"value-of-sixteen"));
                out.null();
                black_box(buf.len())
            })
        });
        let items: Vec<Vec<u8>> = (0..100)
            .map(|i| format!("element:{i:08}").into_bytes())
            .collect();
        g.bench_function(format!("{tag}/array_100_bulks"), |b| {
            b.iter(|| {
                buf.clear();
                let mut out = Out::new(&mut buf, resp3);
                out.array(items.len());
                for it in &items {
                    out.bulk(it);
                }
                black_box(buf.len())
            })
        });
        g.bench_function(format!("{tag}/map_10_double"), |b| {
            b.iter(|| {
                buf.clear();
                let mut out = Out::new(&mut buf, resp3);
                out.map(10);
                for i in 0..10 {
                    out.bulk(b"field");
                    out.double(black_box(i as f64 * 1.5));
                }
                black_box(buf.len())
            })
        });
    }
    g.finish();
}

fn lookup(c: &mut Criterion) {
    let table = herald::commands::table();
    let mut g = c.benchmark_group("lookup");
    for name in [&b"get"[..], b"GET", b"SeLeCt", b"nosuchcommand"] {
        g.bench_function(String::from_utf8_lossy(name).into_owned(), |b| {
            b.iter(|| black_box(table.lookup(black_box(name)).map(|c| c.id)))
        });
    }
    g.finish();
}

fn glob(c: &mut Criterion) {
    let mut g = c.benchmark_group("glob");
    let key = b"user:12345:session:abcdef";
    let cases: [(&str, &[u8], &[u8]); 4] = [
        ("prefix_star", b"user:*", key),
        ("class_and_qmark", b"user:[0-9]????:session:*", key),
        ("nocase_channel", b"NEWS.*.SPORTS", b"news.europe.sports"),
        // The pathological shape stringmatchlen's skip rule keeps linear.
        (
            "many_stars_miss",
            b"*a*a*a*a*a*a*a*a*b",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ),
    ];
    for (name, pat, text) in cases {
        let nocase = name.starts_with("nocase");
        g.bench_function(name, |b| {
            b.iter(|| {
                black_box(herald::glob::matches(
                    black_box(pat),
                    black_box(text),
                    nocase,
                ))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, decoding, encoding, lookup, glob);
criterion_main!(benches);

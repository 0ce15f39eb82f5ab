//! What the segment-boundary routes cost Kong 3.9's router per uncached request: its ATC matcher tests
//! a prefix path with a byte prefix comparison and a regex path with the Rust `regex` crate (Debian's
//! librust-regex-dev here; Kong's atc-router links the same crate, a newer 1.x).
use regex::Regex;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let paths = ["/api/v1/asr", "/api/v1/asr/", "/api/v1/asr/infer", "/api/v1/asrX", "/api/v1/nmt/translate", "/api/pipeline/run"];
    let n = 5_000_000u32;
    let exact = Regex::new(r"^/api/v1/asr$").unwrap();
    let v2 = Regex::new(r"^/api/v2/asr(?P<rest>/.*)?$").unwrap();
    // prefix: what Kong's `http.path ^= "/api/v1/asr"` does (a byte-string prefix test)
    let t = Instant::now(); let mut hits = 0u32;
    for i in 0..n { let p = paths[(i as usize) % paths.len()]; if black_box(p).starts_with("/api/v1/asr/") { hits += 1; } }
    let prefix_ns = t.elapsed().as_nanos() as f64 / n as f64;
    let t = Instant::now();
    for i in 0..n { let p = paths[(i as usize) % paths.len()]; if exact.is_match(black_box(p)) { hits += 1; } }
    let exact_ns = t.elapsed().as_nanos() as f64 / n as f64;
    let t = Instant::now();
    for i in 0..n { let p = paths[(i as usize) % paths.len()]; if let Some(c) = v2.captures(black_box(p)) { hits += c.len() as u32; } }
    let v2_ns = t.elapsed().as_nanos() as f64 / n as f64;
    println!("route.prefix_match: {:.1} ns per path", prefix_ns);
    println!("route.exact_regex_is_match: {:.1} ns per path (^/api/v1/asr$)", exact_ns);
    println!("route.v2_regex_captures: {:.1} ns per path (^/api/v2/asr(?P<rest>/.*)?$)", v2_ns);
    if hits == 0 { eprintln!("no path matched"); }
}

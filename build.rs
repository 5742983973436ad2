//! Compiles the small C shim for `long double` arithmetic (INCRBYFLOAT), which Rust cannot express.

fn main() {
    println!("cargo:rerun-if-changed=src/c/ldouble.c");
    cc::Build::new()
        .file("src/c/ldouble.c")
        .warnings(true)
        .compile("herald_ldouble");
}

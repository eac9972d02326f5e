//! Builds the preload library `pinbench exec` places a program's processes with (see
//! src/exec/preload.rs): a shared object compiled from C with the C compiler the `cc` crate
//! finds, embedded in the pinbench binary, which writes it out when it runs a program.

fn main() {
    let src = "src/exec/preload/pinbench_preload.c";
    println!("cargo:rerun-if-changed={src}");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let lib = out.join("libpinbench_preload.so");
    let compiler = cc::Build::new().opt_level(2).get_compiler();
    let status = compiler
        .to_command()
        // Hidden symbols (only _exit and _Exit are the library's interface) and code on the
        // pages of the headers: fewer pages a process maps and faults in at every exec
        // (docs/exec.md, "What tracing costs": 86 -> 81 faults and ~6 % less CPU per fork and
        // exec of /bin/true).
        .args([
            "-shared",
            "-fPIC",
            "-O2",
            "-Wall",
            "-Wextra",
            "-fvisibility=hidden",
        ])
        .arg("-Wl,-z,noseparate-code")
        // No read-only-after-relocation page: its relocations and the library's data then
        // share one writable page, so every process that loads it takes one copy-on-write
        // fault there, not two, and maps one area fewer (76.7 -> 74.7 faults per fork and exec
        // of /bin/true). What that page would have protected is this library's own table of
        // libc addresses, a dozen entries; the program's own stay protected.
        .arg("-Wl,-z,norelro")
        .arg("-o")
        .arg(&lib)
        .arg(src)
        .status()
        .expect("the C compiler runs (install a C toolchain: build-essential on Debian)");
    assert!(status.success(), "compiling {src} failed");
}

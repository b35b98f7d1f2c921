//! Link flags for the shipped library (the cdylib only; the rlib and staticlib are not linked here).
//!
//! * Android: ELF segments aligned to 16 KB, so the library loads on devices with 16 KB pages
//!   (required for apps on Android 15+). NDK r28 does this by default, r27 and older do not. The
//!   aarch64 Linux build gets the same alignment: it is what `scripts/build-lib.sh` checks with
//!   readelf here, where there is no NDK (GNU ld's default there is 64 KB, which wastes file
//!   padding).
//! * glibc Linux: relative relocations packed (DT_RELR, glibc 2.36+): ~0.15 MB of relocations become
//!   a few KB. Android's NDK clang packs them itself from the API level in its target name
//!   (`--pack-dyn-relocs=android` from 23, RELR from 28), and Apple's linker has its own format.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "android" || (os == "linux" && arch == "aarch64") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,max-page-size=16384");
    }
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs");
        // Debian 12's GNU ld (2.40) ignores that flag on aarch64: link with the toolchain's own
        // lld there (as the NDK does for Android), so the aarch64 build measured in CI packs its
        // relocations like the Android one.
        if arch == "aarch64" {
            if let Some(dir) = rust_lld_dir() {
                println!("cargo:rustc-cdylib-link-arg=-B{dir}");
                println!("cargo:rustc-cdylib-link-arg=-fuse-ld=lld");
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The directory of rustup's `ld.lld` wrapper around `rust-lld` (what `-C link-self-contained`
/// uses on x86_64 Linux), if this toolchain has it.
fn rust_lld_dir() -> Option<String> {
    let rustc = std::env::var("RUSTC").ok()?;
    let out = std::process::Command::new(rustc).args(["--print", "sysroot"]).output().ok()?;
    let sysroot = String::from_utf8(out.stdout).ok()?;
    let host = std::env::var("HOST").ok()?;
    let dir = std::path::Path::new(sysroot.trim()).join("lib/rustlib").join(host).join("bin/gcc-ld");
    dir.join("ld.lld").exists().then(|| dir.display().to_string())
}

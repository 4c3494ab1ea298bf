//! Writes `testdata/rust_infos.bin`, `testdata/rust_policy.bin` and `testdata/rust_policy_lists.bin`,
//! the Rust half of the cross-language golden files.
//! Run through `npm run protocol:regen`, which also writes the TypeScript half.

#[path = "../tests/support/fixtures.rs"]
mod fixtures;

fn main() -> std::io::Result<()> {
    let path = fixtures::testdata_dir().join("rust_infos.bin");
    std::fs::write(&path, fixtures::rust_infos_bytes())?;
    println!("wrote {}", path.display());
    let path = fixtures::testdata_dir().join("rust_policy.bin");
    std::fs::write(&path, fixtures::rust_policy().encode())?;
    println!("wrote {}", path.display());
    let path = fixtures::testdata_dir().join("rust_policy_lists.bin");
    std::fs::write(&path, fixtures::rust_policy_lists().encode())?;
    println!("wrote {}", path.display());
    Ok(())
}

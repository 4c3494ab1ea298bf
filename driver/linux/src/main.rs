//! The `zenithfenced` executable; see the library for everything it does.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(zenithfenced::main_with_args(&args));
}

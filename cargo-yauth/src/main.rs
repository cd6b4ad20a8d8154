//! `cargo yauth`: see the library crate for the commands.

fn main() {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = cargo_yauth::run(std::env::args_os(), &mut stdout.lock(), &mut stderr.lock());
    std::process::exit(code);
}

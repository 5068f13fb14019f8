//! The `prep` binary: parse the command line and hand over to `prep::cli`.

fn main() -> std::process::ExitCode {
    prep::cli::main()
}

fn main() {
    std::process::exit(pinbench::cli::main());
}

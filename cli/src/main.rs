use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = herald_cli::Cli::parse();
    match herald_cli::run(cli).await {
        Ok(output) => {
            print!("{}", output.text);
            if output.failed {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("herald: {}", herald_cli::printable(&format!("{e:#}")));
            std::process::exit(1);
        }
    }
}

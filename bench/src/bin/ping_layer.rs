//! One step of the bisection between `ping_hyper` and `ping_ours` (see [`jsonrpc_bench::layers`]
//! for what each layer adds): `ping_layer 127.0.0.1:5004 --layer dispatch`. Prints
//! `ping_layer-NAME listening on ADDR` on stderr; stops on Ctrl-C (SIGINT). `ping_layer --list`
//! prints each layer's name and what it adds, a line each, tab-separated.

use jsonrpc_bench::layers::{self, Layer};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == ["--list"] {
        for layer in Layer::ALL {
            println!("{}\t{}", layer.name(), layer.adds());
        }
        return Ok(());
    }
    let (layer, addr) = match &args[..] {
        [addr, flag, name] | [flag, name, addr] if flag == "--layer" => (name, addr.as_str()),
        [flag, name] if flag == "--layer" => (name, "127.0.0.1:5000"),
        _ => usage(),
    };
    let Some(layer) = Layer::from_name(layer) else {
        usage()
    };
    layers::main(layer, &format!("ping_layer-{}", layer.name()), addr)
}

fn usage() -> ! {
    let names: Vec<&str> = Layer::ALL.iter().map(|layer| layer.name()).collect();
    eprintln!(
        "usage: ping_layer [ADDR] --layer {}, or ping_layer --list",
        names.join("|")
    );
    std::process::exit(2);
}

// A param that is only `Deserialize` is fine for the server; only calling the method from a
// typed client is refused, at the argument.
use jsonrpc_runtime::client::Client;
use jsonrpc_runtime::method;
use serde::Deserialize;

#[derive(Deserialize)]
struct Point {
    x: f64,
    y: f64,
}

#[method]
fn norm(point: Point) -> f64 {
    point.x.hypot(point.y)
}

async fn run(client: Client) {
    let _ = norm::call(&client, Point { x: 3.0, y: 4.0 }).await;
}

fn main() {
    let _ = run;
}

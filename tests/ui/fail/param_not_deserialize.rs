use jsonrpc_runtime::method;

struct Point {
    x: f64,
    y: f64,
}

#[method]
fn norm(point: Point) -> f64 {
    point.x.hypot(point.y)
}

fn main() {}

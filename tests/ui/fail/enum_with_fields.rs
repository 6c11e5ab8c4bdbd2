#[derive(strata::Enum, Clone, Copy)]
pub enum Shape {
    Circle(f64),
    Square { side: f64 },
    Point,
}

fn main() {}

//! The example SCIM server (under construction).

fn main() {
    println!("scim-example-server: not built yet");
}

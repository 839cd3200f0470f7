fn main() {
    let path = std::env::args().nth(1).expect("manifest");
    let file = std::env::args().nth(2).expect("file");
    let ws = lockfix_semantic::Workspace::load(std::path::Path::new(&path), &Default::default())
        .expect("load");
    eprintln!("{:?}", ws.stats);
    let facts = ws.facts(std::path::Path::new(&file)).expect("facts");
    println!("{facts:#?}");
}

//! Values computed under a std guard and used after an `.await`: whether they may leave the lock
//! scope is decided by their types, which only the dependency's declarations give.

use std::sync::Mutex;

pub struct Sink;

impl Sink {
    pub async fn write(&self, _bytes: Vec<u8>) {}
    pub async fn note(&self, _reading: Option<&u32>) {}
}

pub struct Store {
    readings: Mutex<Vec<u32>>,
}

impl Store {
    pub async fn flush(&self, sink: &Sink) {
        let readings = self.readings.lock().unwrap(); //~ syntax: guard-across-await //~ semantic: guard-across-await
        let bytes = codec::encode(&readings);
        sink.write(bytes).await;
    }

    pub async fn report(&self, sink: &Sink) {
        let readings = self.readings.lock().unwrap(); //~ syntax: guard-across-await //~ semantic: guard-across-await
        let newest = codec::newest(&readings);
        sink.note(newest).await;
    }
}

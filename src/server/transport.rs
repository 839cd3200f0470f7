//! The stdio transport: `Content-Length` framing in, lsp-server's [`Message`]s out, and back.
//!
//! lsp-server's own `Connection::stdio()` ends the connection at the first malformed message (its
//! reader thread returns the error and the channel closes), and allocates whatever
//! `Content-Length` a client claims. A language server must survive a confused client, so this
//! reader frames the stream itself and answers what it cannot parse, as JSON-RPC asks: a body
//! that is not JSON gets a parse error (-32700) with a null id, a JSON value that is no message
//! an invalid request (-32600) with its id when it has one. Then it reads on. Everything else is
//! lsp-server's: the message types, their (de)serialisation, the handshake and the main loop's
//! [`Connection`].

use std::io::{self, BufRead, Read, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use crossbeam_channel::{Sender, bounded};
use lsp_server::{Connection, ErrorCode, Message, Response};

/// Bodies larger than this are refused and skipped: a 100,000-line source file is about 4 MB of
/// JSON, so this leaves room without letting a bogus header allocate gigabytes.
pub const MAX_BODY: usize = 256 * 1024 * 1024;
/// A header line longer than this is not a header.
const MAX_HEADER_LINE: u64 = 8 * 1024;

/// The transport's threads, to wait for when the server is done.
pub struct Threads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<()>,
}

impl Threads {
    /// Waits for the writer to flush every message. The reader is detached: it may be blocked on
    /// a standard input the client never closes, and the process is about to exit anyway.
    pub fn join(self) {
        drop(self.reader);
        let _ = self.writer.join();
    }
}

/// A connection over this process's standard input and output.
pub fn stdio() -> io::Result<(Connection, Threads)> {
    let out: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(Box::new(io::stdout())));
    let (to_client, outgoing) = bounded::<Message>(0);
    let writer_out = out.clone();
    let writer = thread::Builder::new()
        .name("lockfix-lsp-writer".to_owned())
        .spawn(move || {
            for message in outgoing {
                let mut body = Vec::new();
                if message.write(&mut body).is_err() || write_raw(&writer_out, &body).is_err() {
                    // The client is gone: nobody is left to tell.
                    break;
                }
            }
        })?;
    // Unbounded, so the main loop can tell whether messages are waiting (and publish diagnostics
    // only once a burst of changes has been read).
    let (incoming, from_client) = crossbeam_channel::unbounded::<Message>();
    let replies = to_client.clone();
    let reader = thread::Builder::new()
        .name("lockfix-lsp-reader".to_owned())
        .spawn(move || {
            let stdin = io::stdin();
            read_loop(&mut stdin.lock(), &incoming, &replies, &out);
        })?;
    Ok((
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        Threads { reader, writer },
    ))
}

/// Reads messages until end of input, an `exit` notification or a closed channel.
pub fn read_loop(
    input: &mut dyn BufRead,
    incoming: &Sender<Message>,
    replies: &Sender<Message>,
    out: &Mutex<Box<dyn Write + Send>>,
) {
    loop {
        let body = match read_frame(input) {
            Ok(Frame::End) => return,
            Ok(Frame::Body(body)) => body,
            Ok(Frame::Malformed(problem)) => {
                let _ = write_raw(out, &null_id_error(ErrorCode::ParseError, &problem));
                continue;
            }
            Err(error) => {
                eprintln!("lockfix server: cannot read standard input: {error}");
                return;
            }
        };
        match serde_json::from_slice::<Message>(&body) {
            Ok(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if incoming.send(message).is_err() || exit {
                    return;
                }
            }
            Err(error) => match invalid_message(&body, &error) {
                Reply::WithId(response) => {
                    if replies.send(response.into()).is_err() {
                        return;
                    }
                }
                Reply::NullId(bytes) => {
                    let _ = write_raw(out, &bytes);
                }
            },
        }
    }
}

enum Frame {
    Body(Vec<u8>),
    /// Headers or a body that cannot be used; the stream has been read past them.
    Malformed(String),
    End,
}

/// One `Content-Length`-framed body. Header lines end in `\r\n` (a bare `\n` is accepted);
/// headers other than `Content-Length` are ignored, as the protocol allows.
fn read_frame(input: &mut dyn BufRead) -> io::Result<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut first = true;
    loop {
        let mut line = Vec::new();
        let read = (&mut *input)
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(if first {
                Frame::End
            } else {
                Frame::Malformed("the input ended inside a message's headers".to_owned())
            });
        }
        first = false;
        if !line.ends_with(b"\n") {
            return Ok(Frame::Malformed(format!(
                "a header line longer than {MAX_HEADER_LINE} bytes"
            )));
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Ok(Frame::Malformed(format!(
                "malformed header `{}`: expected `Name: value`",
                line.chars().take(80).collect::<String>()
            )));
        };
        if name.trim().eq_ignore_ascii_case("Content-Length") {
            length = Some(
                value
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| format!("Content-Length `{}` is not a number", value.trim())),
            );
        }
    }
    let length = match length {
        None => {
            return Ok(Frame::Malformed(
                "a message without Content-Length".to_owned(),
            ));
        }
        Some(Err(problem)) => return Ok(Frame::Malformed(problem)),
        Some(Ok(length)) => length,
    };
    if length > MAX_BODY {
        // Skip the body so the next message is read from its start.
        io::copy(&mut (&mut *input).take(length as u64), &mut io::sink())?;
        return Ok(Frame::Malformed(format!(
            "a message of {length} bytes; the limit is {MAX_BODY}"
        )));
    }
    let mut body = Vec::with_capacity(length);
    (&mut *input).take(length as u64).read_to_end(&mut body)?;
    if body.len() < length {
        return Ok(Frame::Malformed(format!(
            "the input ended {} bytes into a message of {length}",
            body.len()
        )));
    }
    Ok(Frame::Body(body))
}

enum Reply {
    WithId(Response),
    /// A whole JSON-RPC response with `"id": null`, which lsp-server's `Response` cannot hold.
    NullId(Vec<u8>),
}

/// The error reply to a body that did not deserialise as a message.
fn invalid_message(body: &[u8], error: &serde_json::Error) -> Reply {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Reply::NullId(null_id_error(
            ErrorCode::ParseError,
            &format!("the message is not valid JSON: {error}"),
        ));
    };
    let problem = "the message is not a JSON-RPC request, response or notification \
                   (a request needs `id` and a string `method`, a notification a string `method`)";
    let id = value.get("id").and_then(|id| match id {
        serde_json::Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(lsp_server::RequestId::from),
        serde_json::Value::String(s) => Some(lsp_server::RequestId::from(s.clone())),
        _ => None,
    });
    match id {
        Some(id) => Reply::WithId(Response::new_err(
            id,
            ErrorCode::InvalidRequest as i32,
            problem.to_owned(),
        )),
        None => Reply::NullId(null_id_error(ErrorCode::InvalidRequest, problem)),
    }
}

fn null_id_error(code: ErrorCode, message: &str) -> Vec<u8> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code as i32, "message": message },
    });
    let body = body.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// Writes one whole frame; the lock keeps frames from the two threads from interleaving.
fn write_raw(out: &Mutex<Box<dyn Write + Send>>, frame: &[u8]) -> io::Result<()> {
    let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
    out.write_all(frame)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// Runs the reader over `input`; returns what reached the main loop and the raw replies.
    fn read_all(input: &str) -> (Vec<Message>, Vec<Message>, String) {
        let (incoming, from_client) = crossbeam_channel::unbounded();
        let (replies, replied) = crossbeam_channel::unbounded();
        let sink = Arc::new(Mutex::new(Vec::<u8>::new()));
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().write(buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let out: Mutex<Box<dyn Write + Send>> = Mutex::new(Box::new(Shared(sink.clone())));
        read_loop(&mut input.as_bytes(), &incoming, &replies, &out);
        drop((incoming, replies));
        let raw = String::from_utf8(sink.lock().unwrap().clone()).unwrap();
        (from_client.iter().collect(), replied.iter().collect(), raw)
    }

    #[test]
    fn garbage_is_answered_and_the_next_message_still_arrives() {
        let ok = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = [
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":3}"#),
            "X-Nonsense\r\n\r\n".to_owned(),
            "Content-Length: banana\r\n\r\n".to_owned(),
            format!("Content-Length: {}\r\n\r\n", MAX_BODY + 1),
        ]
        .concat();
        // The oversized message's body is skipped: give it none and let the next frame follow.
        let (messages, replies, raw) = read_all(&(input + &frame(ok)));
        // The oversized claim swallowed the last frame (it is read as that body): nothing arrives,
        // and the reader ends at the end of input without panicking.
        assert!(messages.is_empty(), "{messages:?}");
        assert_eq!(replies.len(), 1);
        let Message::Response(response) = &replies[0] else {
            panic!("{replies:?}")
        };
        assert_eq!(response.id, 7.into());
        assert_eq!(
            response.response_result.as_ref().unwrap_err().code,
            ErrorCode::InvalidRequest as i32
        );
        assert!(
            raw.contains("-32700") && raw.contains("not valid JSON"),
            "{raw}"
        );
        assert!(raw.contains("malformed header"), "{raw}");
        assert!(raw.contains("is not a number"), "{raw}");
        assert!(raw.contains("the limit is"), "{raw}");

        let (messages, _, _) = read_all(&(frame("[]") + &frame(ok)));
        assert_eq!(messages.len(), 1);
    }

    #[test]
    fn exit_ends_the_reader() {
        let exit = frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
        let after = frame(r#"{"jsonrpc":"2.0","method":"initialized"}"#);
        let (messages, _, _) = read_all(&(exit + &after));
        assert_eq!(messages.len(), 1);
    }
}

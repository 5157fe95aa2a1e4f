//! The client's HTTP/1.1: a keep-alive TCP connection that writes a request already
//! rendered to bytes and reads the answer's status line, `Content-Length` and body,
//! and nothing else.
//!
//! Why not a general HTTP client: on a 2-core machine the client shares the cores with
//! the server it measures, so every microsecond it spends is one the server does not
//! get, and a heavy client flattens every ratio (the faster the server, the larger the
//! client's share). A hyper client with a JSON parse of each answer cost about as much
//! as the plain server it loaded. This one does what wrk does per request: one write,
//! one or two reads, a scan for the end of the head. It speaks only to the servers of
//! this benchmark, whose answers always carry `Content-Length` (axum's fixed bodies).

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An answer: its status and body.
#[derive(Debug)]
pub struct Answer<'a> {
    /// HTTP status.
    pub status: u16,
    /// The body, exactly `Content-Length` bytes.
    pub body: &'a [u8],
}

/// One keep-alive connection, opened on first use and again after a failure.
#[derive(Debug)]
pub struct RawConn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    request: Vec<u8>,
    buf: Vec<u8>,
}

impl RawConn {
    /// A connection to `addr` (not opened yet).
    pub fn new(addr: SocketAddr) -> RawConn {
        RawConn { addr, stream: None, request: Vec::with_capacity(2048), buf: Vec::with_capacity(4096) }
    }

    /// `method path` with `head` (header lines, each ending in CRLF, without
    /// `Host`, `Content-Length` or the blank line) and `body`.
    pub async fn send(&mut self, method: &str, path: &str, head: &[u8], body: &[u8]) -> Result<Answer<'_>, String> {
        match self.exchange(method, path, head, body).await {
            Ok((status, start, len)) => Ok(Answer { status, body: &self.buf[start..start + len] }),
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        head: &[u8],
        body: &[u8],
    ) -> Result<(u16, usize, usize), String> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).await.map_err(|e| format!("connect {}: {e}", self.addr))?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            self.stream = Some(stream);
        }
        let stream = self.stream.as_mut().ok_or("no connection")?;
        self.request.clear();
        render(&mut self.request, method, path, head, body);
        stream.write_all(&self.request).await.map_err(|e| format!("write: {e}"))?;

        self.buf.clear();
        let (status, body_start, len) = loop {
            if let Some(parsed) = parse_head(&self.buf)? {
                break parsed;
            }
            read_more(stream, &mut self.buf).await?;
        };
        while self.buf.len() < body_start + len {
            read_more(stream, &mut self.buf).await?;
        }
        if self.buf.len() > body_start + len {
            return Err("more bytes than the answer's Content-Length".into());
        }
        Ok((status, body_start, len))
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), String> {
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(4096);
    }
    let n = stream.read_buf(buf).await.map_err(|e| format!("read: {e}"))?;
    if n == 0 { Err("the server closed the connection".into()) } else { Ok(()) }
}

/// Appends a request to `out`.
pub fn render(out: &mut Vec<u8>, method: &str, path: &str, head: &[u8], body: &[u8]) {
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    out.extend_from_slice(head);
    out.extend_from_slice(b"Content-Length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
}

/// The status, the body's offset and its length, once `buf` holds the whole head;
/// `Ok(None)` while it does not yet.
pub fn parse_head(buf: &[u8]) -> Result<Option<(u16, usize, usize)>, String> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        if buf.len() > 16 * 1024 {
            return Err("an answer head over 16 KiB".into());
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| "an answer head that is not UTF-8".to_owned())?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP/1.1 status line: {status_line:?}"))?;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.trim().parse::<usize>().map_err(|_| format!("Content-Length {value:?}"))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err("a chunked answer (this client reads Content-Length only)".into());
        }
    }
    let length = length.ok_or("an answer without Content-Length")?;
    Ok(Some((status, end + 4, length)))
}

/// Whether a JSON answer body says `errorCode` 0: the fast check of the prefix every
/// answer of these servers starts with, else a full parse.
pub fn error_code_is_zero(body: &[u8]) -> bool {
    if body.starts_with(b"{\"errorCode\":0,") || body == b"{\"errorCode\":0}" {
        return true;
    }
    serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|v| v["errorCode"].as_u64()) == Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_rendered_with_its_length() {
        let mut out = Vec::new();
        render(&mut out, "POST", "/p", b"X-A: 1\r\n", b"{}");
        assert_eq!(out, b"POST /p HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n{}");
    }

    #[test]
    fn heads_are_parsed_once_complete() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(parse_head(&answer[..20]).expect("ok so far"), None);
        assert_eq!(parse_head(answer).expect("parsed"), Some((200, answer.len() - 5, 5)));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nx: y\r\n\r\n").is_err(), "no length");
        assert!(parse_head(b"SMTP 200\r\n\r\n").is_err());
        let empty = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(parse_head(empty).expect("ok"), Some((400, empty.len(), 0)));
    }

    #[test]
    fn error_code_zero_is_recognised_either_way() {
        assert!(error_code_is_zero(br#"{"errorCode":0,"message":"ok"}"#));
        assert!(error_code_is_zero(br#"{"message":"ok","errorCode":0}"#));
        assert!(!error_code_is_zero(br#"{"errorCode":30,"message":"x"}"#));
        assert!(!error_code_is_zero(br#"{"errorCode":0"#));
        assert!(!error_code_is_zero(b"not json"));
    }
}

//! Turning transport encodings back into bytes: base64, and gzip (or, for
//! payloads, zlib) recognised by their magic bytes rather than trusted from a
//! file name or a header; and ([`records`]) streamed objects back into their
//! records, inflated a few blocks ahead on a thread of their own ([`read_ahead`]).

pub mod read_ahead;
pub mod records;

use std::io::Read;

use base64::Engine as _;
use flate2::read::MultiGzDecoder;

/// The first two bytes of every gzip member (RFC 1952).
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("invalid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("corrupt or truncated gzip: {0}")]
    Gzip(#[source] std::io::Error),
    #[error("corrupt or truncated zlib: {0}")]
    Zlib(#[source] std::io::Error),
    #[error("decompressed data exceeds {limit} bytes")]
    TooLarge { limit: usize },
}

/// Upper bound on what one in-memory payload may inflate to. CloudWatch Logs
/// and Kinesis payloads are at most a few MiB compressed; a gzip bomb must not
/// take the whole function down with it.
pub const MAX_INFLATED: usize = 256 * 1024 * 1024;

pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// Decodes standard base64, tolerating the line breaks some tools insert.
pub fn base64(text: &str) -> Result<Vec<u8>, DecodeError> {
    let engine = &base64::engine::general_purpose::STANDARD;
    let bytes = text.as_bytes();
    if bytes.iter().any(u8::is_ascii_whitespace) {
        let compact: Vec<u8> = bytes
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        return Ok(engine.decode(compact)?);
    }
    Ok(engine.decode(bytes)?)
}

/// A zlib stream header (RFC 1950): deflate (CM 8) with a window of at most
/// 32 KiB, no preset dictionary, and the check bits right. Text and JSON
/// never start like this in a payload (`{`, `[` and whitespace fail CM).
pub fn is_zlib(bytes: &[u8]) -> bool {
    match bytes {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8
                && cmf >> 4 <= 7
                && flg & 0x20 == 0
                && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

/// Inflates a zlib stream, refusing to inflate past `limit`.
pub fn unzlib(bytes: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(8).min(limit));
    let mut decoder = flate2::read::ZlibDecoder::new(bytes).take((limit as u64).saturating_add(1));
    decoder.read_to_end(&mut out).map_err(DecodeError::Zlib)?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(out)
}

/// Undoes gzip or zlib, whichever the magic bytes say; other bytes are
/// returned unchanged. For payloads (CloudWatch Logs data, Kinesis and
/// Firehose records), which producers compress either way.
pub fn maybe_inflate(bytes: Vec<u8>) -> Result<Vec<u8>, DecodeError> {
    Ok(inflated(&bytes)?.unwrap_or(bytes))
}

/// Inflates `bytes` if they are gzip or zlib (`None` if they are neither),
/// leaving them to the caller: what fails to inflate can still be kept.
pub fn inflated(bytes: &[u8]) -> Result<Option<Vec<u8>>, DecodeError> {
    if is_zlib(bytes) {
        return unzlib(bytes, MAX_INFLATED).map(Some);
    }
    if is_gzip(bytes) {
        return gunzip(bytes, MAX_INFLATED).map(Some);
    }
    Ok(None)
}

/// Gunzips `bytes` (all members) if they start with the gzip magic, otherwise
/// returns them unchanged.
pub fn maybe_gunzip(bytes: Vec<u8>) -> Result<Vec<u8>, DecodeError> {
    if !is_gzip(&bytes) {
        return Ok(bytes);
    }
    gunzip(&bytes, MAX_INFLATED)
}

/// Room allocated past the inflated bytes: a parser that reads past the end
/// of its input (simd-json, up to 64 bytes) pads it there, where growing a
/// full buffer would copy the whole payload to a new one.
pub const SPARE: usize = 64;

/// Gunzips every member of `bytes`, refusing to inflate past `limit`.
pub fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(inflated_size_hint(bytes).min(limit) + SPARE);
    // One byte past the limit tells "too large" from "exactly the limit".
    let mut decoder = MultiGzDecoder::new(bytes).take((limit as u64).saturating_add(1));
    decoder.read_to_end(&mut out).map_err(DecodeError::Gzip)?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(out)
}

/// How large `bytes` will probably be once gunzipped, so that the output is
/// allocated once instead of grown (and copied) a dozen times. The gzip
/// trailer's ISIZE gives the exact size of a single-member file; it is only
/// a hint (a multi-member file states its last member, a corrupt one
/// anything), so it is capped at what deflate can expand to at most.
fn inflated_size_hint(bytes: &[u8]) -> usize {
    /// Deflate's largest expansion: one 258-byte match per 2 bits, about 1032:1.
    const MAX_RATIO: usize = 1032;
    /// The smallest gzip member: a 10-byte header and an 8-byte trailer.
    const MIN_MEMBER: usize = 18;
    let stated = match bytes.last_chunk::<4>() {
        Some(&isize) if bytes.len() >= MIN_MEMBER => u32::from_le_bytes(isize) as usize,
        // Compression ratios of 5-15x are typical for logs.
        _ => bytes.len().saturating_mul(8),
    };
    stated.min(bytes.len().saturating_mul(MAX_RATIO))
}

/// A reader over `input`, decompressed as it is read if it starts with the
/// gzip magic (every member of a multi-member file).
pub fn maybe_gunzip_reader(
    input: impl Read + Send + 'static,
) -> std::io::Result<Box<dyn std::io::BufRead + Send>> {
    Ok(match Sniffed::from(input)? {
        Sniffed::Gzip(gzip) => Box::new(std::io::BufReader::with_capacity(64 * 1024, gzip)),
        Sniffed::Plain(plain) => Box::new(plain),
    })
}

/// A log object's bytes, as [`maybe_gunzip_reader`] reads them, except that
/// gzip is inflated on a thread of its own, a few blocks ahead of the
/// records being parsed ([`read_ahead`]).
pub fn object_reader(
    input: impl Read + Send + 'static,
) -> std::io::Result<Box<dyn std::io::BufRead + Send>> {
    Ok(match Sniffed::from(input)? {
        Sniffed::Gzip(gzip) => Box::new(read_ahead::ReadAhead::spawn(gzip)?),
        Sniffed::Plain(plain) => Box::new(plain),
    })
}

/// A stream told apart by its first bytes.
// Lives for one call, on the stack: boxing the decoder would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Sniffed<R> {
    Gzip(flate2::bufread::MultiGzDecoder<std::io::BufReader<R>>),
    Plain(std::io::BufReader<R>),
}

impl<R: Read> Sniffed<R> {
    fn from(input: R) -> std::io::Result<Self> {
        let mut input = std::io::BufReader::with_capacity(64 * 1024, input);
        let head = std::io::BufRead::fill_buf(&mut input)?;
        Ok(if head.len() >= 2 && is_gzip(head) {
            Sniffed::Gzip(flate2::bufread::MultiGzDecoder::new(input))
        } else {
            Sniffed::Plain(input)
        })
    }
}

/// base64, then gzip or zlib if the magic says so: how CloudWatch Logs and
/// Kinesis carry their payloads.
pub fn base64_gzip(text: &str) -> Result<Vec<u8>, DecodeError> {
    maybe_inflate(base64(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(data).expect("in-memory write");
        enc.finish().expect("in-memory finish")
    }

    #[test]
    fn plain_bytes_pass_through() {
        assert_eq!(maybe_gunzip(b"{}".to_vec()).expect("plain"), b"{}");
    }

    #[test]
    fn concatenated_members_are_all_read() {
        let mut both = gzip(b"first\n");
        both.extend(gzip(b"second\n"));
        assert_eq!(maybe_gunzip(both).expect("two members"), b"first\nsecond\n");
    }

    #[test]
    fn the_output_is_sized_from_the_trailer_but_not_trusted() {
        let data = vec![b'x'; 100_000];
        let packed = gzip(&data);
        assert_eq!(inflated_size_hint(&packed), 100_000);
        let out = gunzip(&packed, usize::MAX).expect("gunzip");
        assert_eq!(out, data);
        assert_eq!(
            out.capacity(),
            100_000 + SPARE,
            "allocated once, never grown"
        );
        // A trailer claiming 4 GiB for a few bytes is capped at deflate's ratio.
        let mut lying = packed.clone();
        let n = lying.len();
        lying[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(inflated_size_hint(&lying), n * 1032);
        assert!(gunzip(&lying, usize::MAX).is_err(), "length check fails");
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let full = gzip(&[b'x'; 10_000]);
        let err = maybe_gunzip(full[..full.len() / 2].to_vec()).expect_err("truncated");
        assert!(matches!(err, DecodeError::Gzip(_)), "{err}");
    }

    #[test]
    fn corrupt_base64_is_an_error() {
        assert!(matches!(base64("H4sI!!!"), Err(DecodeError::Base64(_))));
    }

    #[test]
    fn an_unlimited_limit_does_not_overflow() {
        assert_eq!(gunzip(&gzip(b"abc"), usize::MAX).expect("inflates"), b"abc");
    }

    #[test]
    fn zlib_payloads_are_recognised_inflated_and_bounded() {
        use flate2::write::ZlibEncoder;
        for level in [0, 1, 6, 9] {
            let mut enc = ZlibEncoder::new(Vec::new(), Compression::new(level));
            enc.write_all(br#"{"messageType":"DATA_MESSAGE"}"#)
                .expect("write");
            let packed = enc.finish().expect("finish");
            assert!(is_zlib(&packed), "level {level}: {:02x?}", &packed[..2]);
            assert_eq!(
                maybe_inflate(packed.clone()).expect("inflates"),
                br#"{"messageType":"DATA_MESSAGE"}"#
            );
            let err = maybe_inflate(packed[..packed.len() - 3].to_vec()).expect_err("truncated");
            assert!(matches!(err, DecodeError::Zlib(_)), "{err}");
        }
        for plain in [&b"{}"[..], b"[1]", b" {", b"x", b"", b"\x1f\x8b"] {
            assert!(!is_zlib(plain), "{plain:?}");
        }
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(&vec![0u8; 1 << 20]).expect("write");
        let bomb = enc.finish().expect("finish");
        assert!(matches!(
            unzlib(&bomb, 1000),
            Err(DecodeError::TooLarge { limit: 1000 })
        ));
        // gzip still goes through gunzip.
        assert_eq!(maybe_inflate(gzip(b"abc")).expect("gzip"), b"abc");
    }

    #[test]
    fn inflation_is_bounded() {
        let bomb = gzip(&vec![0u8; 1 << 20]);
        assert!(matches!(
            gunzip(&bomb, 1000),
            Err(DecodeError::TooLarge { limit: 1000 })
        ));
    }
}

//! VietQR (NAPAS 247) payloads: EMVCo merchant-presented QR (spec §10).
//!
//! A payload is a flat list of TLV fields (2-digit id, 2-digit length, value), some
//! of whose values are themselves TLV lists, ending with `63` + a CRC-16/CCITT-FALSE
//! over everything before the CRC value (including the literal `6304`). The parser
//! works on characters, checks every length against what is left, and returns an
//! error instead of panicking on any input.

use std::fmt;

/// NAPAS' application identifier in field 38.
pub const NAPAS_GUID: &str = "A000000727";
/// ISO 4217 numeric code of VND.
pub const CURRENCY_VND: &str = "704";
/// Longest memo (EMVCo "purpose of transaction").
pub const MAX_MEMO_LEN: usize = 25;

/// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no xor-out.
///
/// ```
/// assert_eq!(appotapay_protocol::vietqr::crc16_ccitt_false(b"123456789"), 0x29B1);
/// ```
pub fn crc16_ccitt_false(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

/// Point of initiation (field 01).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiation {
    /// `11`: reusable QR.
    Static,
    /// `12`: one transaction.
    Dynamic,
}

/// NAPAS service (field 38, sub-field 02).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// `QRIBFTTA`: transfer to an account.
    ToAccount,
    /// `QRIBFTTC`: transfer to a card.
    ToCard,
}

impl Service {
    fn code(self) -> &'static str {
        match self {
            Service::ToAccount => "QRIBFTTA",
            Service::ToCard => "QRIBFTTC",
        }
    }
}

/// One TLV field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlv {
    /// Two-digit id.
    pub id: String,
    /// The value (its length is the field's length).
    pub value: String,
}

/// What is wrong with a payload.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VietQrError {
    /// A field header or length is not digits, or a length runs past the end.
    #[error("malformed TLV at character {0}")]
    Malformed(usize),
    /// The payload does not end with a `63` CRC field of 4 hex digits.
    #[error("the CRC field is missing or malformed")]
    MissingCrc,
    /// The CRC does not match.
    #[error("CRC mismatch: payload says {found:04X}, computed {computed:04X}")]
    CrcMismatch {
        /// The CRC in the payload.
        found: u16,
        /// The CRC of the payload.
        computed: u16,
    },
    /// A required field is missing or has the wrong value.
    #[error("field {0} is missing or invalid")]
    Field(&'static str),
}

/// A VietQR transfer request.
///
/// ```
/// use appotapay_protocol::vietqr::VietQr;
/// let qr = VietQr::dynamic("970415", "113366668888", 79_000, "ORDER123");
/// let payload = qr.encode().unwrap();
/// assert_eq!(payload, "00020101021238560010A0000007270126000697041501121133666688880208QRIBFTTA53037045405790005802VN62120808ORDER12363044445");
/// assert_eq!(VietQr::parse(&payload).unwrap(), qr);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VietQr {
    /// Static or dynamic.
    pub initiation: Initiation,
    /// Acquirer BIN, 6 digits.
    pub bin: String,
    /// Beneficiary account (or card) number, up to 19 characters.
    pub account: String,
    /// Transfer to account or card.
    pub service: Service,
    /// Amount in VND, if fixed.
    pub amount: Option<u64>,
    /// Transfer memo (field 62/08), ASCII.
    pub memo: Option<String>,
}

fn tlv(out: &mut String, id: &str, value: &str) {
    use fmt::Write;
    // `write!` into a String cannot fail.
    let _ = write!(out, "{id}{:02}{value}", value.chars().count());
}

impl VietQr {
    /// A dynamic transfer-to-account QR for one payment.
    pub fn dynamic(bin: &str, account: &str, amount: u64, memo: &str) -> VietQr {
        VietQr {
            initiation: Initiation::Dynamic,
            bin: bin.to_owned(),
            account: account.to_owned(),
            service: Service::ToAccount,
            amount: Some(amount),
            memo: Some(memo.to_owned()),
        }
    }

    /// Encodes the payload, CRC included.
    pub fn encode(&self) -> Result<String, VietQrError> {
        if self.bin.len() != 6 || !self.bin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VietQrError::Field("38.01.00 (BIN)"));
        }
        if self.account.is_empty()
            || self.account.len() > 19
            || !self.account.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(VietQrError::Field("38.01.01 (account)"));
        }
        if let Some(m) = &self.memo {
            if m.is_empty() || m.len() > MAX_MEMO_LEN || !m.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(VietQrError::Field("62.08 (memo)"));
            }
        }
        if matches!(self.amount, Some(a) if a == 0 || a > 9_999_999_999_999) {
            return Err(VietQrError::Field("54 (amount)"));
        }
        let mut beneficiary = String::new();
        tlv(&mut beneficiary, "00", &self.bin);
        tlv(&mut beneficiary, "01", &self.account);
        let mut merchant = String::new();
        tlv(&mut merchant, "00", NAPAS_GUID);
        tlv(&mut merchant, "01", &beneficiary);
        tlv(&mut merchant, "02", self.service.code());
        let mut out = String::with_capacity(128);
        tlv(&mut out, "00", "01");
        tlv(&mut out, "01", if self.initiation == Initiation::Dynamic { "12" } else { "11" });
        tlv(&mut out, "38", &merchant);
        tlv(&mut out, "53", CURRENCY_VND);
        if let Some(a) = self.amount {
            tlv(&mut out, "54", &a.to_string());
        }
        tlv(&mut out, "58", "VN");
        if let Some(m) = &self.memo {
            let mut additional = String::new();
            tlv(&mut additional, "08", m);
            tlv(&mut out, "62", &additional);
        }
        out.push_str("6304");
        let crc = crc16_ccitt_false(out.as_bytes());
        out.push_str(&format!("{crc:04X}"));
        Ok(out)
    }

    /// Parses a VietQR payload (CRC checked) into its transfer request.
    pub fn parse(payload: &str) -> Result<VietQr, VietQrError> {
        let fields = parse_payload(payload)?;
        let get = |id: &str| fields.iter().find(|f| f.id == id).map(|f| f.value.as_str());
        if get("00") != Some("01") {
            return Err(VietQrError::Field("00 (payload format)"));
        }
        let initiation = match get("01") {
            Some("11") => Initiation::Static,
            Some("12") => Initiation::Dynamic,
            _ => return Err(VietQrError::Field("01 (point of initiation)")),
        };
        let merchant = parse_tlv(get("38").ok_or(VietQrError::Field("38 (merchant account)"))?)?;
        let mget = |id: &str| merchant.iter().find(|f| f.id == id).map(|f| f.value.as_str());
        if mget("00") != Some(NAPAS_GUID) {
            return Err(VietQrError::Field("38.00 (GUID)"));
        }
        let beneficiary = parse_tlv(mget("01").ok_or(VietQrError::Field("38.01 (beneficiary)"))?)?;
        let bget = |id: &str| beneficiary.iter().find(|f| f.id == id).map(|f| f.value.clone());
        let bin = bget("00").ok_or(VietQrError::Field("38.01.00 (BIN)"))?;
        let account = bget("01").ok_or(VietQrError::Field("38.01.01 (account)"))?;
        let service = match mget("02") {
            Some("QRIBFTTA") | None => Service::ToAccount,
            Some("QRIBFTTC") => Service::ToCard,
            Some(_) => return Err(VietQrError::Field("38.02 (service)")),
        };
        if get("53").is_some_and(|c| c != CURRENCY_VND) {
            return Err(VietQrError::Field("53 (currency)"));
        }
        let amount = match get("54") {
            None => None,
            Some(a) => Some(a.parse::<u64>().map_err(|_| VietQrError::Field("54 (amount)"))?),
        };
        let memo = match get("62") {
            None => None,
            Some(v) => parse_tlv(v)?.into_iter().find(|f| f.id == "08").map(|f| f.value),
        };
        Ok(VietQr { initiation, bin, account, service, amount, memo })
    }
}

/// Splits a TLV list. Lengths count characters.
pub fn parse_tlv(input: &str) -> Result<Vec<Tlv>, VietQrError> {
    let chars: Vec<char> = input.chars().collect();
    let mut fields = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let header = chars.get(i..i + 4).ok_or(VietQrError::Malformed(i))?;
        if !header.iter().all(char::is_ascii_digit) {
            return Err(VietQrError::Malformed(i));
        }
        let len = header[2..].iter().fold(0usize, |acc, c| acc * 10 + (*c as usize - '0' as usize));
        let value = chars.get(i + 4..i + 4 + len).ok_or(VietQrError::Malformed(i))?;
        fields.push(Tlv { id: header[..2].iter().collect(), value: value.iter().collect() });
        i += 4 + len;
    }
    Ok(fields)
}

/// Parses any EMVCo merchant-presented payload: checks that it ends with a valid CRC
/// field and returns its top-level fields (the CRC field included).
pub fn parse_payload(payload: &str) -> Result<Vec<Tlv>, VietQrError> {
    let fields = parse_tlv(payload)?;
    let last = fields.last().ok_or(VietQrError::MissingCrc)?;
    if last.id != "63" || last.value.len() != 4 {
        return Err(VietQrError::MissingCrc);
    }
    let found = u16::from_str_radix(&last.value, 16).map_err(|_| VietQrError::MissingCrc)?;
    // The CRC value is the last 4 characters, all ASCII hex, so this cut is on a
    // character boundary.
    let covered = &payload[..payload.len() - 4];
    let computed = crc16_ccitt_false(covered.as_bytes());
    if found != computed {
        return Err(VietQrError::CrcMismatch { found, computed });
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATIC: &str = "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C";
    const DYNAMIC: &str = "00020101021238560010A0000007270126000697041501121133666688880208QRIBFTTA53037045405790005802VN62120808ORDER12363044445";

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    }

    #[test]
    fn golden_vectors_round_trip() {
        let s = VietQr::parse(STATIC).expect("published vector parses");
        assert_eq!(s.bin, "970415");
        assert_eq!(s.account, "0011001932418");
        assert_eq!(s.amount, Some(120_000));
        assert_eq!(s.memo.as_deref(), Some("ung ho lu lut"));
        assert_eq!(s.encode().as_deref(), Ok(STATIC));

        let d = VietQr::dynamic("970415", "113366668888", 79_000, "ORDER123");
        assert_eq!(d.encode().as_deref(), Ok(DYNAMIC));
        assert_eq!(VietQr::parse(DYNAMIC), Ok(d));
    }

    #[test]
    fn crc_and_shape_errors() {
        let mut bad = DYNAMIC.to_owned();
        bad.replace_range(60..61, "9");
        assert!(matches!(VietQr::parse(&bad), Err(VietQrError::CrcMismatch { .. }) | Err(VietQrError::Malformed(_))));
        assert!(matches!(VietQr::parse(&DYNAMIC.replace("4445", "4446")), Err(VietQrError::CrcMismatch { .. })));
        assert_eq!(VietQr::parse(""), Err(VietQrError::MissingCrc));
        assert_eq!(parse_tlv("0002"), Err(VietQrError::Malformed(0)));
        assert_eq!(parse_tlv("00ab01"), Err(VietQrError::Malformed(0)));
        assert!(parse_tlv("đđđđđ").is_err());
        assert!(VietQr::dynamic("97041", "1", 1, "m").encode().is_err());
        assert!(VietQr::dynamic("970415", "1", 1, "bộ").encode().is_err());
        assert!(VietQr::dynamic("970415", "1", 0, "m").encode().is_err());
    }
}

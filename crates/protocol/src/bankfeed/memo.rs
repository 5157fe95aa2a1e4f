//! The memo rule: which `appotapayTransId`s a bank transfer's text names.
//!
//! The QR asks the payer's bank to send `AP` + 12 digits as the transfer content, but
//! what reaches the feed has been through the payer's app and two banks: references are
//! prepended (`MBVCB.3278907687.520369.`), the sender and account appended
//! (`.CT tu 0441000649180 NGUYEN VAN A toi …`), punctuation and diacritics stripped,
//! letters lower-cased, and spaces inserted inside words where a bank wraps text at a
//! fixed width (`CHUYEN KHO AN`). So the text is first [`normalise`]d to upper-case
//! `A–Z0–9` with nothing else, and the id is then looked for anywhere in it.
//!
//! The id has a fixed length, so digits the bank appends after it (`AP000000000123`
//! followed by `456…`) do not change it. The price of dropping spaces is that digits
//! next to a truncated id can complete it into a different one, and an unrelated word
//! ending in `AP` can precede digits: a match is a candidate, and the settle path still
//! checks that the order exists, is pending and that the amount is right. More than one
//! distinct id in one credit is for a person to look at.

use crate::ids::AppotapayTransId;

/// Vietnamese letters (precomposed, both cases) and the base letter each folds to.
const FOLDS: [(&str, char); 14] = [
    ("àáảãạăằắẳẵặâầấẩẫậ", 'A'),
    ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'A'),
    ("èéẻẽẹêềếểễệ", 'E'),
    ("ÈÉẺẼẸÊỀẾỂỄỆ", 'E'),
    ("ìíỉĩị", 'I'),
    ("ÌÍỈĨỊ", 'I'),
    ("òóỏõọôồốổỗộơờớởỡợ", 'O'),
    ("ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'O'),
    ("ùúủũụưừứửữự", 'U'),
    ("ÙÚỦŨỤƯỪỨỬỮỰ", 'U'),
    ("ỳýỷỹỵ", 'Y'),
    ("ỲÝỶỸỴ", 'Y'),
    ("đ", 'D'),
    ("Đ", 'D'),
];

fn fold(c: char) -> Option<char> {
    if c.is_ascii_alphanumeric() {
        return Some(c.to_ascii_uppercase());
    }
    if c.is_ascii() {
        return None;
    }
    // Decomposed input (a base letter followed by combining marks) needs nothing more:
    // the base letter is kept above and the marks, not being A–Z0–9, are dropped.
    FOLDS.iter().find(|(set, _)| set.contains(c)).map(|&(_, base)| base)
}

/// `text` upper-cased, Vietnamese diacritics folded to their base letters (`Đ`/`đ` to
/// `D`), and every character other than `A–Z0–9` (spaces included) dropped.
///
/// ```
/// use appotapay_protocol::bankfeed::memo::normalise;
/// assert_eq!(normalise("Thanh toán đơn AP-1234 5678.9012"), "THANHTOANDONAP123456789012");
/// ```
pub fn normalise(text: &str) -> String {
    text.chars().filter_map(fold).collect()
}

/// Length of the digits after `AP`.
const ID_DIGITS: usize = 12;

/// The distinct `appotapayTransId`s (`AP` + 12 digits) found in the normalised `texts`,
/// in order of first appearance.
///
/// Each text is searched on its own (pass `[content, description]`), at every position
/// where `AP` is followed by at least 12 digits; the id is `AP` and the first 12 of them.
///
/// ```
/// use appotapay_protocol::bankfeed::memo::trans_ids;
/// let content = "MBVCB.3278907687.520369.AP 1234 5678 9012.CT tu 0441000649180 NGUYEN VAN A";
/// assert_eq!(trans_ids(&[content, ""]), ["AP123456789012"]);
/// assert!(trans_ids(&["AP12345678901"]).is_empty());
/// ```
pub fn trans_ids(texts: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for text in texts {
        let norm = normalise(text);
        let b = norm.as_bytes();
        let mut i = 0;
        while i + 2 + ID_DIGITS <= b.len() {
            let digits = &b[i + 2..i + 2 + ID_DIGITS];
            if b[i] == b'A' && b[i + 1] == b'P' && digits.iter().all(u8::is_ascii_digit) {
                // `norm` is ASCII, so any byte range of it is a valid string.
                let candidate = &norm[i..i + 2 + ID_DIGITS];
                if let Ok(id) = candidate.parse::<AppotapayTransId>() {
                    if !found.iter().any(|f| f == id.as_str()) {
                        found.push(id.into());
                    }
                }
                i += 2 + ID_DIGITS;
            } else {
                i += 1;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalise_folds_the_vietnamese_alphabet() {
        let lower = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ";
        let folded = normalise(lower);
        assert!(folded.bytes().all(|b| b.is_ascii_uppercase()), "{folded}");
        assert_eq!(folded.len(), lower.chars().count());
        assert_eq!(normalise(&lower.to_uppercase()), folded);
        assert_eq!(normalise("Đặng Đình Hưng"), "DANGDINHHUNG");
        // Decomposed (NFD) text folds the same way.
        assert_eq!(normalise("to\u{0301}an d\u{0323}"), "TOAND");
        assert_eq!(normalise(" .-_/\t\n😀 ①٣"), "");
    }

    #[test]
    fn trans_ids_in_mangled_memos() {
        const ID: &str = "AP123456789012";
        const OTHER: &str = "AP000000000123";
        let table: &[(&str, &str, &[&str])] = &[
            (
                "MBVCB.3278907687.520369.AP123456789012.CT tu 0441000649180 NGUYEN VAN A toi 0934860931 TRAN B tai MB",
                "",
                &[ID],
            ),
            ("AP123456789012 chuyen tien", "", &[ID]),
            ("Chuyen tien AP123456789012", "", &[ID]),
            ("AP1234 56789012", "", &[ID]),
            ("A P123456789012", "", &[ID]),
            ("ap123456789012", "", &[ID]),
            ("AP-1234-5678-9012", "", &[ID]),
            ("AP.1234.5678.9012", "", &[ID]),
            ("Thanh toán đơn AP123456789012", "", &[ID]),
            ("Thanh toán đơn hàng ĐH AP123456789012 cảm ơn", "", &[ID]),
            ("AP000000000123456", "", &[OTHER]),
            ("884114.100924.223854.AP000000000123 FT24255276428461", "", &[OTHER]),
            ("AP123456789012 va AP000000000123", "", &[ID, OTHER]),
            ("AP123456789012 AP123456789012", "", &[ID]),
            ("AP123456789012", "AP123456789012", &[ID]),
            ("CHUYEN KHOAN LUNCH MIC HAEL-CHUYEN TIEN ABC", "", &[]),
            ("AP12345678901", "", &[]),
            ("AP 1234567890", "", &[]),
            ("", "", &[]),
            ("Thanh toan QR", "ND: MBVCB.14514672876.AP123456789012.CT tu 0441000649180", &[ID]),
            ("AP000000000123", "AP123456789012", &[OTHER, ID]),
            ("APAP123456789012", "", &[ID]),
        ];
        for (content, description, want) in table {
            assert_eq!(trans_ids(&[content, description]), *want, "{content:?} / {description:?}");
        }
    }

    #[test]
    fn texts_are_searched_apart() {
        // An id split across content and description is not an id.
        assert!(trans_ids(&["AP123456", "789012"]).is_empty());
    }

    proptest! {
        #[test]
        fn trans_ids_never_panics_and_finds_valid_ids(a in ".{0,80}", b in any::<Vec<u8>>()) {
            let b = String::from_utf8_lossy(&b);
            for id in trans_ids(&[&a, &b]) {
                prop_assert!(id.parse::<AppotapayTransId>().is_ok());
            }
        }

        #[test]
        fn an_embedded_id_is_found(n in 0u64..=crate::ids::MAX_TRANS_NUMBER, pre in "[a-z .]{0,20}", post in "[ .][a-z ]{0,20}") {
            let id = format!("AP{n:012}");
            let memo = format!("{pre}{id}{post}");
            prop_assert_eq!(trans_ids(&[&memo]), vec![id]);
        }
    }
}

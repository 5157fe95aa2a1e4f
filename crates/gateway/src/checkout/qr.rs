//! The QR image of a QR order: its stored VietQR payload drawn as a PNG.
//!
//! One picture serves both the `qrCodeUrl` the merchant receives and the image
//! embedded in the checkout page, so what the customer scans is exactly what the
//! tests decode. A 1-bit greyscale PNG with a four-module quiet zone keeps it a few
//! kilobytes and sharp on any screen.

use qrcode::{Color, EcLevel, QrCode};

/// Pixels per QR module.
pub const SCALE: usize = 8;
/// Width of the white border, in modules (the QR standard asks for 4).
pub const QUIET_ZONE: usize = 4;

/// The PNG of `payload`, `None` if the payload does not fit a QR code.
pub fn png(payload: &str) -> Option<Vec<u8>> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let modules = width + 2 * QUIET_ZONE;
    let size = modules * SCALE;
    let row_bytes = size.div_ceil(8);
    // Bit 1 is white in 1-bit greyscale: start all white, clear the dark modules.
    let mut data = vec![0xFFu8; row_bytes * size];
    for y in 0..size {
        let my = y / SCALE;
        for x in 0..size {
            let mx = x / SCALE;
            let inside =
                (QUIET_ZONE..QUIET_ZONE + width).contains(&mx) && (QUIET_ZONE..QUIET_ZONE + width).contains(&my);
            if inside && colors[(my - QUIET_ZONE) * width + (mx - QUIET_ZONE)] == Color::Dark {
                data[y * row_bytes + x / 8] &= !(0x80 >> (x % 8));
            }
        }
    }
    let mut out = Vec::with_capacity(4096);
    {
        let side = u32::try_from(size).ok()?;
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        let mut writer = enc.write_header().ok()?;
        writer.write_image_data(&data).ok()?;
        writer.finish().ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_png() {
        let p = png("00020101021238560010A0000007270126000697041501121133666688880208QRIBFTTA53037045405790005802VN62120808ORDER12363044445")
            .expect("png");
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        assert!(p.len() < 8192, "{} bytes", p.len());
    }
}

//! The QR code of the URL, drawn in the terminal with Unicode half blocks
//! (feature `qr`, on by default), so a phone can open the link by scanning
//! the screen instead of typing a token.

use qrcode::{Color, EcLevel, QrCode};

use crate::error::AppError;

/// Modules of light border around the code: enough for phone scanners, small
/// enough to keep the code on one screen.
pub(crate) const QUIET_ZONE: usize = 2;

/// Renders `text` as a QR code with Unicode half blocks: each character cell
/// holds two module rows (upper and lower half). Light modules are drawn as
/// ink (`█`, `▀`, `▄`) and dark modules as blank, so the code reads correctly
/// in light-on-dark terminals; [`colorize_qr`] pins the colours so it reads
/// correctly on any terminal theme.
pub(crate) fn render_qr(text: &str) -> Result<String, AppError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L)
        .map_err(|e| AppError::QrCode(e.to_string()))?;
    Ok(render_modules(&code.to_colors(), code.width()))
}

/// Half-block rendering of a `width`×`width` module matrix (row-major),
/// with a [`QUIET_ZONE`] border.
fn render_modules(colors: &[Color], width: usize) -> String {
    let full = width + 2 * QUIET_ZONE;
    // Outside the matrix is the (light) quiet zone.
    let light = |x: usize, y: usize| -> bool {
        if x < QUIET_ZONE || y < QUIET_ZONE || x >= width + QUIET_ZONE || y >= width + QUIET_ZONE {
            return true;
        }
        colors[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)] == Color::Light
    };
    let mut out = String::with_capacity(full.div_ceil(2) * (full * 3 + 1));
    for y in (0..full).step_by(2) {
        for x in 0..full {
            let top = light(x, y);
            // An odd last row pairs with a dark (blank) half: the quiet zone
            // already surrounds the code, so nothing is lost.
            let bottom = y + 1 < full && light(x, y + 1);
            out.push(match (top, bottom) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    out
}

/// Wraps each line of a rendered QR code in ANSI colours (white ink on a
/// black background) so it scans on light terminal themes too. Only for
/// terminals; piped output stays plain.
pub(crate) fn colorize_qr(rendered: &str) -> String {
    let mut out = String::with_capacity(rendered.len() * 2);
    for line in rendered.lines() {
        out.push_str("\x1b[97;40m");
        out.push_str(line);
        out.push_str("\x1b[0m\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a half-block rendering back into a light/dark matrix.
    fn decode(rendered: &str) -> Vec<Vec<bool>> {
        let mut rows = Vec::new();
        for line in rendered.lines() {
            let (mut top, mut bottom) = (Vec::new(), Vec::new());
            for ch in line.chars() {
                let (t, b) = match ch {
                    '█' => (true, true),
                    '▀' => (true, false),
                    '▄' => (false, true),
                    ' ' => (false, false),
                    other => panic!("unexpected character {other:?}"),
                };
                top.push(t);
                bottom.push(b);
            }
            rows.push(top);
            rows.push(bottom);
        }
        rows
    }

    #[test]
    fn qr_rendering_round_trips_the_module_matrix() {
        let url =
            "https://test-abc.trycloudflare.com/?token=0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
        let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::L).unwrap();
        let width = code.width();
        let colors = code.to_colors();
        let rendered = render_qr(url).unwrap();
        let full = width + 2 * QUIET_ZONE;

        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines.len(), full.div_ceil(2));
        assert!(lines.iter().all(|l| l.chars().count() == full));

        let matrix = decode(&rendered);
        for (y, row) in matrix.iter().enumerate().take(full) {
            for (x, &is_light) in row.iter().enumerate() {
                let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&x)
                    && (QUIET_ZONE..QUIET_ZONE + width).contains(&y);
                let expected = if inside {
                    colors[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)] == Color::Light
                } else {
                    true
                };
                assert_eq!(is_light, expected, "module ({x},{y})");
            }
        }
    }

    #[test]
    fn qr_has_finder_pattern_corner() {
        // The top-left finder pattern is dark at (0,0) of the matrix, i.e.
        // blank right inside the quiet zone.
        let rendered = render_qr("http://127.0.0.1:8767/?token=x").unwrap();
        let matrix = decode(&rendered);
        assert!(
            matrix[QUIET_ZONE - 1][QUIET_ZONE - 1],
            "quiet zone is light"
        );
        assert!(!matrix[QUIET_ZONE][QUIET_ZONE], "finder corner is dark");
    }

    #[test]
    fn too_long_text_is_an_error_not_a_panic() {
        let huge = "x".repeat(10_000);
        assert!(matches!(render_qr(&huge), Err(AppError::QrCode(_))));
    }

    #[test]
    fn colorize_wraps_every_line() {
        let colored = colorize_qr("ab\ncd\n");
        assert_eq!(colored, "\x1b[97;40mab\x1b[0m\n\x1b[97;40mcd\x1b[0m\n");
    }
}

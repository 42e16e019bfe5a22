//! Rounding of non-negative reals to integers without a libm call per sample: the
//! portable x86-64 baseline has no rounding instruction, and these sit on the per-request
//! path. Each is exact, equal to the `f64` method for every input it accepts.

/// Up to this, conversions go through `i64`, a single instruction (`u64` takes several).
const SMALL: f64 = (1u64 << 62) as f64;

/// `x.ceil() as u64` for `x ≥ 0` (negative and NaN give 0, huge values saturate).
pub(crate) fn ceil_u64(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    if x >= SMALL {
        return x.ceil() as u64;
    }
    let t = x as i64;
    (t + ((t as f64) < x) as i64) as u64
}

/// `x.floor() as u64` for `x ≥ 0`: truncation is the floor there.
pub(crate) fn floor_u64(x: f64) -> u64 {
    if (0.0..SMALL).contains(&x) {
        x as i64 as u64
    } else {
        x as u64
    }
}

/// `x.round() as u64` for `x ≥ 0` (halves away from zero, as `f64::round`).
pub(crate) fn round_u64(x: f64) -> u64 {
    if !(0.0..SMALL).contains(&x) {
        return x.round() as u64;
    }
    let t = x as i64;
    // Below 2^52 the fractional part is exact; above it every f64 is an integer already.
    (t + (x - t as f64 >= 0.5) as i64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_the_f64_methods() {
        let mut xs = vec![
            0.0,
            0.5,
            1.0,
            1.5,
            2.5,
            0.49999999999999994,
            1e-300,
            4503599627370495.5,
            4503599627370497.0,
            9.1e15,
            -3.5,
            f64::NAN,
            1e30,
            123.456,
            7.0 - 1e-15,
        ];
        let mut x = 0.001;
        while x < 1e17 {
            xs.push(x);
            xs.push(x + 0.5);
            x *= 1.37;
        }
        for x in xs {
            assert_eq!(ceil_u64(x), x.ceil() as u64, "ceil {x}");
            assert_eq!(floor_u64(x), x.floor() as u64, "floor {x}");
            assert_eq!(round_u64(x), x.round() as u64, "round {x}");
        }
    }
}

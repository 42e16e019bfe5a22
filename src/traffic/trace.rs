//! Trace replay: arrival times and token counts from a CSV file. Accepts the Azure LLM
//! inference trace's columns (`TIMESTAMP,ContextTokens,GeneratedTokens`) and the plain
//! `timestamp,input_tokens,output_tokens` (timestamp in seconds or as a date-time).

use crate::manifest::error::{InputError, Loc};
use crate::units::SimDuration;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub struct TraceRequest {
    /// Offset from the trace's first request.
    pub offset: SimDuration,
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds of `2023-11-16 18:15:46.6805900` (or with `T`), or of a plain number.
pub(crate) fn seconds(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(v) = t.parse::<f64>() {
        return Some(v);
    }
    let (date, time) = t.split_once([' ', 'T'])?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, mo, da) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.trim_end_matches('Z');
    let mut parts = time.split(':');
    let (h, mi) = (parts.next()?.parse::<i64>().ok()?, parts.next()?.parse::<i64>().ok()?);
    let s: f64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || s >= 61.0 {
        return None;
    }
    Some(days_from_civil(y, mo, da) as f64 * 86_400.0 + (h * 3600 + mi * 60) as f64 + s)
}

pub fn parse(file: &str, text: &str) -> Result<Vec<TraceRequest>, InputError> {
    let f: Arc<str> = Arc::from(file);
    let at = |line: usize, col: usize| Loc::new(f.clone(), line as u32, col as u32);
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(InputError::at(at(1, 1), "empty trace").hint("the first line names the columns"));
    };
    let cols: Vec<String> = header.split(',').map(|c| c.trim().to_lowercase()).collect();
    let find = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
    let (Some(ti), Some(ii), Some(oi)) = (
        find(&["timestamp", "time", "arrival_time"]),
        find(&["contexttokens", "input_tokens", "prompt_tokens"]),
        find(&["generatedtokens", "output_tokens", "completion_tokens"]),
    ) else {
        return Err(InputError::at(at(1, 1), format!("trace columns `{header}` are not recognised")).hint(
            "expected TIMESTAMP,ContextTokens,GeneratedTokens (Azure LLM inference trace) or timestamp,input_tokens,output_tokens",
        ));
    };
    let mut out = Vec::new();
    let mut first: Option<f64> = None;
    let mut last = f64::MIN;
    for (n, line) in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let col_of = |i: usize| fields[..i].iter().map(|x| x.len() + 1).sum::<usize>() + 1;
        let get = |i: usize| {
            fields
                .get(i)
                .copied()
                .ok_or_else(|| InputError::at(at(n + 1, line.len() + 1), format!("missing column {}", i + 1)))
        };
        let ts_text = get(ti)?;
        let ts = seconds(ts_text).ok_or_else(|| {
            InputError::at(at(n + 1, col_of(ti)), format!("`{ts_text}` is not a timestamp"))
                .hint("write seconds (12.5) or a date-time (2023-11-16 18:15:46.68)")
        })?;
        if ts < last {
            return Err(InputError::at(at(n + 1, col_of(ti)), "timestamps go backwards").hint("sort the trace by time"));
        }
        last = ts;
        let tokens = |i: usize| -> Result<u32, InputError> {
            let v = get(i)?;
            v.trim()
                .parse::<u32>()
                .map_err(|_| InputError::at(at(n + 1, col_of(i)), format!("`{v}` is not a token count")))
        };
        let start = *first.get_or_insert(ts);
        out.push(TraceRequest {
            offset: SimDuration::from_secs_f64(ts - start),
            input_tokens: tokens(ii)?,
            output_tokens: tokens(oi)?.max(1),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_azure_trace_format() {
        let t = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n2023-11-17 00:00:00.0,5,1\n";
        let r = parse("t.csv", t).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[0],
            TraceRequest {
                offset: SimDuration(0),
                input_tokens: 374,
                output_tokens: 44
            }
        );
        assert_eq!(r[1].offset, SimDuration(4315));
        assert_eq!(
            r[2].offset.0,
            ((24 * 3600 - (18 * 3600 + 15 * 60)) as f64 * 1000.0 - 46_680.59).round() as u64
        );
    }

    #[test]
    fn reads_plain_seconds_and_locates_errors() {
        let r = parse("t.csv", "timestamp,input_tokens,output_tokens\n0.5,10,2\n1.5,20,3\n").unwrap();
        assert_eq!(r[1].offset, SimDuration(1000));
        let e = parse("t.csv", "timestamp,input_tokens,output_tokens\n0.5,10,2\n1.5,lots,3\n").unwrap_err();
        assert_eq!((e.loc.line, e.loc.col), (3, 5));
        assert!(parse("t.csv", "a,b,c\n1,2,3\n")
            .unwrap_err()
            .message
            .contains("not recognised"));
        assert!(parse("t.csv", "timestamp,input_tokens,output_tokens\n2,1,1\n1,1,1\n")
            .unwrap_err()
            .message
            .contains("backwards"));
    }

    #[test]
    fn the_shipped_slice_parses() {
        let text = include_str!("../../scenarios/traces/azure-conv-10min.csv");
        let r = parse("azure-conv-10min.csv", text).unwrap();
        assert!(r.len() > 1000, "{}", r.len());
        assert!(r.last().unwrap().offset <= SimDuration::from_secs(600));
    }
}

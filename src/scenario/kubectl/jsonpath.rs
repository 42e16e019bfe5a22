//! `oc get -o jsonpath=TEMPLATE`: kubectl's JSONPath dialect (client-go's
//! `util/jsonpath`), which is not RFC 9535's: the template is text with `{…}` actions,
//! `{range …}…{end}` loops, quoted strings as text (`{"\n"}`), filters that compare one
//! value (`[?(@.type=="Ready")]`), and results printed as Go prints them. The parser and
//! the evaluator follow client-go's `parser.go` and `jsonpath.go` step by step, so a
//! template fails with the message kubectl gives; missing keys print nothing, as with
//! kubectl's default `--allow-missing-template-keys=true`.

use serde_json::Value;

/// A parsed template node (`node.go`).
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    /// An action (`{…}`), a filter's side or a union's member: its nodes in order.
    List(Vec<Node>),
    Field(String),
    Wildcard,
    Recursive,
    Array([Param; 3]),
    Union(Vec<Vec<Node>>),
    Filter {
        left: Vec<Node>,
        right: Vec<Node>,
        op: String,
    },
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `range`, `end`, or a word kubectl refuses when it runs.
    Identifier(String),
}

/// One of a slice's start, end and step (`ParamsEntry`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Param {
    value: i64,
    known: bool,
    /// The end implied by a single index (`[2]` is `[2:3]`).
    derived: bool,
}

/// A template as kubectl reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    root: Vec<Node>,
}

impl Template {
    /// Parses `text`; the error is kubectl's (`unterminated array`, `unclosed action`…).
    pub(crate) fn parse(text: &str) -> Result<Template, String> {
        Ok(Template {
            root: Parser::new(text).parse()?,
        })
    }

    /// What the template prints for `data`, or the evaluation error kubectl reports.
    pub(crate) fn execute(&self, data: &Value) -> Result<String, String> {
        let mut eval = Eval::default();
        let results = eval.find_results(data, &self.root, 0)?;
        let mut out = String::new();
        for list in results {
            for (i, r) in list.iter().enumerate() {
                match r {
                    Value::Object(_) | Value::Array(_) => go_json(r, &mut out),
                    v => out.push_str(&go_text(v)),
                }
                if i + 1 != list.len() {
                    out.push(' ');
                }
            }
        }
        Ok(out)
    }
}

const EOF: Option<char> = None;

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
}

fn is_terminator(r: Option<char>) -> bool {
    match r {
        None => true,
        Some(c) => matches!(
            c,
            ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'
        ),
    }
}

fn is_alphanumeric(r: Option<char>) -> bool {
    r.is_some_and(|c| c == '_' || c.is_alphanumeric())
}

/// Go's `%#U`: `U+0023 '#'`.
fn go_rune(c: char) -> String {
    format!("U+{:04X} '{c}'", c as u32)
}

// The parser slices `input` at `pos` and `start`, byte offsets that only ever move by a
// whole character (`next` by its UTF-8 width, `backup` by the same), so every slice falls
// on a character boundary; `any_template::no_template_panics` throws random templates,
// multibyte characters included, at it.
impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Parser<'a> {
        Parser {
            input,
            pos: 0,
            start: 0,
            width: 0,
        }
    }

    fn next(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            None => {
                self.width = 0;
                EOF
            }
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        let r = self.next();
        self.backup();
        r
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn consume_text(&mut self) -> String {
        let value = self.input[self.start..self.pos].to_string();
        self.start = self.pos;
        value
    }

    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    /// `parseText` and `parseLeftDelim`: text up to each `{`, then the action it opens.
    fn parse(mut self) -> Result<Vec<Node>, String> {
        let mut root = Vec::new();
        loop {
            match self.rest().find('{') {
                None => {
                    self.pos = self.input.len();
                    if self.pos > self.start {
                        root.push(Node::Text(self.consume_text()));
                    }
                    return Ok(root);
                }
                Some(i) => {
                    self.pos += i;
                    if self.pos > self.start {
                        root.push(Node::Text(self.consume_text()));
                    }
                    self.pos += 1;
                    self.consume_text();
                    let mut action = Vec::new();
                    self.parse_inside_action(&mut action)?;
                    root.push(Node::List(action));
                }
            }
        }
    }

    /// `parseInsideAction`, up to and including the action's `}`.
    fn parse_inside_action(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            if self.rest().starts_with('}') {
                self.pos += 1;
                self.consume_text();
                return Ok(());
            }
            if self.rest().starts_with("[?(") {
                self.parse_filter(cur)?;
                continue;
            }
            if self.rest().starts_with("..") {
                self.parse_recursive(cur)?;
                continue;
            }
            match self.next() {
                None | Some('\r' | '\n') => return Err("unclosed action".into()),
                Some(' ' | '@' | '$') => {
                    self.consume_text();
                }
                Some('[') => self.parse_array(cur)?,
                Some(q @ ('"' | '\'')) => self.parse_quote(cur, q)?,
                Some('.') => self.parse_field(cur),
                Some(c) if c == '+' || c == '-' || c.is_ascii_digit() => {
                    self.backup();
                    self.parse_number(cur)?;
                }
                r if is_alphanumeric(r) => {
                    self.backup();
                    self.parse_identifier(cur);
                }
                Some(c) => return Err(format!("unrecognized character in action: {}", go_rune(c))),
            }
        }
    }

    /// `range`, `end`, `true`, `false`, or any other word.
    fn parse_identifier(&mut self, cur: &mut Vec<Node>) {
        loop {
            let r = self.next();
            if is_terminator(r) {
                self.backup();
                break;
            }
        }
        let value = self.consume_text();
        cur.push(match value.as_str() {
            "true" => Node::Bool(true),
            "false" => Node::Bool(false),
            _ => Node::Identifier(value),
        });
    }

    fn parse_recursive(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if cur.last() == Some(&Node::Recursive) {
            return Err("invalid multiple recursive descent".into());
        }
        self.pos += 2;
        self.consume_text();
        cur.push(Node::Recursive);
        if is_alphanumeric(self.peek()) {
            self.parse_field(cur);
        }
        Ok(())
    }

    fn parse_number(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(self.peek(), Some('+' | '-')) {
            self.next();
        }
        loop {
            match self.next() {
                Some(c) if c == '.' || c.is_ascii_digit() => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        let value = self.consume_text();
        if let Ok(i) = value.parse::<i64>() {
            cur.push(Node::Int(i));
        } else if let Some(f) = go_parse_float(&value) {
            cur.push(Node::Float(f));
        } else {
            return Err(format!("cannot parse number {value}"));
        }
        Ok(())
    }

    /// `[…]`: a union (`[0,2]`), a quoted key (`['a.b']`), or an index or slice.
    fn parse_array(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated array".into()),
                Some(']') => break,
                _ => {}
            }
        }
        let text = self.consume_text();
        let mut text = &text[1..text.len() - 1];
        if text == "*" {
            text = ":";
        }
        let members: Vec<&str> = text.split(',').collect();
        if members.len() > 1 {
            let mut union = Vec::new();
            for m in members {
                union.push(parse_action(&format!("[{}]", m.trim_matches(' ')))?);
            }
            cur.push(Node::Union(union));
            return Ok(());
        }
        if let Some(key) = text
            .strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
            .filter(|k| !k.contains('\''))
        {
            cur.extend(parse_action(&format!(".{key}"))?);
            return Ok(());
        }
        cur.push(Node::Array(slice_params(text)?));
        Ok(())
    }

    /// `[?(left op right)]`, or `[?(path)]` for "exists".
    fn parse_filter(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        self.pos += 3;
        self.consume_text();
        let (mut begin, mut end) = (false, false);
        let mut pair = '"';
        loop {
            let r = self.next();
            match r {
                None | Some('\n') => return Err("unterminated filter".into()),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if self.input.as_bytes()[self.pos - 2] != b'\\' && q == pair {
                        end = true;
                    }
                }
                Some(')') if begin == end => break,
                _ => {}
            }
        }
        if self.next() != Some(']') {
            return Err("unclosed array expect ]".into());
        }
        let text = self.consume_text();
        let text = &text[..text.len() - 2];
        match split_comparison(text) {
            None => cur.push(Node::Filter {
                left: parse_action(text)?,
                right: Vec::new(),
                op: "exists".into(),
            }),
            Some((left, op, right)) => cur.push(Node::Filter {
                left: parse_action(left)?,
                right: parse_action(right)?,
                op: op.into(),
            }),
        }
        Ok(())
    }

    fn parse_quote(&mut self, cur: &mut Vec<Node>, end: char) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated quoted string".into()),
                Some(c) if c == end && self.input.as_bytes()[self.pos - 2] != b'\\' => break,
                _ => {}
            }
        }
        let value = self.consume_text();
        let text = unquote(&value).ok_or_else(|| format!("unquote string {value} error invalid syntax"))?;
        cur.push(Node::Text(text));
        Ok(())
    }

    fn parse_field(&mut self, cur: &mut Vec<Node>) {
        self.consume_text();
        loop {
            let r = self.next();
            if r == Some('\\') {
                self.next();
            } else if is_terminator(r) {
                self.backup();
                break;
            }
        }
        let value = self.consume_text();
        cur.push(if value == "*" {
            Node::Wildcard
        } else {
            Node::Field(value.replace('\\', ""))
        });
    }
}

/// `parseAction`: `text` read as the inside of one action.
fn parse_action(text: &str) -> Result<Vec<Node>, String> {
    let root = Parser::new(&format!("{{{text}}}")).parse()?;
    match root.into_iter().next() {
        Some(Node::List(nodes)) => Ok(nodes),
        _ => Ok(Vec::new()),
    }
}

/// The filter's `^([^!<>=]+)([!<>=]+)(.+?)$`.
fn split_comparison(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let left_end = text.find(is_op)?;
    if left_end == 0 {
        return None;
    }
    let after = &text[left_end..];
    let mut op_len = after.find(|c: char| !is_op(c)).unwrap_or(after.len());
    // The right side takes at least one character, given back by the operator if need be.
    if op_len == after.len() {
        op_len -= 1;
    }
    if op_len == 0 || after[op_len..].contains('\n') {
        return None;
    }
    Some((&text[..left_end], &after[..op_len], &after[op_len..]))
}

/// An index or slice (`^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`) as its three params.
fn slice_params(text: &str) -> Result<[Param; 3], String> {
    let parts: Vec<&str> = text.split(':').collect();
    let number_like = |s: &str| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        digits.chars().all(|c| c.is_ascii_digit())
    };
    if parts.len() > 3 || !parts.iter().all(|p| number_like(p)) {
        return Err(format!("invalid array index {text}"));
    }
    // The regex's groups: the first bare, the others with their `:`, "" when absent.
    let groups: [String; 3] = [
        parts[0].to_string(),
        parts.get(1).map(|p| format!(":{p}")).unwrap_or_default(),
        parts.get(2).map(|p| format!(":{p}")).unwrap_or_default(),
    ];
    let mut params = [Param::default(); 3];
    for i in 0..3 {
        if !groups[i].is_empty() {
            let value = if i > 0 { &groups[i][1..] } else { &groups[i][..] };
            if i > 0 && value.is_empty() {
                params[i].known = false;
            } else {
                params[i].known = true;
                params[i].value = value
                    .parse()
                    .map_err(|_| format!("array index {value} is not a number"))?;
            }
        } else if i == 1 {
            params[i] = Param {
                value: params[0].value + 1,
                known: true,
                derived: true,
            };
        }
    }
    Ok(params)
}

/// `UnquoteExtend`: a `"…"` or `'…'` string with Go's escapes.
fn unquote(s: &str) -> Option<String> {
    let quote = s.chars().next()?;
    if s.len() < 2 || !s.ends_with(quote) || !matches!(quote, '"' | '\'') {
        return None;
    }
    let body = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        let hex = |chars: &mut std::iter::Peekable<std::str::Chars>, n: usize| -> Option<char> {
            let digits: String = (0..n).filter_map(|_| chars.next()).collect();
            if digits.len() != n {
                return None;
            }
            char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
        };
        out.push(match e {
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            '\\' => '\\',
            '\'' | '"' if e == quote => e,
            'x' => hex(&mut chars, 2)?,
            'u' => hex(&mut chars, 4)?,
            'U' => hex(&mut chars, 8)?,
            '0'..='7' => {
                let rest: String = (0..2).filter_map(|_| chars.next()).collect();
                char::from_u32(u32::from_str_radix(&format!("{e}{rest}"), 8).ok()?)?
            }
            _ => return None,
        });
    }
    Some(out)
}

/// Go's `strconv.ParseFloat` for what `parseNumber` collects (digits, dots, a sign).
fn go_parse_float(s: &str) -> Option<f64> {
    let digits = s.trim_start_matches(['+', '-']);
    if digits.is_empty() || digits == "." || digits.matches('.').count() > 1 {
        return None;
    }
    s.parse().ok()
}

/// The evaluator's range bookkeeping (`JSONPath`'s beginRange, inRange, endRange).
#[derive(Default)]
struct Eval {
    begin_range: usize,
    in_range: usize,
    end_range: usize,
    /// The index in the root list of the last `{end}` reached.
    last_end: Option<usize>,
}

impl Eval {
    /// `FindResults`: each root node's results, a `range` repeating what follows it up to
    /// its `end` for each value.
    fn find_results(&mut self, data: &Value, root: &[Node], from: usize) -> Result<Vec<Vec<Value>>, String> {
        let cur = vec![data.clone()];
        let mut full = Vec::new();
        let mut i = from;
        while i < root.len() {
            let results = self.walk(&cur, &root[i])?;
            if self.end_range > 0 && self.end_range <= self.in_range {
                self.end_range -= 1;
                self.last_end = Some(i);
                break;
            }
            if self.begin_range > 0 {
                self.begin_range -= 1;
                self.in_range += 1;
                if results.is_empty() {
                    // Still walked, so that the position moves on to its end.
                    self.find_results(&Value::Null, root, i + 1)?;
                } else {
                    for value in &results {
                        full.extend(self.find_results(value, root, i + 1)?);
                    }
                }
                self.in_range -= 1;
                if let Some(end) = self.last_end.filter(|e| *e > i) {
                    i = end;
                }
                i += 1;
                continue;
            }
            full.push(results);
            i += 1;
        }
        Ok(full)
    }

    fn walk(&mut self, input: &[Value], node: &Node) -> Result<Vec<Value>, String> {
        match node {
            Node::List(nodes) => self.eval_list(input, nodes),
            Node::Text(t) => Ok(vec![Value::String(t.clone())]),
            Node::Field(name) => Ok(eval_field(input, name)),
            Node::Array(params) => eval_array(input, params),
            Node::Filter { left, right, op } => self.eval_filter(input, left, right, op),
            Node::Int(n) => Ok(vec![Value::from(*n); input.len()]),
            Node::Float(f) => Ok(vec![
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number);
                input.len()
            ]),
            Node::Bool(b) => Ok(vec![Value::Bool(*b); input.len()]),
            Node::Wildcard => Ok(input.iter().flat_map(children).collect()),
            Node::Recursive => Ok(recursive(input)),
            Node::Union(members) => {
                let mut out = Vec::new();
                for m in members {
                    out.extend(self.eval_list(input, m)?);
                }
                Ok(out)
            }
            Node::Identifier(name) => match name.as_str() {
                "range" => {
                    self.begin_range += 1;
                    Ok(input.to_vec())
                }
                "end" if self.in_range > 0 => {
                    self.end_range += 1;
                    Ok(Vec::new())
                }
                "end" => Err("not in range, nothing to end".into()),
                other => Err(format!("unrecognized identifier {other}")),
            },
        }
    }

    fn eval_list(&mut self, input: &[Value], nodes: &[Node]) -> Result<Vec<Value>, String> {
        let mut cur = input.to_vec();
        for n in nodes {
            cur = self.walk(&cur, n)?;
        }
        Ok(cur)
    }

    fn eval_filter(&mut self, input: &[Value], left: &[Node], right: &[Node], op: &str) -> Result<Vec<Value>, String> {
        let mut results = Vec::new();
        for value in input {
            let Value::Array(items) = value else {
                return Err(format!("{} is not array or slice and cannot be filtered", go_v(value)));
            };
            for item in items {
                let one = std::slice::from_ref(item);
                let lefts = self.eval_list(one, left);
                if op == "exists" {
                    if lefts.is_ok_and(|l| !l.is_empty()) {
                        results.push(item.clone());
                    }
                    continue;
                }
                let lefts = lefts?;
                let l = match lefts.as_slice() {
                    [] => continue,
                    [l] => l,
                    _ => return Err("can only compare one element at a time".into()),
                };
                let rights = self.eval_list(one, right)?;
                let r = match rights.as_slice() {
                    [] => continue,
                    [r] => r,
                    _ => return Err("can only compare one element at a time".into()),
                };
                let pass = match op {
                    "<" => less(l, r)?,
                    ">" => !(less(l, r)? || equal(l, r)?),
                    "==" => equal(l, r)?,
                    "!=" => !equal(l, r)?,
                    "<=" => less(l, r)? || equal(l, r)?,
                    ">=" => !less(l, r)?,
                    other => return Err(format!("unrecognized filter operator {other}")),
                };
                if pass {
                    results.push(item.clone());
                }
            }
        }
        Ok(results)
    }
}

/// A field of each map; missing ones give nothing.
fn eval_field(input: &[Value], name: &str) -> Vec<Value> {
    input
        .iter()
        .filter_map(|v| match v {
            Value::Object(m) => m.get(name).cloned(),
            _ => None,
        })
        .collect()
}

fn eval_array(input: &[Value], node: &[Param; 3]) -> Result<Vec<Value>, String> {
    let mut result = Vec::new();
    for value in input {
        let items = match value {
            Value::Null => continue,
            Value::Array(items) => items,
            v => return Err(format!("{} is not array or slice", go_type(v))),
        };
        let len = items.len() as i64;
        // Start, end and step: a fixed array of three; the slice below is taken only once
        // both ends are checked against `len`.
        let mut p = *node;
        if !p[0].known {
            p[0].value = 0;
        }
        if p[0].value < 0 {
            p[0].value += len;
        }
        if !p[1].known {
            p[1].value = len;
        }
        if p[1].value < 0 || (p[1].value == 0 && p[1].derived) {
            p[1].value += len;
        }
        if p[1].value == p[0].value {
            // Zero elements asked for: allowed, and the rest of the input is not looked at.
            return Ok(result);
        }
        if p[0].value >= len || p[0].value < 0 {
            return Err(format!("array index out of bounds: index {}, length {len}", p[0].value));
        }
        if p[1].value > len || p[1].value < 0 {
            return Err(format!(
                "array index out of bounds: index {}, length {len}",
                p[1].value - 1
            ));
        }
        if p[0].value > p[1].value {
            return Err(format!(
                "starting index {} is greater than ending index {}",
                p[0].value, p[1].value
            ));
        }
        let step = if p[2].known {
            if p[2].value <= 0 {
                return Err("step must be > 0".into());
            }
            p[2].value as usize
        } else {
            1
        };
        let slice = &items[p[0].value as usize..p[1].value as usize];
        result.extend(slice.iter().step_by(step).cloned());
    }
    Ok(result)
}

/// What a wildcard takes of a value: a map's values (by key, where Go's order is random),
/// a list's items, a string's bytes.
fn children(v: &Value) -> Vec<Value> {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            keys.into_iter().map(|k| m[k.as_str()].clone()).collect()
        }
        Value::Array(items) => items.clone(),
        Value::String(s) => s.bytes().map(Value::from).collect(),
        _ => Vec::new(),
    }
}

/// `..`: each value that has children, followed by its descendants.
fn recursive(input: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for v in input {
        let kids = children(v);
        if !kids.is_empty() {
            out.push(v.clone());
            out.extend(recursive(&kids));
        }
    }
    out
}

/// A value's kind as Go's `text/template` compares it.
enum Basic<'a> {
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a str),
}

fn basic(v: &Value) -> Result<Basic<'_>, String> {
    match v {
        Value::Bool(b) => Ok(Basic::Bool(*b)),
        Value::String(s) => Ok(Basic::Str(s)),
        Value::Number(n) => Ok(match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Basic::Int(i),
            (None, Some(u)) => Basic::Uint(u),
            _ => Basic::Float(n.as_f64().unwrap_or_default()),
        }),
        _ => Err("invalid type for comparison".into()),
    }
}

fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(match (basic(a)?, basic(b)?) {
        (Basic::Bool(x), Basic::Bool(y)) => x == y,
        (Basic::Int(x), Basic::Int(y)) => x == y,
        (Basic::Uint(x), Basic::Uint(y)) => x == y,
        (Basic::Int(x), Basic::Uint(y)) | (Basic::Uint(y), Basic::Int(x)) => x >= 0 && x as u64 == y,
        (Basic::Float(x), Basic::Float(y)) => x == y,
        (Basic::Str(x), Basic::Str(y)) => x == y,
        _ => return Err("incompatible types for comparison".into()),
    })
}

fn less(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(match (basic(a)?, basic(b)?) {
        (Basic::Bool(_), Basic::Bool(_)) => return Err("invalid type for comparison".into()),
        (Basic::Int(x), Basic::Int(y)) => x < y,
        (Basic::Uint(x), Basic::Uint(y)) => x < y,
        (Basic::Int(x), Basic::Uint(y)) => x < 0 || (x as u64) < y,
        (Basic::Uint(x), Basic::Int(y)) => y >= 0 && x < y as u64,
        (Basic::Float(x), Basic::Float(y)) => x < y,
        (Basic::Str(x), Basic::Str(y)) => x < y,
        _ => return Err("incompatible types for comparison".into()),
    })
}

/// A value's Go type once decoded into an unstructured object.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "map[string]interface {}",
        Value::Array(_) => "[]interface {}",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::Null => "<nil>",
    }
}

/// Go's `%v` of an unstructured value (`map[a:1 b:[x y]]`).
fn go_v(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys.iter().map(|k| format!("{k}:{}", go_v(&m[k.as_str()]))).collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(go_v).collect::<Vec<_>>().join(" ")),
        Value::Null => "<nil>".into(),
        v => go_text(v),
    }
}

/// A scalar as `fmt.Fprint` prints it (`evalToText`).
fn go_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => go_float(n.as_f64().unwrap_or_default()),
        Value::Number(n) => n.to_string(),
        v => v.to_string(),
    }
}

/// Go's `%v` of a float64: the shortest digits, in exponent form below 1e-4 or from 1e21.
fn go_float(f: f64) -> String {
    if f == 0.0 || (1e-4..1e21).contains(&f.abs()) {
        return format!("{f}");
    }
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// `json.Marshal` of a value: keys sorted, `<`, `>` and `&` escaped as Go escapes them.
pub(crate) fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                go_json(&m[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(item, out);
            }
            out.push(']');
        }
        Value::String(s) => go_string(s, out),
        v => out.push_str(&v.to_string()),
    }
}

/// `json.MarshalIndent(v, "", "    ")`, as `-o json` prints an object.
pub(crate) fn go_json_indent(v: &Value) -> String {
    fn write(v: &Value, depth: usize, out: &mut String) {
        let pad = |d: usize| "    ".repeat(d);
        match v {
            Value::Object(m) if !m.is_empty() => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push_str("{\n");
                for (i, k) in keys.iter().enumerate() {
                    out.push_str(&pad(depth + 1));
                    go_string(k, out);
                    out.push_str(": ");
                    write(&m[k.as_str()], depth + 1, out);
                    out.push_str(if i + 1 < keys.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(depth));
                out.push('}');
            }
            Value::Array(items) if !items.is_empty() => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&pad(depth + 1));
                    write(item, depth + 1, out);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(depth));
                out.push(']');
            }
            v => go_json(v, out),
        }
    }
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {"metadata": {"name": "a", "labels": {"app": "x", "tier": "gpu"}},
                 "spec": {"nodeName": "n1", "containers": [{"name": "c1", "image": "i1"}, {"name": "c2", "image": "i2"}]},
                 "status": {"phase": "Running", "restartCount": 2, "conditions": [
                     {"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}]}},
                {"metadata": {"name": "b", "labels": {"app": "y"}},
                 "spec": {"containers": [{"name": "c1", "image": "i3"}]},
                 "status": {"phase": "Pending", "restartCount": 0, "conditions": [
                     {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}},
            ],
        })
    }

    /// Templates users type, and what kubectl prints for them.
    #[test]
    fn templates_print_what_kubectl_prints() {
        let cases = [
            ("{.items[*].metadata.name}", "a b"),
            ("{.items[0].status.phase}", "Running"),
            ("{.items[-1].metadata.name}", "b"),
            ("{.items[*].status.restartCount}", "2 0"),
            (
                "{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}{\"\\n\"}{end}",
                "a\tRunning\nb\tPending\n",
            ),
            (
                "{range .items[*]}{.metadata.name}:{range .spec.containers[*]}{.image},{end} {end}",
                "a:i1,i2, b:i3, ",
            ),
            ("{.items[0].status.conditions[?(@.type==\"Ready\")].status}", "True"),
            (
                "{.items[*].status.conditions[?(@.type=='PodScheduled')].status}",
                "True False",
            ),
            ("{.items[?(@.status.restartCount>1)].metadata.name}", "a"),
            ("{.items[?(@.spec.nodeName)].metadata.name}", "a"),
            ("{.items[*].spec.nodeName}", "n1"),
            ("{.items[*].metadata.missing}", ""),
            ("{.items[0].metadata.labels}", "{\"app\":\"x\",\"tier\":\"gpu\"}"),
            ("{.items[0].metadata.labels.*}", "x gpu"),
            ("{.items[0].metadata.labels['app']}", "x"),
            ("{.items[0,1].metadata.name}", "a b"),
            ("{.items[0:1].metadata.name}", "a"),
            ("{..image}", "i1 i2 i3"),
            ("{$.kind}", "List"),
            ("names: {.items[*].metadata.name}!", "names: a b!"),
            // A quoted key is read as a path, dots and all, as kubectl reads it.
            ("{.items[*]['metadata.name']}", "a b"),
            ("{.kind} {.apiVersion}", "List v1"),
            ("{.items[5:5].metadata.name}", ""),
        ];
        for (template, want) in cases {
            let t = Template::parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
            assert_eq!(t.execute(&pods()).as_deref(), Ok(want), "{template}");
        }
    }

    /// A template kubectl cannot parse fails with its message.
    #[test]
    fn bad_templates_fail_as_kubectl_fails() {
        let cases = [
            ("{.items[*]", "unclosed action"),
            ("{.items[}", "unterminated array"),
            ("{.items[?(@.a==\"x\"}", "unterminated filter"),
            ("{.items[?(@.a==\"x\")}", "unclosed array expect ]"),
            ("{\"abc}", "unterminated quoted string"),
            ("{.items[a]}", "invalid array index a"),
            ("{.items[-]}", "array index - is not a number"),
            ("{#}", "unrecognized character in action: U+0023 '#'"),
            ("{....a}", "invalid multiple recursive descent"),
            ("{.a[1.2.3]}", "invalid array index 1.2.3"),
        ];
        for (template, want) in cases {
            assert_eq!(Template::parse(template), Err(want.to_string()), "{template}");
        }
    }

    /// A template that parses can still fail on the data, as kubectl's does.
    #[test]
    fn evaluation_errors_are_kubectls() {
        let cases = [
            (
                "{.items[5].metadata.name}",
                "array index out of bounds: index 5, length 2",
            ),
            ("{end}", "not in range, nothing to end"),
            ("{.kind[0]}", "string is not array or slice"),
            ("{foo}", "unrecognized identifier foo"),
            ("{.items[::0]}", "step must be > 0"),
            (
                "{.items[?(@.status.restartCount==\"2\")].metadata.name}",
                "incompatible types for comparison",
            ),
            (
                "{.items[0].metadata[?(@.x)]}",
                "map[labels:map[app:x tier:gpu] name:a] is not array or slice and cannot be filtered",
            ),
        ];
        for (template, want) in cases {
            let t = Template::parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
            assert_eq!(t.execute(&pods()), Err(want.to_string()), "{template}");
        }
    }

    #[test]
    fn scalars_and_objects_print_as_go_prints_them() {
        let cases = [
            (json!(1.5), "1.5"),
            (json!(1_000_000), "1000000"),
            (json!(0.00001), "1e-05"),
            (json!(true), "true"),
            (json!(null), "null"),
            (
                json!({"b": [1, "<x>"], "a": {}}),
                "{\"a\":{},\"b\":[1,\"\\u003cx\\u003e\"]}",
            ),
        ];
        for (value, want) in cases {
            let t = Template::parse("{.v}").expect("parses");
            assert_eq!(t.execute(&json!({ "v": value })).as_deref(), Ok(want), "{value}");
        }
        assert_eq!(
            go_json_indent(&json!({"b": [], "a": {"x": 1}, "c": [true]})),
            "{\n    \"a\": {\n        \"x\": 1\n    },\n    \"b\": [],\n    \"c\": [\n        true\n    ]\n}"
        );
    }
}

#[cfg(test)]
mod any_template {
    use super::Template;
    use rand::{Rng, SeedableRng};

    /// Whatever a timeline's `-o jsonpath=` holds, multibyte characters and half-written
    /// templates included, parsing and evaluating answers or errs; it never panics.
    #[test]
    fn no_template_panics() {
        let pieces = [
            "{", "}", ".", "[", "]", "*", "?", "(", ")", "@", "\"", "'", "\\", "=", "!", "<", ">", "&", "|", ":", ",",
            "-", "1", "0", "range", "end", "items", "metadata", "name", "é", "→", "日", " ", "\n", "..", "$", "==",
        ];
        let data = serde_json::json!({
            "items": [{"metadata": {"name": "é→日", "labels": {"a.b/c": "x"}}, "n": [1, 2, 3]}],
            "metadata": {"name": "x"}
        });
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(18);
        for _ in 0..20_000 {
            let len = rng.random_range(1..24);
            let text: String = (0..len).map(|_| pieces[rng.random_range(0..pieces.len())]).collect();
            if let Ok(t) = Template::parse(&text) {
                let _ = t.execute(&data);
            }
        }
    }
}

//! The input of the Rust example modules: a deterministic stream of JSON
//! documents (a TOML config, records, regex rewrites, log lines).

use std::fmt::Write as _;

/// A deterministic stream of JSON documents for the Rust modules.
pub fn big_input() -> Vec<u8> {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    const FIRST: [&str; 12] = [
        "ada",
        "Björn",
        "chen",
        "Dmitri",
        "élodie",
        "Fatima",
        "gus",
        "Hiro",
        "Ingrid",
        "josé",
        "Καλλιόπη",
        "Zoë",
    ];
    const LAST: [&str; 6] = ["Lovelace", "Borg", "Wei", "Ivanov", "Martin", "Núñez"];
    const DOMAINS: [&str; 4] = ["example.com", "mail.example.org", "über.example", "test.io"];
    const CITIES: [&str; 5] = ["Zürich", "Lisbon", "Αθήνα", "Kyoto", "Montréal"];

    let mut out = String::new();
    let config = r#"
title = "bench"
[owner]
name = "Rewind"
email = "owner@example.com"
[limits]
max_records = 400
yield_every = 8
[servers.alpha]
ip = "10.0.0.1"
port = 8080
roles = ["frontend", "cache"]
[servers.beta]
ip = "10.0.0.2"
roles = ["db"]
[[rules]]
name = "secrets"
pattern = "(?i)password=\\S+"
replacement = "password=***"
[[rules]]
name = "numbers"
pattern = "\\b\\d{6,}\\b"
replacement = "<n>"
"#;
    let _ = writeln!(
        out,
        "{}",
        serde_json_like_object(&[("kind", "\"config\"".into()), ("toml", json_str(config))])
    );

    for round in 0..3 {
        let mut records = Vec::new();
        for id in 0..150u64 {
            let first = FIRST[next(12) as usize];
            let last = LAST[next(6) as usize];
            let email = if next(5) == 0 {
                "null".to_string()
            } else {
                json_str(&format!(
                    "{}.{}@{}",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    DOMAINS[next(4) as usize]
                ))
            };
            let tags: Vec<String> = (0..next(4))
                .map(|_| json_str(&format!("t{}", next(12))))
                .collect();
            let location = if next(3) == 0 {
                "null".to_string()
            } else {
                format!(
                    r#"{{"lat":{}.{},"lon":{}.{},"city":{}}}"#,
                    next(90),
                    next(1000),
                    next(180),
                    next(1000),
                    json_str(CITIES[next(5) as usize])
                )
            };
            records.push(format!(
                r#"{{"id":{},"name":{},"email":{},"tags":[{}],"score":{}.{},"attributes":{{"rank":{},"big":123456789012345678901234567890.5,"note":{}}},"location":{}}}"#,
                round * 1000 + id,
                json_str(&format!("{first} {last}")),
                email,
                tags.join(","),
                next(100),
                next(100),
                next(10),
                json_str(&format!("password=hunter{} id 12345678 ok", next(100))),
                location
            ));
        }
        let sort = ["id", "name", "score", "distance"][round as usize % 4];
        let _ = writeln!(
            out,
            r#"{{"kind":"records","records":[{}],"filters":[{{"field":"name","pattern":"(?i)^[a-m\\p{{Greek}}]"}},{{"field":"tag","pattern":"^t1?[0-9]$","negate":false}}],"sort_by":"{sort}"}}"#,
            records.join(",")
        );
        let _ = writeln!(
            out,
            r#"{{"kind":"raw","value":{{"records":[{}],"meta":{{"round":{round},"nested":[[1,2,[3,{{"x":null,"y":true}}]],"password=abc"]}}}}}}"#,
            records[..20].join(",")
        );
        let mut text = String::new();
        for i in 0..120 {
            let _ = write!(
                text,
                "On 20{:02}-{:02}-{:02} Σωκράτης met José {i} times. ",
                next(30),
                1 + next(12),
                1 + next(28)
            );
        }
        let _ = writeln!(
            out,
            r#"{{"kind":"rewrite","pattern":"(?P<y>\\d{{4}})-(?P<m>\\d{{2}})-(?P<d>\\d{{2}})","replacement":"$d/$m/$y","text":{},"case_insensitive":true}}"#,
            json_str(&text)
        );
        let lines: Vec<String> = (0..200)
            .map(|i| {
                let kind = ["ERROR", "WARN", "info", "debug"][next(4) as usize];
                let extra = ["disk full", "λόγος", "network down", "ok"][next(4) as usize];
                json_str(&format!("{kind} {i}: {extra}"))
            })
            .collect();
        let _ = writeln!(
            out,
            r#"{{"kind":"classify","patterns":["^ERROR","^WARN","\\bdisk\\b","\\p{{Greek}}+","(?i)^info"],"lines":[{}]}}"#,
            lines.join(",")
        );
    }
    out.into_bytes()
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn serde_json_like_object(fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", json_str(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

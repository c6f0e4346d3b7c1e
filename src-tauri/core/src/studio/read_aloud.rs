//! What a voice should say of a markdown reply, and where to cut long text so the first
//! part can play while the rest is still being synthesized.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The prose of a markdown text: code blocks, markup symbols, URLs, images and raw HTML
/// left out; link text, list items, headings and table cells kept as sentences.
pub fn speakable_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut skip_depth = 0usize;
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_MATH | Options::ENABLE_TASKLISTS;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::Image { .. } | Tag::HtmlBlock) => skip_depth += 1,
            Event::End(TagEnd::CodeBlock | TagEnd::Image | TagEnd::HtmlBlock) => skip_depth = skip_depth.saturating_sub(1),
            _ if skip_depth > 0 => {}
            Event::Text(text) => push_words(&mut out, &text),
            // Short inline code is usually a name worth saying; long snippets are not.
            Event::Code(code) if code.chars().count() <= 24 && !code.contains(['{', ';', '(']) => push_words(&mut out, &code),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => end_sentence(&mut out),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell | TagEnd::TableRow | TagEnd::TableHead,
            ) => end_sentence(&mut out),
            Event::Start(Tag::Item) => end_sentence(&mut out),
            _ => {}
        }
    }
    collapse_spaces(&out)
}

/// Appends text with bare URLs left out.
fn push_words(out: &mut String, text: &str) {
    let mut first = true;
    for word in text.split(' ') {
        let bare = word.trim_matches(|c: char| matches!(c, '(' | ')' | '<' | '>' | ',' | '.' | '"' | '\''));
        let is_url = bare.starts_with("http://") || bare.starts_with("https://") || bare.starts_with("www.");
        if !first {
            out.push(' ');
        }
        first = false;
        if is_url {
            // Keep the punctuation that ended a sentence after the URL.
            if word.ends_with('.') {
                out.push('.');
            }
        } else {
            out.push_str(word);
        }
    }
}

/// Ends a block as a sentence so the voice pauses (no full stop after one already there).
fn end_sentence(out: &mut String) {
    let trimmed = out.trim_end();
    if trimmed.is_empty() {
        return;
    }
    let ends = trimmed.ends_with(['.', '!', '?', ':', ';', '。', '！', '？', '…']);
    out.truncate(trimmed.len());
    out.push_str(if ends { " " } else { ". " });
}

fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    // A block that was all URLs leaves a lone full stop behind.
    out.replace(" .", ".").replace(". .", ".").trim_start_matches(['.', ' ']).to_string()
}

/// Cuts text into parts of at most `max_chars`, at sentence ends where possible (then at
/// spaces, then anywhere). The first part is kept short so playback starts soon.
pub fn split_for_speech(text: &str, first_max: usize, max_chars: usize) -> Vec<String> {
    let sentences = sentences(text);
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    for sentence in sentences {
        let limit = if parts.is_empty() { first_max } else { max_chars };
        if !current.is_empty() && current.chars().count() + 1 + sentence.chars().count() > limit {
            parts.push(std::mem::take(&mut current));
        }
        let limit = if parts.is_empty() { first_max } else { max_chars };
        if sentence.chars().count() > limit {
            for piece in split_long(&sentence, limit) {
                if !current.is_empty() {
                    parts.push(std::mem::take(&mut current));
                }
                current = piece;
            }
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&sentence);
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}

/// Sentences, each with its closing punctuation (Latin and CJK).
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        let cjk_end = matches!(c, '。' | '！' | '？' | '…');
        let latin_end = matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| n.is_whitespace());
        if cjk_end || latin_end {
            let sentence = current.trim().to_string();
            if !sentence.is_empty() {
                out.push(sentence);
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

fn split_long(sentence: &str, limit: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for word in sentence.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > limit {
            pieces.push(std::mem::take(&mut current));
        }
        if word.chars().count() > limit {
            // A run with no spaces (CJK text): cut by characters.
            let chars: Vec<char> = word.chars().collect();
            for chunk in chars.chunks(limit) {
                if !current.is_empty() {
                    pieces.push(std::mem::take(&mut current));
                }
                current = chunk.iter().collect();
            }
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replies the way models write them, and what should be heard.
    const CORPUS: &[(&str, &str)] = &[
        ("Hello **world**, this is *fine*.", "Hello world, this is fine."),
        ("# Title\n\nSome text", "Title. Some text."),
        ("Run this:\n\n```rust\nfn main() { println!(\"hi\"); }\n```\n\nThen stop.", "Run this: Then stop."),
        ("See [the docs](https://example.com/docs) for more.", "See the docs for more."),
        ("Visit https://example.com/a?b=c now.", "Visit now."),
        ("Go to https://example.com.", "Go to."),
        ("- one\n- two\n- three", "one. two. three."),
        ("1. First step\n2. Second step", "First step. Second step."),
        ("Use `cargo build` to compile.", "Use cargo build to compile."),
        ("Call `fn x() { a; b; c }` then.", "Call then."),
        ("![a cat](cat.png)\n\nA cat.", "A cat."),
        ("> Quoted wisdom here", "Quoted wisdom here."),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a. b. 1. 2."),
        ("Math: $x^2$ is squared.", "Math: is squared."),
        ("<div>raw html</div>\n\nText after.", "Text after."),
        ("~~old~~ new", "old new."),
        ("你好。这是一个测试！", "你好。这是一个测试！"),
        ("Line one  \nLine two", "Line one. Line two."),
    ];

    #[test]
    fn markdown_replies_are_spoken_as_prose() {
        for (markdown, heard) in CORPUS {
            assert_eq!(&speakable_text(markdown), heard, "for {markdown:?}");
        }
    }

    #[test]
    fn long_text_is_cut_at_sentence_ends_with_a_short_first_part() {
        let text = "One two three. Four five six. Seven eight nine. Ten eleven twelve.";
        let parts = split_for_speech(text, 16, 40);
        assert_eq!(parts, vec!["One two three.", "Four five six. Seven eight nine.", "Ten eleven twelve."]);
        for part in &parts {
            assert!(part.chars().count() <= 40);
        }
    }

    #[test]
    fn a_sentence_longer_than_a_part_is_cut_at_spaces_and_cjk_by_characters() {
        let long = "word ".repeat(30);
        let parts = split_for_speech(long.trim(), 20, 20);
        assert!(parts.iter().all(|p| p.chars().count() <= 20), "{parts:?}");
        assert_eq!(parts.join(" "), long.trim());
        let cjk = "字".repeat(50);
        let parts = split_for_speech(&cjk, 20, 20);
        assert_eq!(parts.concat(), cjk);
        assert!(parts.iter().all(|p| p.chars().count() <= 20));
    }

    #[test]
    fn decimals_and_versions_do_not_end_sentences() {
        assert_eq!(sentences("It costs 3.50 dollars. Version 2.1 is out."), vec!["It costs 3.50 dollars.", "Version 2.1 is out."]);
    }
}

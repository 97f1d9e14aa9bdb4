//! The sentence finder: plain text (as extracted from a Word document) to sentences with
//! line numbers and section headings.
//!
//! The text is read line by line. A line is page furniture (a page number, a contents entry
//! ending in a page number), a bullet or numbered step, or text. Text lines wrapped in the
//! middle of a sentence are joined (the next line starts in lower case, or the line is long and
//! has no closing punctuation); a short line standing alone is a heading. A paragraph ending in
//! `:` (or without punctuation, before a list) is the list's lead-in: it is not a sentence of
//! its own, but its words go with each item ("Users must not:" + "Reveal confidential
//! information").

/// One sentence of the source document.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Sentence {
    /// The sentence, with wrapped lines joined and runs of whitespace collapsed.
    pub text: String,
    /// The 1-based line it starts on.
    pub line: usize,
    /// The section heading in force (`"4.2 Mobile phones"`, `"Appendix B: Passwords"`), or
    /// `""` before the first heading.
    pub section: String,
    /// Whether it is an item of a bullet list or a numbered step.
    pub step: bool,
    /// The lead-in of the list it is an item of ("Users must not:").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
}

/// What one source line is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum LineKind {
    Blank,
    /// Page numbers, contents entries and other text that is not the document's prose.
    Furniture,
    /// A bullet or numbered item; the text after its marker.
    Item(String),
    /// Anything else; `true` when it held a tab between words (a table row, never a heading).
    Text(String, bool),
}

/// A paragraph or list item: lines joined, with the offset in `text` where each line starts.
#[derive(Clone, Debug)]
struct Block {
    text: String,
    lines: Vec<(usize, usize)>,
    item: bool,
    /// Whether it may be a heading (a single line that is not a table row).
    single_line: bool,
    /// Whether it is a table row (cells separated by tabs): its cells read as steps.
    cells: bool,
}

impl Block {
    fn new(line: usize, text: &str, item: bool) -> Block {
        Block {
            text: text.to_owned(),
            lines: vec![(0, line)],
            item,
            single_line: true,
            cells: false,
        }
    }

    fn push(&mut self, line: usize, text: &str) {
        self.text.push(' ');
        self.lines.push((self.text.len(), line));
        self.text.push_str(text);
        self.single_line = false;
    }

    /// The line that holds byte `offset` of the joined text.
    fn line_at(&self, offset: usize) -> usize {
        self.lines
            .iter()
            .take_while(|(start, _)| *start <= offset)
            .last()
            .map_or(0, |(_, line)| *line)
    }
}

/// Every sentence of `text`, in document order.
pub fn sentences(text: &str) -> Vec<Sentence> {
    scan(text).0
}

/// Every sentence of `text`, and the text of every heading (as written).
pub(crate) fn scan(text: &str) -> (Vec<Sentence>, Vec<String>) {
    let blocks = blocks(text);
    let mut out = Vec::new();
    let mut headings = Vec::new();
    let mut heading = Heading::default();
    let mut lead: Option<String> = None;
    // Whether the current lead-in already has list items (a new lead-in then replaces it).
    let mut lead_has_items = false;
    let mut iter = blocks.iter().peekable();
    while let Some(block) = iter.next() {
        let next_is_item = iter.peek().is_some_and(|b| b.item);
        let introduces_list = next_is_item && block.text.trim_end().ends_with(':');
        if !block.item && block.single_line && !introduces_list {
            if let Some(h) = heading_text(&block.text) {
                heading.set(&h);
                headings.push(block.text.clone());
                lead = None;
                continue;
            }
        }
        let pieces = split(&block.text);
        let ends_open = !ends_closed(&block.text);
        let is_lead = !block.item
            && (block.text.trim_end().ends_with(':') || (ends_open && next_is_item))
            && (next_is_item || block.text.trim_end().ends_with(':'));
        // The lead-in is a sentence too ("An immediate referral should be made if:"), and
        // its words go with each item.
        let lead_piece = if is_lead {
            pieces.last().cloned()
        } else {
            None
        };
        if !block.item && !is_lead {
            lead = None;
            lead_has_items = false;
        }
        for (offset, piece) in pieces {
            out.push(Sentence {
                text: piece,
                line: block.line_at(offset),
                section: heading.current.clone(),
                step: block.item || block.cells,
                lead: if block.item { lead.clone() } else { None },
            });
        }
        if block.item {
            lead_has_items = true;
        }
        if let Some((_, piece)) = lead_piece {
            lead = match lead.take() {
                Some(prev) if !lead_has_items => Some(format!("{prev} {piece}")),
                _ => Some(piece),
            };
            lead_has_items = false;
        }
    }
    (out, headings)
}

/// The heading in force: a numbered or plain heading, under the appendix it belongs to.
#[derive(Default)]
struct Heading {
    appendix: Option<String>,
    current: String,
}

impl Heading {
    fn set(&mut self, h: &str) {
        let first = h.split_whitespace().next().unwrap_or("");
        if first.eq_ignore_ascii_case("appendix") {
            let label: Vec<&str> = h.split_whitespace().take(2).collect();
            let label = label.join(" ");
            let label = label.trim_end_matches([':', '-', '.', ',']).to_owned();
            self.appendix = Some(label);
            self.current = h.to_owned();
        } else if first.starts_with(|c: char| c.is_ascii_digit()) {
            self.appendix = None;
            self.current = h.to_owned();
        } else if let Some(appendix) = &self.appendix {
            self.current = format!("{appendix}: {h}");
        } else {
            self.current = h.to_owned();
        }
    }
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut gap = true;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        match line_kind(raw) {
            LineKind::Blank => gap = true,
            LineKind::Furniture => {}
            LineKind::Item(t) => {
                out.push(Block::new(line, &t, true));
                gap = false;
            }
            LineKind::Text(t, tabbed) => {
                let joins = out.last().is_some_and(|b| joins(b, &t, gap));
                match out.last_mut() {
                    Some(b) if joins => b.push(line, &t),
                    _ => {
                        let mut b = Block::new(line, &t, false);
                        b.single_line = !tabbed;
                        b.cells = tabbed;
                        out.push(b);
                    }
                }
                gap = false;
            }
        }
    }
    out
}

/// Whether text line `t` continues block `b` (a sentence wrapped across lines).
fn joins(b: &Block, t: &str, gap: bool) -> bool {
    if ends_closed(&b.text) {
        return false;
    }
    let starts_lower = t.chars().next().is_some_and(char::is_lowercase);
    if starts_lower {
        return true;
    }
    // No blank line between, and the previous line was a long line cut mid-sentence.
    let last_line_len = b
        .lines
        .last()
        .and_then(|(start, _)| b.text.get(*start..))
        .map_or(0, |s| s.chars().count());
    !gap && last_line_len >= 60 && heading_text(&b.text).is_none()
}

/// Whether `s` ends a sentence (or a clause that cannot be continued on the next line).
fn ends_closed(s: &str) -> bool {
    let t = s
        .trim_end()
        .trim_end_matches(['"', '\'', ')', '’', '”', '*']);
    t.ends_with(['.', '!', '?', ':', ';'])
}

const BULLETS: [char; 9] = ['-', '–', '—', '•', '·', '▪', '◦', '●', '*'];

fn line_kind(raw: &str) -> LineKind {
    let line = raw.trim_start_matches('\u{feff}');
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return LineKind::Blank;
    }
    if is_furniture(line, trimmed) {
        return LineKind::Furniture;
    }
    let collapsed = collapse(trimmed);
    if let Some(rest) = item_text(&collapsed) {
        return LineKind::Item(rest);
    }
    let tabbed = trimmed.contains('\t');
    LineKind::Text(collapsed, tabbed)
}

/// Page numbers, "Page 3 of 12", contents entries ("Use of email\t2", "1. Introduction.....3").
fn is_furniture(line: &str, trimmed: &str) -> bool {
    if trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace())
    {
        return true;
    }
    let lower = trimmed.to_lowercase();
    if lower.starts_with("page ") && lower.split_whitespace().nth(1).is_some_and(is_number) {
        return lower.split_whitespace().count() <= 4;
    }
    if lower.contains("error! bookmark not defined") {
        return true;
    }
    // A contents entry: a tab or a run of dots, then a page number at the end.
    let last = trimmed.split_whitespace().last().unwrap_or("");
    let leader = line.contains('\t') || trimmed.contains("....");
    leader
        && is_number(last)
        && trimmed.split_whitespace().count() <= 16
        && !ends_closed_prose(trimmed)
}

/// Whether a contents-looking line is in fact a sentence (ends with a full stop before the
/// number): never the case for contents entries.
fn ends_closed_prose(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    words.len() > 12
        && words
            .iter()
            .rev()
            .nth(1)
            .is_some_and(|w| w.ends_with('.') && !w.ends_with(".."))
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of a bullet or numbered item, without its marker; `None` for other lines.
fn item_text(s: &str) -> Option<String> {
    let mut chars = s.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    // `**bold**` is emphasis, not a bullet.
    if BULLETS.contains(&first) && !s.starts_with("**") {
        let text = rest.trim_start_matches(BULLETS).trim();
        return (!text.is_empty()).then(|| text.to_owned());
    }
    // `o Towards the end...`: a Word sub-bullet.
    if first == 'o' && rest.starts_with(' ') {
        let text = rest.trim();
        if text.chars().next().is_some_and(char::is_uppercase) {
            return Some(text.to_owned());
        }
    }
    // `1.`, `2)`, `a)`, `(iii)`, `4.2.`: a numbered step, when what follows reads as a
    // sentence (a numbered heading has no closing punctuation and is short).
    let (marker, text) = s.split_once(' ')?;
    let bare = marker.trim_start_matches('(').trim_end_matches([')', '.']);
    let numbered = !bare.is_empty()
        && marker.ends_with(['.', ')'])
        && (bare.chars().all(|c| c.is_ascii_digit() || c == '.')
            || (bare.chars().count() == 1 && bare.chars().all(|c| c.is_ascii_lowercase()))
            || (bare.chars().all(|c| matches!(c, 'i' | 'v' | 'x')) && marker.ends_with(')')));
    if numbered && heading_text(s).is_none() {
        let text = text.trim();
        return (!text.is_empty()).then(|| text.to_owned());
    }
    None
}

/// Lower-case words, for tests on a line's shape.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn has_modal(s: &str) -> bool {
    words(s).iter().any(|w| {
        matches!(
            w.as_str(),
            "must" | "should" | "will" | "shall" | "may" | "can" | "cannot" | "need" | "needs"
        )
    })
}

/// The heading a line states, normalised (`"2. Responsibilities"` → `"2 Responsibilities"`,
/// `**bold**` marks dropped), or `None` when it is not a heading.
fn heading_text(line: &str) -> Option<String> {
    let t = collapse(&line.replace("**", ""));
    let t = t.trim();
    let n_words = t.split_whitespace().count();
    let appendix = t
        .split_whitespace()
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("appendix"))
        && n_words <= 25
        && !t.ends_with('.');
    if appendix {
        return Some(t.to_owned());
    }
    if t.is_empty() || n_words > 12 || t.chars().count() > 100 {
        return None;
    }
    let first = t.chars().next()?;
    if !(first.is_uppercase() || first.is_ascii_digit()) {
        return None;
    }
    if t.ends_with(['.', ',', ';', '!', '?']) && !t.ends_with("..") {
        // "1." alone is not a heading either; "2. Responsibilities." is rare enough.
        return None;
    }
    if t.ends_with(':') {
        // "Governors:" is a heading; "Users must not:" and "These include:" introduce lists.
        if n_words > 4 || has_modal(t) || n_words < 1 {
            return None;
        }
        let lower = t.to_lowercase();
        if lower.starts_with("these ") || lower.starts_with("this ") || lower.contains(" include") {
            return None;
        }
        return Some(t.trim_end_matches(':').trim().to_owned());
    }
    // A numbered heading: `4.2 Mobile phones`, `2. Responsibilities`.
    let (head, rest) = t.split_once(' ').unwrap_or((t, ""));
    let number = head.trim_end_matches('.');
    if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let rest = rest.trim().trim_end_matches(['.', ':']).trim();
        let ok = rest.chars().next().is_some_and(char::is_uppercase) && !has_modal(rest);
        return ok.then(|| format!("{number} {rest}"));
    }
    // A short line of words: no modal verb (a heading names, it does not require), and not a
    // sentence fragment ending in a small word.
    if has_modal(t) && n_words > 3 {
        return None;
    }
    let last = words(t).pop().unwrap_or_default();
    if matches!(
        last.as_str(),
        "the"
            | "a"
            | "an"
            | "and"
            | "or"
            | "of"
            | "to"
            | "in"
            | "for"
            | "with"
            | "by"
            | "that"
            | "is"
            | "are"
    ) {
        return None;
    }
    Some(t.trim_end_matches(['-', '–']).trim().to_owned())
}

/// Words after which a full stop does not end a sentence.
const ABBREVIATIONS: [&str; 22] = [
    "e.g", "i.e", "eg", "ie", "etc", "mr", "mrs", "ms", "dr", "st", "no", "vs", "approx", "incl",
    "cf", "viz", "prof", "rev", "dept", "fig", "ref", "nb",
];

/// Split a paragraph into sentences, each with its byte offset in `text`.
fn split(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0usize;
    while let Some(&(at, c)) = chars.get(i) {
        i += 1;
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        // Closing quotes and brackets stay with the sentence they end.
        let mut end = at + c.len_utf8();
        while let Some(&(j, d)) = chars.get(i) {
            if matches!(d, '"' | '\'' | ')' | '’' | '”' | '*' | '.') {
                end = j + d.len_utf8();
                i += 1;
            } else {
                break;
            }
        }
        let Some(&(_, after)) = chars.get(i) else {
            break;
        };
        if !after.is_whitespace() {
            continue;
        }
        let next = chars
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .map(|(_, d)| *d)
            .find(|d| !d.is_whitespace());
        let starts_new = next.is_some_and(|d| {
            d.is_uppercase() || d.is_ascii_digit() || matches!(d, '"' | '“' | '‘' | '(' | '*' | '•')
        });
        if !starts_new || c == '.' && is_abbreviation(text.get(start..at).unwrap_or("")) {
            continue;
        }
        push_piece(&mut out, text, start, end);
        start = end;
    }
    push_piece(&mut out, text, start, text.len());
    out
}

fn push_piece(out: &mut Vec<(usize, String)>, text: &str, start: usize, end: usize) {
    let Some(piece) = text.get(start..end) else {
        return;
    };
    let lead = piece.len() - piece.trim_start().len();
    let piece = piece.trim();
    if !piece.is_empty() {
        out.push((start + lead, piece.to_owned()));
    }
}

/// Whether the word just before a full stop is an abbreviation or an initial.
fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("")
        .trim_start_matches(['(', '"', '\'', '‘', '“'])
        .to_lowercase();
    if word.chars().count() == 1 && word.chars().all(char::is_alphabetic) {
        return true;
    }
    ABBREVIATIONS.contains(&word.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(doc: &str) -> Vec<String> {
        sentences(doc).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn wrapped_lines_are_joined_and_keep_the_first_line_number() {
        // Kenilworth §Visiting online sites and downloading, wrapped as in the seed.
        let doc = "Visiting online sites and downloading\n\nStaff must preview sites, software and apps before their use in school or before\nrecommending them to pupils. Before using any online service that requires user\naccounts to be created or the sharing of any personal data, staff must consult with\nthe Data Protection Officer with details of the site/service.\n";
        let s = sentences(doc);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].text,
            "Staff must preview sites, software and apps before their use in school or before recommending them to pupils."
        );
        assert_eq!(s[0].line, 3);
        assert_eq!(s[1].line, 4);
        assert_eq!(s[0].section, "Visiting online sites and downloading");
    }

    #[test]
    fn a_sentence_broken_by_a_page_gap_is_joined() {
        let doc = "Parents/carers may only use phones in designated areas. Under no\n\ncircumstance should images be taken at any time.\n";
        assert_eq!(
            texts(doc),
            [
                "Parents/carers may only use phones in designated areas.",
                "Under no circumstance should images be taken at any time."
            ]
        );
    }

    #[test]
    fn abbreviations_do_not_end_sentences() {
        let doc = "Users must not send emails which are upsetting (i.e. cyberbullying). Any material e.g. promotion of violence, etc. is banned. Mr. Sajid and Mrs. Khan lead. Report it.\n";
        assert_eq!(
            texts(doc),
            [
                "Users must not send emails which are upsetting (i.e. cyberbullying).",
                "Any material e.g. promotion of violence, etc. is banned.",
                "Mr. Sajid and Mrs. Khan lead.",
                "Report it."
            ]
        );
    }

    #[test]
    fn headings_numbered_and_appendix_sections() {
        let doc = "Contents\n\n1.\tIntroduction\t1\n\tUse of email\t2\n\n2. Responsibilities\n\nAll breaches of this policy must be reported to Fiona Ajose.\n\n4.2 Mobile phones\n\nPhones must be off.\n\nAppendix B - Online Safety Acceptable Use Agreement\n\nPasswords\n\nI must clarify what access I may have.\n\nPage 3 of 12\n\n14\n";
        let s = sentences(doc);
        let got: Vec<(&str, usize)> = s.iter().map(|s| (s.section.as_str(), s.line)).collect();
        assert_eq!(
            got,
            [
                ("2 Responsibilities", 8),
                ("4.2 Mobile phones", 12),
                ("Appendix B: Passwords", 18)
            ]
        );
    }

    #[test]
    fn list_items_carry_their_lead_in_which_is_a_sentence_too() {
        // Kenilworth §Visiting online sites: two lead-ins before the list.
        let doc = "Users must not:\n\nVisit internet sites, make, post, download, upload or pass on, material, remarks, proposals or comments that contain or relate to:\n\n- Indecent images of children\n- Adult material that breaches the Obscene Publications Act in the UK\n\nUsers must not:\n\n- Reveal or publicise confidential or proprietary information\n\n• Use software or hardware that has been prohibited by the school\n\nOnly a school device may be used.\n\n- pupils\n";
        let s = sentences(doc);
        let got: Vec<(&str, bool, Option<&str>)> = s
            .iter()
            .map(|s| (s.text.as_str(), s.step, s.lead.as_deref()))
            .collect();
        let both = "Users must not: Visit internet sites, make, post, download, upload or pass on, material, remarks, proposals or comments that contain or relate to:";
        let first = "Visit internet sites, make, post, download, upload or pass on, material, remarks, proposals or comments that contain or relate to:";
        assert_eq!(
            got,
            [
                ("Users must not:", false, None),
                (first, false, None),
                ("Indecent images of children", true, Some(both)),
                (
                    "Adult material that breaches the Obscene Publications Act in the UK",
                    true,
                    Some(both)
                ),
                ("Users must not:", false, None),
                (
                    "Reveal or publicise confidential or proprietary information",
                    true,
                    Some("Users must not:")
                ),
                (
                    "Use software or hardware that has been prohibited by the school",
                    true,
                    Some("Users must not:")
                ),
                ("Only a school device may be used.", false, None),
                ("pupils", true, None),
            ]
        );
    }

    #[test]
    fn a_lead_in_without_a_colon_before_a_list() {
        // Kenilworth: "Under no circumstance should pupils use ... to take images of" + list.
        let doc = "Under no circumstance should pupils use their personal mobile devices/phones to take images of\n\n- any other pupil unless they and their parents have given agreement in advance\n- any member of staff\n\nThe school is not responsible for the loss.\n";
        let s = sentences(doc);
        assert_eq!(s.len(), 4);
        assert_eq!(
            s[2].lead.as_deref(),
            Some("Under no circumstance should pupils use their personal mobile devices/phones to take images of")
        );
        assert_eq!(s[3].lead, None);
    }

    #[test]
    fn duke_street_dot_bullets_and_lines_without_blank_lines() {
        let doc = "All staff \nKey responsibilities: \n· Understand that online safety is a core part of safeguarding; as such it is part of everyone’s job – never think that someone else will pick it up.\n· Record online-safety incidents in the same way as any safeguarding incident and report in accordance with school procedures.  \nComputing Lead – Natalie Ainsworth \n";
        let s = sentences(doc);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].text, "Key responsibilities:");
        assert_eq!(s[0].section, "All staff");
        assert!(s[2].text.starts_with("Record online-safety incidents"));
        assert!(s[2].step);
    }

    #[test]
    fn numbered_steps_are_items_and_numbered_headings_are_not() {
        let doc = "6. Incident Management\n\n1. Report the incident to the DSL.\n2) Keep the device safe.\n";
        let s = sentences(doc);
        assert_eq!(s.len(), 2);
        assert!(s
            .iter()
            .all(|s| s.step && s.section == "6 Incident Management"));
        assert_eq!(s[0].text, "Report the incident to the DSL.");
    }

    #[test]
    fn odd_input_never_panics() {
        for doc in [
            "",
            "\n\n",
            ".",
            "...",
            "1.",
            "- ",
            "•",
            "o ",
            "(",
            "Appendix",
            "a. b. c.",
            "é.É. ü",
            "\u{feff}x",
        ] {
            let _ = sentences(doc);
        }
    }
}

//! Whether a quotation accounts for a sentence.
//!
//! Both are normalised first: runs of whitespace become one space; curly quotes and
//! apostrophes become straight ones; dashes become `-`; bullet glyphs, a `-` standing alone
//! (a list marker copied into a quote) and `**` emphasis marks are dropped. Case is kept.
//!
//! A quote may be shortened with `…` or `...`; its fragments must then appear in the
//! sentence in order. A sentence is covered when the quote (every fragment, in order) lies
//! inside it, or when it lies inside one fragment of the quote (a quote spanning several
//! sentences, or a list item quoted with its lead-in).

/// `s` normalised for comparison (see the module documentation).
pub fn normalise(s: &str) -> String {
    let mapped: String = s
        .replace('*', "")
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => '"',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '•' | '·' | '▪' | '◦' | '●' => ' ',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect();
    mapped
        .split(' ')
        .filter(|w| !w.is_empty() && *w != "-")
        .collect::<Vec<_>>()
        .join(" ")
}

/// The normalised fragments of a quote, split at `…` / `...`, with the punctuation and
/// spaces at their ends trimmed. Empty fragments are dropped.
pub(crate) fn fragments(quote: &str) -> Vec<String> {
    quote
        .replace("...", "…")
        .split('…')
        .map(|f| trim_ends(strip_marker(trim_ends(&normalise(f)))).to_owned())
        .filter(|f| !f.is_empty())
        .collect()
}

/// A fragment without the list marker it was copied with (`1. `, `a) `, `- `).
fn strip_marker(s: &str) -> &str {
    let Some((marker, rest)) = s.split_once(' ') else {
        return s;
    };
    let bare = marker.trim_end_matches(['.', ')']);
    let numbered = marker.len() > bare.len()
        && !bare.is_empty()
        && (bare.chars().all(|c| c.is_ascii_digit())
            || (bare.chars().count() == 1 && bare.chars().all(|c| c.is_ascii_lowercase())));
    if numbered {
        rest
    } else {
        s
    }
}

fn trim_ends(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '.' | ',' | ';' | ':' | '!' | '?'))
}

/// Whether `quote` accounts for `sentence` (both as written; see the module documentation).
pub fn covers(quote: &str, sentence: &str) -> bool {
    covers_fragments(&fragments(quote), &normalise(sentence))
}

/// [`covers`] with the quote already split and the sentence already normalised.
pub(crate) fn covers_fragments(frags: &[String], sentence: &str) -> bool {
    if frags.is_empty() {
        return false;
    }
    let mut pos = 0usize;
    let mut all_inside = true;
    for f in frags {
        match sentence.get(pos..).and_then(|rest| rest.find(f.as_str())) {
            Some(i) => pos += i + f.len(),
            None => {
                all_inside = false;
                break;
            }
        }
    }
    if all_inside {
        return true;
    }
    let bare = trim_ends(sentence);
    !bare.is_empty() && frags.iter().any(|f| f.contains(bare))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_quotes_and_dashes_are_normalised_case_is_not() {
        assert_eq!(
            normalise("It’s  the “home—school”\tagreement"),
            "It's the \"home-school\" agreement"
        );
        assert!(!covers(
            "it's the home-school agreement",
            "It’s the home–school agreement."
        ));
        assert!(covers(
            "It's the home-school agreement",
            "It’s the home–school agreement."
        ));
    }

    #[test]
    fn a_shortened_quote_covers_its_sentence_when_its_fragments_are_in_order() {
        let sentence = "Staff should not ask to see the evidence of reported indecent images of children or young people but must refer this immediately to the police.";
        assert!(covers("Staff should not ask to see the evidence … but must refer this immediately to the police", sentence));
        assert!(covers(
            "…must refer this immediately to the police.",
            sentence
        ));
        assert!(covers("Staff should not ask ... the police.", sentence));
        // Out of order, or a fragment that is not there.
        assert!(!covers("must refer this … Staff should not ask", sentence));
        assert!(!covers(
            "Staff should not ask … to the headteacher",
            sentence
        ));
        assert!(!covers("…", sentence));
        assert!(!covers("", sentence));
    }

    #[test]
    fn a_sentence_inside_a_longer_quote_is_covered() {
        let quote = "Never reply to the sender/poster of cyberbullying content. If applicable, block the sender.";
        assert!(covers(
            quote,
            "Never reply to the sender/poster of cyberbullying content."
        ));
        assert!(covers(quote, "If applicable, block the sender."));
        // A list item quoted with its lead-in and the marker.
        let quote = "Under no circumstance should pupils use their personal mobile devices/phones to take images of - any other pupil unless they and their parents have given agreement in advance";
        assert!(covers(
            quote,
            "any other pupil unless they and their parents have given agreement in advance"
        ));
        assert!(!covers(quote, "any member of staff"));
        // A numbered item quoted with its number.
        assert!(covers(
            "1. The incident involves an adult",
            "The incident involves an adult"
        ));
        // Emphasis marks copied or not.
        assert!(covers(
            "Please raise any safeguarding concerns",
            "Please raise **any** safeguarding concerns arising from your visit."
        ));
    }
}

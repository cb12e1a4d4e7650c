"""Text normalisation and ranking shared by both databases' full-text indexes.

Both databases index text that Python normalised first (casefolded with the Turkic dotted and
dotless I handled, diacritics stripped, split into words), and queries are normalised the same
way. The index (FTS5 on SQLite, a GIN tsvector index on PostgreSQL) only finds candidates; the
ranking is computed here, over those candidates, so both databases return the same results in
the same order. PostgreSQL's unaccent extension is not needed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

WORD = re.compile(r"[^\W_]+")
# A query word matches the indexed words that start with its first letters: all but its last two
# (a suffix), at least 3 and at most 5. Shorter words match exactly.
PREFIX_MIN = 3
PREFIX_LEN = 5

# Letters NFKD does not take apart: Azerbaijani schwa and dotless i, and a few others.
_FOLD = str.maketrans({"ə": "e", "ı": "i", "ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae",
                       "œ": "oe", "ё": "е", "й": "и"})

def fold(text: str) -> str:
    """Lower case without diacritics: `İstanbul`, `ISTANBUL`, `ıstanbul` all become `istanbul`,
    `Şəki` becomes `seki`, `Ёлка` becomes `елка`."""
    text = text.replace("İ", "i").replace("I", "i")  # Turkic and Latin I alike: i
    text = text.casefold().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


STOPWORDS = frozenset(fold(w) for w in """
a an and are as at be but by can could do does for from have how i if in into is it its me my
no not of on or our please so that the their there this to was we what when where which who why
will with would you your yours am been being did doing had has he her him his she they them
than then these those us about any some get got hi hello thanks thank want need yet hasn don
doesn isn didn wasn much many tell know also just still
ve ya ile bu o bir ne nece niye neye ucun mi mu men sen biz siz onlar da de ki hem amma ancaq
ki eger var yox olar olur edir etmek etmem mene sene bize size salam zehmet olmasa hansi kim harada
haqqinda uzre ise her cox istəyirəm isteyirem olarmi mumkundur mumkun bilerem bilerik edim
qeder nece neçə
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне
было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до
вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя
их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого
какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда
можно при наконец два об другой хоть после над больше тот через эти нас про всего них какая
много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им
более всегда конечно всю между здравствуите привет пожалуиста можно как мои ваш ваши вашеи
хочу сколько какои какая какие ли есть
""".split())


def words(text: str) -> list[str]:
    return WORD.findall(fold(text))


def index_text(text: str) -> str:
    """What the database indexes: the folded words, space-separated, so that FTS5's unicode61
    tokenizer and PostgreSQL's `simple` parser split it into exactly the same words."""
    return " ".join(words(text))


@dataclass(frozen=True)
class Term:
    text: str
    prefix: bool

    def matches(self, word: str) -> bool:
        return word.startswith(self.text) if self.prefix else word == self.text


def query_terms(query: str, drop_stopwords: bool = True) -> list[Term]:
    """Long words match by their first letters: a crude stemmer that suits Azerbaijani's and
    Russian's suffixes (`çatdırılma`, `çatdırılır`) as well as English's."""
    out: dict[str, Term] = {}
    all_words = words(query)
    kept = ([w for w in all_words if w not in STOPWORDS and len(w) > 1] if drop_stopwords
            else all_words)
    for word in kept or all_words:
        term = (Term(word[:min(PREFIX_LEN, max(PREFIX_MIN, len(word) - 2))], True)
                if len(word) >= PREFIX_MIN else Term(word, False))
        out.setdefault(term.text + ("*" if term.prefix else ""), term)
    return list(out.values())[:32]


def fts5_query(terms: Iterable[Term]) -> str:
    return " OR ".join(f'"{t.text}"' + ("*" if t.prefix else "") for t in terms)


def tsquery(terms: Iterable[Term]) -> str:
    return " | ".join(f"'{t.text}'" + (":*" if t.prefix else "") for t in terms)


# The inbox's message search: every word of the query must be in one message, whole words except
# the last, which matches as a prefix (the one being typed) once it has two letters or more.
MESSAGE_QUERY_WORDS = 16


def message_query_words(query: str) -> list[str]:
    """The folded words of an inbox search, deduplicated; punctuation (`_`, `%`, `\\`, quotes,
    `*`, `-`) separates words exactly as it does in the indexed text, so it is never syntax."""
    return list(dict.fromkeys(words(query)))[:MESSAGE_QUERY_WORDS]


def _last_is_prefix(found: list[str]) -> bool:
    return len(found[-1]) >= 2


def fts5_all(found: list[str]) -> str:
    """An FTS5 query requiring every word; the words are letters and digits only, and quoted,
    so `OR`, `NEAR` or `NOT` are words like any other."""
    return " ".join(f'"{w}"' for w in found) + ("*" if _last_is_prefix(found) else "")


def tsquery_all(found: list[str]) -> str:
    """The same as a PostgreSQL tsquery literal (cast, not parsed: no stemming, no stop words)."""
    return " & ".join(f"'{w}'" for w in found) + (":*" if _last_is_prefix(found) else "")


def like_patterns(found: list[str]) -> list[str]:
    """The same as LIKE patterns over `' ' || words || ' '` (the words hold no `%`, `_` or `\\`)."""
    last = len(found) - 1
    return [f"% {w}%" if i == last and _last_is_prefix(found) else f"% {w} %"
            for i, w in enumerate(found)]


@dataclass
class Scored:
    key: str
    score: float
    coverage: float  # idf-weighted share of the query's terms the document contains
    matched: list[Term]


TITLE_WEIGHT = 3
UNKNOWN_WEIGHT = 0.5
K1 = 1.2
B = 0.75


def rank(terms: list[Term], docs: list[tuple[str, str, str]], total: int,
         avg_len: float) -> list[Scored]:
    """BM25 over candidates `(key, title words, body words)`, title words counting thrice.

    Every document holding a term is a candidate, so a term's document frequency counted over
    the candidates is its frequency over the whole collection: the scores are exact BM25."""
    split = [(key, title.split(), body.split()) for key, title, body in docs]
    df = {t: sum(1 for _, tw, bw in split if any(t.matches(w) for w in tw + bw)) for t in terms}
    total = max(total, len(split), 1)
    idf = {t: math.log(1 + (total - df[t] + 0.5) / (df[t] + 0.5)) for t in terms}
    # A word no article holds weighs less than a matched one in the confidence: visitors' own
    # words ("jacket", "bought") should not sink an answer; a question of only such words still
    # scores zero.
    weight_all = sum(idf[t] * (UNKNOWN_WEIGHT if df[t] == 0 else 1.0) for t in terms) or 1.0
    avg_len = avg_len or 1.0
    out = []
    for key, tw, bw in split:
        length = TITLE_WEIGHT * len(tw) + len(bw)
        score = 0.0
        matched = []
        for t in terms:
            tf = TITLE_WEIGHT * sum(1 for w in tw if t.matches(w)) + sum(1 for w in bw if t.matches(w))
            if tf:
                matched.append(t)
                score += idf[t] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avg_len))
        if matched:
            out.append(Scored(key, score, min(1.0, sum(idf[t] for t in matched) / weight_all),
                              matched))
    out.sort(key=lambda s: (-round(s.score, 9), s.key))
    return out


_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_AZ_LETTERS = re.compile(r"[əğışçöüƏĞİŞÇÖÜ]")


def guess_locale(text: str) -> str | None:
    """ru for Cyrillic, az for Azerbaijani letters; None when the letters do not tell (plain
    ASCII is English or Azerbaijani typed without its letters)."""
    if _CYRILLIC.search(text):
        return "ru"
    if _AZ_LETTERS.search(text):
        return "az"
    return None

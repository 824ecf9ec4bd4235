"""Find the customer a query or question is about.

Three signals, strongest first: an exact email or id; a lexical match on names,
preferred names and companies (typo-tolerant, because local Chroma has no
keyword search); and the meaning of the text against each customer's history,
notes and profile vectors ("the cafe owner in Leeds who complained about grind
size").
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.index.store import Hit, VectorStore
from bot.knowledge.models import Customer
from bot.services.namekeys import CompanyPhrases, fact_names
from bot.services.text import COMMON_WORDS, EMAIL_RE, NAME_WORD_RE, capitalised_words, fold, stem, stems, words

MatchKind = Literal[
    "id", "email", "name", "preferred_name", "first_name", "last_name", "company", "role", "fact", "description"
]

# Weights of each kind of lexical evidence: a full name says more than a first name.
WEIGHTS: dict[str, float] = {
    "name": 1.0,
    "preferred_name": 0.9,
    "company": 0.85,
    "first_name": 0.8,
    "last_name": 0.75,
    "role": 0.7,
    "fact": 0.8,  # a proper noun of their `facts` (a pet, a site): names them as a first name does
}
EXTRA_EVIDENCE = 0.12  # per further kind of evidence: "Sam from Kestrel Dental" over every other Sam
SEMANTIC_DECIDES = 0.12  # two customers named alike are told apart by their histories only by this much
LEXICAL_SHARE = 0.8  # with a name match, the description only breaks near-ties
TIE_MARGIN = 0.03
PARTIAL_COMPANY = 0.8  # the leading word of a company name alone ("Greenway" for Greenway Couriers)
# Capitalised words that follow a first name without being a surname ("Tell Jane Thursday").
NOT_SURNAMES = frozenset(
    {
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        *("january", "february", "march", "april", "may", "june", "july", "august"),
        *("september", "october", "november", "december"),
        *("hi", "hello", "thanks", "thank", "dear", "re", "fwd"),
        *("christmas", "easter", "diwali", "eid", "hanukkah", "thanksgiving", "black", "cyber", "new", "our", "the"),
        *("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "vip", "fyi", "urgent", "ok", "okay", "yes"),
        *("no", "sorry", "hey", "cheers", "regards", "best", "happy", "birthday", "congratulations", "congrats"),
    }
)
MIN_DESCRIPTION_SCORE = 0.35
PROFILE_WORD_BONUS = 0.03  # per question word in their company, role, tags or interests ("the bakery in Bristol")
FILTERED_QUERY_LIMIT = 8
COMPANY_STOPWORDS = frozenset({"ltd", "limited", "co", "inc", "llc", "plc", "the", "and", "of", "gmbh", "&"})


@dataclass
class Match:
    customer: Customer
    score: float
    matched: MatchKind
    evidence: list[Hit] = field(default_factory=list)
    tie: bool = False
    named_by: frozenset[str] = frozenset()  # the words of the query that named them (lexical matches)
    position: int = 0  # where in the query they were first named


@dataclass
class Lexical:
    score: float
    kind: MatchKind
    tokens: frozenset[str]
    position: int
    spelled: float = 0.0  # how closely the query spells their name, before weighing which name it is


def _max_edits(token: str) -> int:
    if len(token) <= 3:
        return 0
    return 1 if len(token) < 8 else 2


NOT_NAMES = COMMON_WORDS | NOT_SURNAMES
PERSON_KINDS = frozenset({"name", "first_name", "last_name", "preferred_name"})
NAME_PARTS = frozenset({"first", "last", "preferred"})  # the name index's kinds of words
_NAME = r"[A-ZÀ-ÖØ-Þ][\w'’-]+"
ADDRESSEE_RE = re.compile(
    rf"\b(?:reply to|respond to|answer|write to|tell|send|email|text|call|message) (?P<a>{_NAME})\b"
    rf"|(?:^|[.?!]\s+)(?P<b>{_NAME}) (?:emailed|asked|wrote|called|texted|rang|messaged|said|wants|needs"
    r"|complained|replied|is asking|has asked)\b"
)


def capitalised_pairs(text: str) -> list[tuple[str, str]]:
    """Neighbouring words that both start with a capital ("Priya Patel"), emails left out."""
    tokens = NAME_WORD_RE.findall(EMAIL_RE.sub(" ", text))
    return [(a, b) for a, b in itertools.pairwise(tokens) if a[0].isupper() and b[0].isupper()]


class NameIndex:
    """Name, preferred-name and company tokens of every customer, for fuzzy lookup."""

    def __init__(self, customers: dict[str, Customer], vocabulary: frozenset[str] = frozenset()) -> None:
        self.customers = customers
        self.by_email = {fold(c.email): c.id for c in customers.values() if c.email}
        self.by_token: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.company_shape: dict[str, tuple[int, str]] = {}  # customer id -> (company words, leading word)
        self.role_size: dict[str, int] = {}
        roles: dict[frozenset[str], set[str]] = defaultdict(set)
        for c in customers.values():
            parts = words(c.name)  # empty for a name in a script without ASCII letters after folding
            if parts:
                self._add(parts[0], c.id, "first")
            for part in parts[1:]:
                self._add(part, c.id, "last")
                if "'" in part or "’" in part:  # O'Connor is also written "OConnor" or "O Connor"
                    self._add(re.sub("['’]", "", part), c.id, "last")
                    self._add(re.split("['’]", part)[-1], c.id, "last")
            role = {part for part in words(c.role or "") if part not in COMPANY_STOPWORDS}
            for part in role:
                self._add(part, c.id, "role")
            self.role_size[c.id] = len(role)
            roles[frozenset(role)].add(c.id)
            if c.preferred_name and words(c.preferred_name) != parts[:1]:
                for part in words(c.preferred_name):
                    self._add(part, c.id, "preferred")
            company = [part for part in words(c.company or "") if part not in COMPANY_STOPWORDS]
            for part in company:
                self._add(part, c.id, "company")
            self.company_shape[c.id] = (len(set(company)), company[0] if company else "")
        self.vocab = list(self.by_token)
        # A role several customers hold ("Owner") names none of them alone; it still adds to other evidence.
        self.shared_role = {cid for holders in roles.values() if len(holders) > 1 for cid in holders}
        self.vocabulary = vocabulary

    # Built on first use (they read every customer's file): a snapshot that only serves ids costs nothing.
    @cached_property
    def fact_names(self) -> dict[str, frozenset[str]]:
        """Proper nouns of the customers' facts -> their customers; matched exactly, written with a capital."""
        return fact_names(self.customers, NOT_NAMES | self.vocabulary)

    @cached_property
    def phrases(self) -> CompanyPhrases:
        return CompanyPhrases(self.customers, COMPANY_STOPWORDS, self.vocabulary)

    def _add(self, token: str, cid: str, kind: str) -> None:
        self.by_token[token].add((cid, kind))

    def token_hits(self, token: str) -> list[tuple[str, float]]:
        """Vocabulary tokens close to `token`, with a similarity in (0, 1]."""
        if token in self.by_token:
            return [(token, 1.0)]
        limit = _max_edits(token)
        if limit == 0:
            return []
        found = process.extract(token, self.vocab, scorer=OSA.distance, score_cutoff=limit, limit=None)
        return [(word, 1.0 - dist / max(len(token), len(word))) for word, dist, _ in found if word[0] == token[0]]

    def lexical(self, text: str, vocabulary: frozenset[str] = frozenset()) -> dict[str, Lexical]:
        """Customers named in `text`. A word written in lower case that is an everyday word or a word of the
        folder's playbook and content ("the per-seat price", "what does it cost") names nobody."""
        text = EMAIL_RE.sub(" ", text)  # an address is matched whole (exact) or not at all, never by its parts
        capitals = capitalised_words(text)
        seen: dict[str, dict[str, float]] = defaultdict(dict)  # cid -> kind:word -> similarity
        used: dict[str, dict[str, int]] = defaultdict(dict)  # cid -> query token -> position
        positions = {token: i for i, token in enumerate(dict.fromkeys(words(text)))}
        for cid, run in self.phrases.find(text).items():
            seen[cid]["phrase:" + " ".join(run)] = 1.0
            used[cid].update({token: positions[token] for token in run})
        for token, position in positions.items():
            for cid in self.fact_names.get(token, ()) if token in capitals else ():
                seen[cid][f"fact:{token}"] = 1.0
                used[cid].setdefault(token, position)
            if (token in COMMON_WORDS or token in vocabulary) and token not in capitals:
                continue
            for vocab_word, sim in self.token_hits(token):
                for cid, kind in self.by_token[vocab_word]:
                    seen[cid][f"{kind}:{vocab_word}"] = max(seen[cid].get(f"{kind}:{vocab_word}", 0), sim)
                    used[cid].setdefault(token, position)
        found: dict[str, Lexical] = {}
        for cid, hits in seen.items():
            if self._only_partial_company(cid, hits):
                continue  # "espresso" names hundreds of "... Espresso Bar"s: none of them alone
            score, kind = self._score(cid, hits)
            if score > 0:
                tokens = used[cid]
                person = [sim for key, sim in hits.items() if key.split(":", 1)[0] in NAME_PARTS]
                found[cid] = Lexical(score, kind, frozenset(tokens), min(tokens.values()), max(person, default=0.0))
        return found

    def strangers(self, text: str, vocabulary: frozenset[str] = frozenset()) -> dict[str, str]:
        """Our name words written next to a name nobody here has, with that name: 'Priya Patel' is not
        our Priya Raghunathan, 'Mary Smith' not our Zoë Kowalczyk-Smith. A word the knowledge folder
        uses ("Peggy Yirgacheffe is back") or a verb or title ("Ring Peggy", "Mrs Hughes") is no name."""
        found: dict[str, str] = {}
        for first, second in capitalised_pairs(text):
            a, b = words(first), words(second)
            if len(a) != 1 or len(b) != 1 or len(b[0]) == 1:
                continue  # "Rosie C": an initial, not a stranger's surname
            kinds_a, kinds_b = self._kinds(a[0]), self._kinds(b[0])
            # The unknown side must look like a name: not an everyday word, a title, a product we sell.
            if kinds_a & {"first", "preferred"} and not kinds_b and b[0] not in NOT_NAMES and b[0] not in vocabulary:
                found[a[0]] = b[0]  # "Priya Patel", "Grace Kelly"
            elif (
                kinds_b == {"last"}
                and not kinds_a
                and a[0] not in NOT_NAMES
                and a[0] not in vocabulary
                and not first[1:].isupper()
            ):
                found[b[0]] = a[0]  # "Mary Smith" (only for a word that is nobody's first name)
        return found

    def _kinds(self, token: str) -> set[str]:
        return {kind for word, _ in self.token_hits(token) for _, kind in self.by_token[word]}

    def unknown_addressee(self, text: str) -> bool:
        """'Hana emailed about…', 'reply to Oyelaran': a name we do not know is who the question is about."""
        for m in ADDRESSEE_RE.finditer(EMAIL_RE.sub(" ", text)):
            word = m.group("a") or m.group("b")
            folded = words(word)
            if (
                len(folded) == 1
                and folded[0] not in NOT_NAMES
                and folded[0] not in self.fact_names
                and not self.token_hits(folded[0])
            ):
                return True
        return False

    def _score(self, cid: str, hits: dict[str, float]) -> tuple[float, MatchKind]:
        by_kind: dict[str, list[float]] = defaultdict(list)
        for key, sim in hits.items():
            by_kind[key.split(":", 1)[0]].append(sim)
        options: list[tuple[float, MatchKind]] = []
        first, last = by_kind.get("first"), by_kind.get("last")
        if first and last:
            options.append((WEIGHTS["name"] * (max(first) + max(last)) / 2, "name"))
        if first:
            # Someone addressed by their first name is named by it as much as another is by a preferred name.
            c = self.customers[cid]
            weight = WEIGHTS["preferred_name"] if fold(c.display_name) == fold(c.first_name) else WEIGHTS["first_name"]
            options.append((weight * max(first), "first_name"))
        if last:
            options.append((WEIGHTS["last_name"] * max(last), "last_name"))
        if by_kind.get("preferred"):
            options.append((WEIGHTS["preferred_name"] * max(by_kind["preferred"]), "preferred_name"))
        roles = by_kind.get("role")
        role_named = roles is not None and len(roles) >= self.role_size[cid]
        if roles and role_named and cid not in self.shared_role:
            options.append((WEIGHTS["role"] * min(roles), "role"))
        company_hits = by_kind.get("company")
        if company_hits:
            needed, lead = self.company_shape[cid]
            if len(company_hits) >= needed:
                options.append((WEIGHTS["company"] * min(company_hits), "company"))
            elif f"company:{lead}" in hits and self._distinctive(lead, cid):
                # "Greenway" for Greenway Couriers: the leading word of a company name, when it is nobody else's
                options.append((PARTIAL_COMPANY * hits[f"company:{lead}"], "company"))
        if by_kind.get("fact"):
            options.append((WEIGHTS["fact"], "fact"))
        if by_kind.get("phrase"):
            options.append((PARTIAL_COMPANY, "company"))  # "the greyhound rescue": part of their company name
        if not options:
            return 0.0, "name"
        best = max(options)
        groups = {"person" if kind in PERSON_KINDS else kind for _, kind in options} | (
            {"role"} if role_named else set()
        )
        return best[0] + EXTRA_EVIDENCE * (len(groups) - 1), best[1]

    def _only_partial_company(self, cid: str, hits: dict[str, float]) -> bool:
        """Cheap test before scoring: the hits are some words of their company, and not enough to count."""
        if any(not key.startswith("company:") for key in hits):
            return False
        needed, lead = self.company_shape[cid]
        return len(hits) < needed and f"company:{lead}" not in hits

    def _distinctive(self, token: str, cid: str) -> bool:
        return len(token) >= 4 and token not in COMMON_WORDS and self.by_token.get(token) == {(cid, "company")}


class CustomerFinder:
    def __init__(
        self, customers: dict[str, Customer], store: VectorStore | None, vocabulary: frozenset[str] = frozenset()
    ) -> None:
        self.customers = customers
        self.names = NameIndex(customers, vocabulary)
        self.store = store
        self.vocabulary = vocabulary  # words of the content library and playbook: product names, places

    def _profile_stems(self, cid: str) -> frozenset[str]:
        c = self.customers[cid]
        return stems(" ".join(filter(None, [c.company, c.role, *c.tags, *c.interests])))

    def _same_person(self, cid: str, other: str) -> bool:
        """Whether the word next to their first name is still theirs: 'Fatima Alsayed' for Fatima
        Al-Sayed, or a word from their own file ('Peggy Yirgacheffe is back', from her history)."""
        c = self.customers[cid]
        joined = "".join(words(c.name)[1:])
        local = fold((c.email or "").split("@")[0])
        if other in (joined, local) or (joined and other in local) or other in words(local):
            return True
        return stem(other) in stems(" ".join([c.notes_text, *(e.text for e in c.history), *c.interests]))

    def exact(self, text: str) -> Match | None:
        stripped = text.strip()
        if stripped in self.customers:
            return Match(self.customers[stripped], 1.0, "id")
        emails = [fold(e) for e in EMAIL_RE.findall(text)]
        ids = [self.names.by_email[e] for e in emails if e in self.names.by_email]
        ids += [w for w in stripped.split() if w in self.customers]
        unique = list(dict.fromkeys(ids))
        if len(unique) == 1:
            return Match(self.customers[unique[0]], 1.0, "email" if emails else "id")
        return None

    def semantic(self, text: str, n: int = 60) -> dict[str, list[Hit]]:
        if self.store is None:
            return {}
        hits: dict[str, list[Hit]] = defaultdict(list)
        for hit in self.store.query("customers", text, n):
            cid = str(hit.metadata.get("customer_id", ""))
            if cid in self.customers:
                hits[cid].append(hit)
        return hits

    def semantic_for(self, cid: str, text: str, n: int = 3) -> list[Hit]:
        """This customer's best-matching records (for breaking ties between name matches)."""
        if self.store is None:
            return []
        return self.store.query("customers", text, n, where={"customer_id": cid})

    def _names_a_stranger(self, text: str) -> bool:
        """'Zebedee Quartermaine' matched no name: no description match, however strong, stands in for them."""
        pairs = capitalised_pairs(text)
        known = self.names.by_token.keys() | self.names.fact_names.keys() | self.vocabulary if pairs else set()
        for first, second in pairs:
            if min(len(first), len(second)) < 2:  # "R&D", "Rosie C": an abbreviation or an initial, no full name
                continue
            pair = (fold(first), fold(second))
            if all(w not in NOT_NAMES and w not in known for w in pair):
                return True
        return False

    def names_someone(self, text: str) -> bool:
        """Whether a question that matched nobody still names a person: an email address, a stranger's
        full name, or an unknown addressee ("reply to Oyelaran"). A single capitalised word may be a
        place or a product, so it does not count."""
        return bool(
            EMAIL_RE.search(text)
            or self._names_a_stranger(text)
            or self.names.unknown_addressee(text)
            or self.names.strangers(text, self.vocabulary)
        )

    def find(self, text: str, limit: int = 10) -> list[Match]:
        exact = self.exact(text)
        if exact:
            return [exact]
        # An address that is nobody's here names a stranger: never guess someone by meaning instead.
        unknown_email = any(fold(e) not in self.names.by_email for e in EMAIL_RE.findall(text))
        lexical = self.names.lexical(text, self.vocabulary)
        strangers = self.names.strangers(text, self.vocabulary)
        lexical = self._by_initial(text, lexical)
        lexical = {
            cid: lx
            for cid, lx in lexical.items()
            if not (
                lx.kind in ("first_name", "preferred_name", "last_name")
                and lx.tokens <= set(strangers)
                and not any(self._same_person(cid, strangers[t]) for t in lx.tokens)
            )
        }
        if lexical and len(lexical) <= FILTERED_QUERY_LIMIT:
            semantic = {cid: self.semantic_for(cid, text) for cid in lexical}
        elif lexical or not (unknown_email or strangers or self.names.unknown_addressee(text)):
            semantic = self.semantic(text)
        else:
            semantic = {}
        sem_score = {cid: max(h.score for h in hs) for cid, hs in semantic.items() if hs}
        matches: list[Match] = []
        if lexical:
            for cid, lx in lexical.items():
                score = LEXICAL_SHARE * lx.score + (1 - LEXICAL_SHARE) * max(sem_score.get(cid, 0.0), 0.0)
                matches.append(
                    Match(
                        self.customers[cid],
                        score,
                        lx.kind,
                        semantic.get(cid, []),
                        named_by=lx.tokens,
                        position=lx.position,
                    )
                )
        elif semantic and not self._names_a_stranger(text):
            asked = {stem(w) for w in words(text) if w not in COMMON_WORDS}
            for cid, score in sem_score.items():
                if score >= MIN_DESCRIPTION_SCORE:
                    score += PROFILE_WORD_BONUS * len(asked & self._profile_stems(cid))
                    matches.append(Match(self.customers[cid], score, "description", semantic[cid]))
        matches.sort(key=lambda m: (-m.score, m.customer.id))
        matches = matches[:limit]
        for m in matches:
            m.score = round(min(m.score, 1.0), 3)
        if len(matches) > 1 and matches[0].score - matches[1].score <= TIE_MARGIN:
            for m in matches:
                m.tie = matches[0].score - m.score <= TIE_MARGIN
        elif lexical and len(matches) > 1:
            # Named alike ("Sam"): their histories tell them apart only when one fits far better.
            top = matches[0]
            # Alike: as good a match, or the same words spelling each one's name as closely ("Desmond" is
            # the first name of two: the one who goes by "Des" is not thereby someone else).
            best = lexical[top.customer.id]
            alike = [
                m
                for m in matches
                if abs(lexical[m.customer.id].score - best.score) <= 0.01
                or (
                    lexical[m.customer.id].kind == best.kind
                    and best.kind in PERSON_KINDS
                    and lexical[m.customer.id].tokens == best.tokens
                    and abs(lexical[m.customer.id].spelled - best.spelled) <= 0.01
                )
            ]
            if len(alike) > 1 and all(
                sem_score.get(top.customer.id, 0.0) - sem_score.get(m.customer.id, 0.0) < SEMANTIC_DECIDES
                for m in alike
            ):
                for m in alike:
                    m.tie = True
        return matches

    def _by_initial(self, text: str, lexical: dict[str, Lexical]) -> dict[str, Lexical]:
        """'Rosie C': of the customers named Rosie, the one whose surname starts with C."""
        initials = {fold(a): b[0].lower() for a, b in capitalised_pairs(text) if len(b.rstrip(".")) == 1}
        if not initials:
            return lexical
        kept = {}
        for cid, lx in lexical.items():
            surname = words(self.customers[cid].name)[1:]
            named = [t for t in lx.tokens if t in initials]
            if named and surname and not any(s.startswith(initials[t]) for t in named for s in surname):
                continue
            kept[cid] = lx
        return kept

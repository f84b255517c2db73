"""Turning what people write in a cell into the IRIs the graph uses.

For the importer. Everything is looked up in the store (the vocabularies in
``lcg:vocab`` and the entities already there), once per import, by engine
queries: provinces by Thai or English name, alternative label or ISO/DOPA
code; concepts of a code list by code, label or notation; cities, partners,
spaces… by IRI, ``kind/slug``, slug or exact name; age ranges such as
``60+``, ``15-24`` or ``ทุกช่วงวัย``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lcgraph.namespaces import LCID, LCV, sparql_prefixes
from lcgraph.store import Repository

KIND_CLASSES = {
    "city": "LearningCity",
    "partner": "PartnerOrganisation",
    "network": "Network",
    "administrator": "CityLearningAdministrator",
    "space": "LearningSpace",
    "asset": "KnowledgeAsset",
    "activity": "LearningActivity",
}
ALL_AGES = ("ทุกช่วงวัย", "ทุกวัย", "ทุกเพศทุกวัย", "all ages", "all-ages", "all", "everyone", "ทุกคน")
_PREFIXES = sparql_prefixes("skos", "rdfs", "lc", "schema", "rdf")


_PROVINCE_WORD_TH = re.compile(r"^จังหวัด\s*")
_PROVINCE_WORD_EN = re.compile(r"\s+province$")
_SEPARATORS = re.compile(r"[\s_\-–.]+")


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Case-, space- and dash-insensitive form of a name, for matching (the cells of a sheet repeat)."""
    text = unicodedata.normalize("NFC", str(text)).strip().lower()
    text = _PROVINCE_WORD_TH.sub("", text)
    text = _PROVINCE_WORD_EN.sub("", text)
    return _SEPARATORS.sub("", text)


class LookupError_(ValueError):  # noqa: N801 - "LookupError" is a builtin
    """A cell names something we cannot find; messages in Thai and English."""

    def __init__(self, message_th: str, message_en: str) -> None:
        self.message_th = message_th
        self.message_en = message_en
        super().__init__(f"{message_en} / {message_th}")


@dataclass(frozen=True)
class Suggestion:
    """A code a misspelt cell may have meant, with its labels by language."""

    code: str
    labels: dict[str, str]


_THAI = re.compile("[\u0e00-\u0e7f]")


@dataclass(frozen=True)
class AgeGroup:
    iri: str
    low: int
    high: int


class Lookups:
    """Name -> IRI tables built from the store (one query per table)."""

    def __init__(self, ds: Repository) -> None:
        self.ds = ds
        self._schemes: dict[str, dict[str, set[str]]] = {}
        self._scheme_labels: dict[str, dict[str, dict]] = {}
        self._entities: dict[str, dict[str, set[str]]] = {}
        # Rows of this import, per kind, made findable only when a later row looks that kind up.
        self._pending: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
        self._remembered: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._city_province: dict[str, str] | None = None
        self._age_groups: list[AgeGroup] | None = None

    def _rows(self, sparql: str) -> list[dict[str, Any]]:
        return self.ds.select(_PREFIXES + sparql)

    # -- code lists -----------------------------------------------------------

    def scheme(self, name: str) -> dict[str, set[str]]:
        if name not in self._schemes:
            table: dict[str, set[str]] = defaultdict(set)
            rows = self._rows(f"""SELECT ?c ?name WHERE {{
                ?c skos:inScheme <{LCV}{name}> .
                OPTIONAL {{ ?c skos:prefLabel|skos:altLabel|skos:notation ?name }} }}""")
            for row in rows:
                iri = row["c"].value
                if "name" in row:
                    table[normalise(row["name"].value)].add(iri)
                table[normalise(iri.rsplit("/", 1)[-1])].add(iri)
                table[iri].add(iri)
            self._schemes[name] = table
        return self._schemes[name]

    def concept(self, scheme: str, text: str) -> str:
        found = self.scheme(scheme).get(normalise(text), set())
        if len(found) == 1:
            return next(iter(found))
        if not self.scheme(scheme):
            raise LookupError_(
                f"ไม่พบรายการรหัส lcv:{scheme} ในระบบ (ยังไม่ได้โหลดคำศัพท์)",
                f"the code list lcv:{scheme} is not in the store (vocabularies not loaded)",
            )
        if found:
            raise LookupError_(
                f"'{text}' ตรงกับหลายค่าใน lcv:{scheme}: ใช้รหัสแทน",
                f"'{text}' matches several lcv:{scheme} concepts: use the code",
            )
        close = self.similar(scheme, text)
        if close:
            th = " หรือ ".join(f"“{c.labels.get('th') or c.code}” ({c.code})" for c in close)
            en = " or ".join(f"“{c.labels.get('en') or c.code}” ({c.code})" for c in close)
            raise LookupError_(
                f"ไม่รู้จัก '{text}' ในรายการ lcv:{scheme}: หมายถึง {th} หรือไม่",
                f"'{text}' is not in the lcv:{scheme} list: did you mean {en}?",
            )
        examples = ", ".join(
            sorted({i.rsplit("/", 1)[-1] for s in self.scheme(scheme).values() for i in s})[:8]
        )
        raise LookupError_(
            f"ไม่รู้จัก '{text}' ในรายการ lcv:{scheme} (เช่น {examples})",
            f"'{text}' is not in the lcv:{scheme} list (e.g. {examples})",
        )

    def similar(self, scheme: str, text: str, limit: int = 3) -> list[Suggestion]:
        """The concepts of ``scheme`` whose labels, in the language ``text`` is written in, are like it.

        A label that contains the text (or is contained in it) comes first
        ("การอ่าน" finds "การรู้หนังสือและการอ่าน"); others by
        :class:`difflib.SequenceMatcher` ratio, at least 0.6.
        """
        lang = "th" if _THAI.search(text) else "en"
        wanted = normalise(text)
        scored: dict[str, float] = {}
        for code, labels in self._labels(scheme).items():
            for label in labels["all"].get(lang, []) + [code.rsplit("/", 1)[-1]]:
                have = normalise(label)
                if not have or not wanted:
                    continue
                if wanted in have or have in wanted:
                    score = 1.0 + min(len(wanted), len(have)) / max(len(wanted), len(have))
                else:
                    score = difflib.SequenceMatcher(None, wanted, have).ratio()
                if score >= 0.6:
                    scored[code] = max(scored.get(code, 0.0), score)
        best = sorted(scored, key=lambda c: (-scored[c], c))[:limit]
        labels_of = self._labels(scheme)
        return [Suggestion(c.rsplit("/", 1)[-1], labels_of[c]["pref"]) for c in best]

    def _labels(self, scheme: str) -> dict[str, dict[str, dict]]:
        """IRI -> {"pref": {lang: label}, "all": {lang: [labels]}} for one code list."""
        if scheme not in self._scheme_labels:
            table: dict[str, dict[str, dict]] = defaultdict(lambda: {"pref": {}, "all": defaultdict(list)})
            rows = self._rows(f"""SELECT ?c ?l ?pref WHERE {{
                ?c skos:inScheme <{LCV}{scheme}> .
                {{ ?c skos:prefLabel ?l BIND(true AS ?pref) }}
                UNION {{ ?c skos:altLabel ?l BIND(false AS ?pref) }} }}""")
            for row in rows:
                iri, label = row["c"].value, row["l"]
                lang = label.language or "en"
                table[iri]["all"][lang].append(label.value)
                if row["pref"].value == "true":
                    table[iri]["pref"][lang] = label.value
            self._scheme_labels[scheme] = dict(table)
        return self._scheme_labels[scheme]

    def province(self, text: str) -> str:
        try:
            return self.concept("province", text)
        except LookupError_:
            raise LookupError_(
                f"ไม่รู้จักจังหวัด '{text}': ใช้ชื่อจังหวัดภาษาไทยหรืออังกฤษ หรือรหัส เช่น TH-56",
                f"unknown province '{text}': write its Thai or English name or its code, e.g. TH-56",
            ) from None

    # -- entities ---------------------------------------------------------------

    def entities(self, kind: str) -> dict[str, set[str]]:
        if kind not in self._entities:
            table: dict[str, set[str]] = defaultdict(set)
            rows = self._rows(f"""SELECT ?s ?label WHERE {{ ?s a lc:{KIND_CLASSES[kind]} .
                OPTIONAL {{ ?s rdfs:label ?label }} }}""")
            for row in rows:
                iri = row["s"].value
                self._add_entity(table, kind, iri, row["label"].value if "label" in row else None)
            self._entities[kind] = table
        return self._entities[kind]

    @staticmethod
    def _add_entity(table: dict[str, set[str]], kind: str, iri: str, label: str | None) -> None:
        table[iri].add(iri)
        if iri.startswith(str(LCID)):
            local = iri[len(str(LCID)) :]
            table[normalise(local)].add(iri)
            if local.startswith(kind + "/"):
                table[normalise(local[len(kind) + 1 :])].add(iri)
        if label:
            table[normalise(label)].add(iri)

    def remember(self, kind: str, iri: str, labels: list[str]) -> None:
        """Make a row of this import findable by later rows.

        Kept as given until a later row looks up an entity of this kind (a
        sheet of 10,000 new spaces that no row refers to costs nothing here).
        """
        self._pending[kind].append((iri, labels))

    def _rows_of_import(self, kind: str) -> dict[str, set[str]]:
        """The name table of the rows remembered so far (see :meth:`remember`)."""
        table = self._remembered[kind]
        pending = self._pending.get(kind)
        if pending:
            for iri, labels in pending:
                choices: list[str | None] = [*labels] or [None]
                for label in choices:
                    self._add_entity(table, kind, iri, label)
            pending.clear()
        return table

    def entity(self, kinds: tuple[str, ...], text: str) -> str:
        key = text.strip()
        wanted = normalise(key)
        found: set[str] = set()
        for kind in kinds:
            for table in (self.entities(kind), self._rows_of_import(kind)):
                found |= table.get(key, set()) | table.get(wanted, set())
        if len(found) == 1:
            return next(iter(found))
        what_th = {"city": "เมือง", "space": "พื้นที่การเรียนรู้", "asset": "ตัวความรู้"}.get(kinds[0], "หน่วยงาน")
        what_en = {"city": "learning city", "space": "learning space", "asset": "knowledge asset"}.get(
            kinds[0], "organisation or person"
        )
        if found:
            raise LookupError_(
                f"'{text}' ตรงกับ{what_th}หลายรายการ: ใช้รหัสแทน เช่น {sorted(found)[0]}",
                f"'{text}' matches several: use the id, e.g. {sorted(found)[0]}",
            )
        raise LookupError_(
            f"ไม่พบ{what_th} '{text}' ในระบบ: ตรวจชื่อหรือนำเข้าข้อมูลนั้นก่อน",
            f"no {what_en} '{text}' in the graph: check the name or import it first",
        )

    def city_province(self, city: str) -> str | None:
        if self._city_province is None:
            rows = self._rows("SELECT ?c ?p WHERE { ?c a lc:LearningCity ; lc:province ?p }")
            self._city_province = {r["c"].value: r["p"].value for r in rows}
        return self._city_province.get(city)

    def city_in_province(self, province: str) -> str:
        self.city_province("")  # fills the table
        cities = sorted(c for c, p in (self._city_province or {}).items() if p == province)
        if len(cities) == 1:
            return cities[0]
        raise LookupError_(
            f"ระบุเมืองในคอลัมน์เมือง (จังหวัดนี้มีเมืองแห่งการเรียนรู้ {len(cities)} เมือง)",
            f"give the city (the province has {len(cities)} learning cities)",
        )

    # -- age ranges ---------------------------------------------------------------

    def age_groups(self) -> list[AgeGroup]:
        if self._age_groups is None:
            rows = self._rows(f"""SELECT ?c ?lo ?hi WHERE {{ ?c skos:inScheme <{LCV}age-group> ;
                schema:suggestedMinAge ?lo ; schema:suggestedMaxAge ?hi }}""")
            self._age_groups = sorted(
                (AgeGroup(r["c"].value, int(r["lo"].value), int(r["hi"].value)) for r in rows),
                key=lambda a: (a.low, a.high),
            )
        return self._age_groups

    def age_range(self, text: str) -> tuple[list[str], int | None, int | None]:
        """Age groups and (min, max) ages for a cell such as ``60+``, ``15-24`` or ``เยาวชน``."""
        raw = str(text).strip().translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789"))
        low_high = _parse_ages(raw)
        groups = self.age_groups()
        if not groups:
            raise LookupError_(
                "ไม่พบรายการช่วงวัย lcv:age-group ในระบบ",
                "the lcv:age-group list is not in the store (vocabularies not loaded)",
            )
        whole = next((g for g in groups if g.low == 0 and g.high >= 120), None)
        if low_high is None:
            if normalise(raw) in {normalise(a) for a in ALL_AGES} and whole:
                return [whole.iri], 0, 120
            return [self.concept("age-group", raw)], None, None
        low, high = low_high
        if low > high or high > 120:
            raise LookupError_(
                f"ช่วงอายุ '{text}' ไม่ถูกต้อง (0–120 ปี อายุต่ำสุดไม่เกินอายุสูงสุด)",
                f"the age range '{text}' is not valid (0-120 years, lowest first)",
            )
        if whole and low == 0 and high >= 120:
            return [whole.iri], low, high
        chosen = [g.iri for g in groups if g is not whole and g.low <= high and low <= g.high]
        return chosen, low, high


_PLUS = re.compile(r"^(\d{1,3})\s*(?:\+|ปีขึ้นไป|ขึ้นไป|years?\s*(?:and|&)\s*(?:over|older)|and over)$", re.I)
_RANGE = re.compile(r"^(\d{1,3})\s*(?:-|–|—|to|ถึง)\s*(\d{1,3})\s*(?:ปี|years?)?$", re.I)


def _parse_ages(text: str) -> tuple[int, int] | None:
    m = _PLUS.match(text)
    if m:
        return int(m.group(1)), 120
    m = _RANGE.match(text)
    if m:
        return int(m.group(1)), int(m.group(2))
    return None

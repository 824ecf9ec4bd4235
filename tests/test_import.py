"""`rapport import` as an admin runs it: real exports from the platforms' columns, through the CLI."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge import folder
from bot.knowledge.models import Customer
from tests import exports
from tests.conftest import write
from tests.test_cli import rapport

SUMMARY_RE = re.compile(r"created (\d+), (?:would be )?updated (\d+), unchanged (\d+), rejected (\d+)")


def run_import(knowledge: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return rapport("import", *args, "--knowledge", str(knowledge), "--index", str(knowledge.parent / "index"))


def counts(out: str) -> tuple[int, int, int, int]:
    found = SUMMARY_RE.search(out)
    assert found, out
    a, b, c, d = (int(x) for x in found.groups())
    return a, b, c, d


def snapshot(root: Path) -> dict[str, str]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def by_id(root: Path) -> dict[str, Customer]:
    kb = folder.load(root)
    assert kb.errors == [], kb.errors[:3]
    return kb.customers


def check_created(export: exports.Export, customers: dict[str, Customer]) -> None:
    for line, want in export.ok().items():
        got = customers.get(want.id)
        assert got is not None, f"line {line}: {want.id} was not created"
        assert got.name == want.name, line
        assert (got.email or "").casefold() == (want.email or "").casefold(), line
        assert got.contact.marketing_opt_out is want.opt_out, line
        if want.since:
            assert got.customer_since == want.since, line


def test_hubspot_export_every_row_accounted_for_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    export = exports.hubspot(tmp_path / "hubspot-contacts.csv", 400)
    knowledge = tmp_path / "knowledge"
    first = run_import(knowledge, str(export.path), "--no-index")
    assert first.returncode == 1, first.stderr  # some rows were rejected
    assert "preset hubspot (detected:" in first.stdout
    assert counts(first.stdout) == (len(export.ok()), 0, 0, len(export.rejected()))
    assert f"({export.blank_rows} blank rows skipped)" in first.stdout
    for line, want in export.rejected().items():
        assert re.search(rf"^  line {line}: .*{re.escape(want.reason)}", first.stdout, re.M), (line, want.reason)
    check_created(export, by_id(knowledge))
    assert "Marketing contact status" in first.stdout  # shown among the columns not imported: billing, not consent
    assert rapport("check", "--knowledge", str(knowledge)).returncode == 0

    before = snapshot(knowledge)
    again = run_import(knowledge, str(export.path), "--no-index")
    assert counts(again.stdout) == (0, 0, len(export.ok()), len(export.rejected()))
    assert snapshot(knowledge) == before


def test_a_european_salesforce_report_semicolons_windows_1252_and_day_first_dates(tmp_path: Path) -> None:
    export = exports.salesforce_eu(tmp_path / "report.csv", 300)
    knowledge = tmp_path / "knowledge"
    result = run_import(knowledge, str(export.path), "--no-index")
    assert "preset salesforce" in result.stdout and "delimiter ';'" in result.stdout
    assert "read as windows-1252" in result.stdout
    assert counts(result.stdout) == (len(export.ok()), 0, 0, len(export.rejected()))
    customers = by_id(knowledge)
    check_created(export, customers)  # 03.04.2021 is read day-first: the file's own dates prove the order
    assert any(c.company == "Café Müller; Söhne" for c in customers.values())
    assert any(c.name.startswith("Jürgen") for c in customers.values())


def test_a_shopify_export_ids_money_tags_and_sms_consent(tmp_path: Path) -> None:
    export = exports.shopify(tmp_path / "customers_export.csv", 300)
    knowledge = tmp_path / "knowledge"
    result = run_import(knowledge, str(export.path), "--no-index")
    assert result.returncode == 0, result.stdout + result.stderr
    assert counts(result.stdout) == (300, 0, 0, 0)
    customers = by_id(knowledge)
    check_created(export, customers)
    assert all(c.id.startswith("shopify-7") and c.segment == "b2c" for c in customers.values())
    assert all(c.phone == "+447700900123" and c.lifetime_value for c in customers.values())
    tagged = [c for c in customers.values() if "vip" in c.tags]
    assert tagged and all(len(set(c.tags)) == len(c.tags) for c in tagged)
    sms = [c for c in customers.values() if "sms" in c.contact.channels]
    assert sms and all(c.contact.channels[0] == "email" for c in customers.values())


def test_an_xlsx_export_with_excel_dates(tmp_path: Path) -> None:
    export = exports.pipedrive_xlsx(tmp_path / "people.xlsx", 200)
    knowledge = tmp_path / "knowledge"
    result = run_import(knowledge, str(export.path), "--no-index")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "preset pipedrive" in result.stdout and counts(result.stdout) == (200, 0, 0, 0)
    customers = by_id(knowledge)
    check_created(export, customers)  # date cells, serial numbers and text dates alike
    assert customers["pipedrive-1000"].phone == "447700900000" and customers["pipedrive-1000"].tags == ["hot lead"]


STAFF_FILE = """---
id: cus-0042                 # required, unique
name: Jane Okafor
preferred_name: Jane
email: jane@example.com      # work address
segment: b2c
contact:
    channels: [email, phone]   # she asked for calls
    frequency: monthly
loyalty_card: GOLD-7          # a field no CRM carries
tags:
  - newsletter
  - trail running
---
## History
- 2026-10-12 email in: Asked whether the Ridge trail shoe comes in a wide fit.

## Notes
Runs the Peak District half marathon every May.

## Private
Asked us not to mention her divorce.
"""


def test_an_update_changes_only_the_fields_the_crm_carries(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    path = write(knowledge, "customers/jane.md", STAFF_FILE)
    crlf = write(knowledge, "customers/amir.md", STAFF_FILE.replace("cus-0042", "cus-0043").replace("jane@", "amir@"))
    crlf.write_bytes(crlf.read_bytes().replace(b"\n", b"\r\n"))
    csv = tmp_path / "contacts.csv"
    csv.write_text(
        "Name,Email,Phone,Company,Tags,Segment\n"
        'Jane Okafor,JANE@example.com,+44 7700 900123,"Okafor Outdoors, Ltd","Trail Running, vip",b2c\n'
        "Amir Haddad,amir@example.com,,,,\n",
        encoding="utf-8",
    )
    result = run_import(knowledge, str(csv), "--no-index")
    assert result.returncode == 0, result.stdout + result.stderr
    assert counts(result.stdout) == (0, 2, 0, 0)
    new = path.read_text()
    assert new.split("---\n## History")[1] == STAFF_FILE.split("---\n## History")[1]  # the body, byte for byte
    added = [line for line in new.splitlines() if line not in STAFF_FILE.splitlines()]
    removed = [line for line in STAFF_FILE.splitlines() if line not in new.splitlines()]
    assert added == ['phone: "+44 7700 900123"', "company: Okafor Outdoors, Ltd", "  - vip"]
    assert removed == []
    assert new.index("email: jane@example.com") < new.index("phone:") < new.index("company:") < new.index("segment:")
    amir = crlf.read_bytes()
    assert b"name: Amir Haddad\r\n" in amir and amir.count(b"\r\n") == amir.count(b"\n")
    assert b"    channels: [email, phone]   # she asked for calls\r\n" in amir


CONSENT_FOLDER = {
    "customers/ann.md": "id: cus-1\nname: Ann Opted\nemail: ann@example.com\nsegment: b2c\ncontact:\n"
    "  channels: [email]\n  marketing_opt_out: true\n",
    "customers/ben.md": "id: cus-2\nname: Ben Calls\nemail: ben@example.com\nphone: '0113 496 0000'\nsegment: b2c\n"
    "contact:\n  channels: [email, phone]\n",
    "customers/cat.md": "id: cus-3\nname: Cat Phone\nemail: cat@example.com\nphone: '0113 496 0001'\nsegment: b2b\n"
    "contact:\n  channels: [phone]\n  frequency: quarterly\n",
    "customers/dan.md": "id: cus-4\nname: Dan Mails\nemail: dan@example.com\nsegment: b2c\n",
}
CONSENT_CSV = (
    "Name,Email,Accepts Marketing,Do Not Call,Segment\n"
    "Ann Opted,ann@example.com,yes,,b2c\n"
    "Ben Calls,ben@example.com,,yes,b2c\n"
    "Cat Phone,cat@example.com,,yes,b2b\n"
    "Dan Mails,dan@example.com,no,,b2c\n"
)


def test_consent_an_opt_out_always_wins_and_consent_is_never_granted_back_unasked(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    for rel, front in CONSENT_FOLDER.items():
        write(knowledge, rel, f"---\n{front}---\n## History\n")
    csv = tmp_path / "c.csv"
    csv.write_text(CONSENT_CSV, encoding="utf-8")
    result = run_import(knowledge, str(csv), "--no-index")
    out = result.stdout
    assert counts(out) == (0, 3, 1, 0), out
    customers = {c.name: c for c in by_id(knowledge).values()}
    assert customers["Ann Opted"].contact.marketing_opt_out is True  # "yes" does not undo her opt-out
    assert "customers/ann.md: marketing opt-out kept although Accepts Marketing = yes" in out
    assert customers["Ben Calls"].contact.channels == ["email"]
    assert "customers/ben.md: contact.channels: [email, phone] -> [email]  (Do Not Call = yes; line 3)" in out
    assert customers["Cat Phone"].contact.frequency == "never" and customers["Cat Phone"].contact.channels == ["phone"]
    assert "customers/cat.md: contact.frequency: quarterly -> never" in out
    assert customers["Dan Mails"].contact.marketing_opt_out is True
    assert "customers/dan.md: contact.marketing_opt_out: false -> true  (Accepts Marketing = no; line 5)" in out

    granted = run_import(knowledge, str(csv), "--no-index", "--allow-consent-grant")
    grant = "ann.md: contact.marketing_opt_out: true -> false  (Accepts Marketing = yes, --allow-consent-grant"
    assert grant in granted.stdout
    assert by_id(knowledge)["cus-1"].contact.marketing_opt_out is False
    assert by_id(knowledge)["cus-4"].contact.marketing_opt_out is True  # the flag never overrides an opt-out


def test_dry_run_shows_each_change_and_writes_nothing(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    write(knowledge, "customers/ben.md", "---\n" + CONSENT_FOLDER["customers/ben.md"] + "---\n## History\n")
    csv = tmp_path / "c.csv"
    csv.write_text("Name,Email,Company,Segment\nBen Calls,ben@example.com,Calls Ltd,b2c\nNew Person,new@x.org,,b2b\n")
    before = snapshot(knowledge)
    result = run_import(knowledge, str(csv), "--dry-run")
    assert snapshot(knowledge) == before and not (knowledge.parent / "index").exists()
    assert "~ update customers/ben.md  (cus-2, line 2, matched by email)" in result.stdout
    assert "    +company: Calls Ltd" in result.stdout
    assert "+ create customers/new-person.md" in result.stdout and "    segment: b2b" in result.stdout
    assert "would be created 1, would be updated 1, unchanged 0, rejected 0 - dry run, nothing written" in result.stdout


GERMAN_MAP = """
extends: generic
id_prefix: erp
delimiter: ";"
decimal: ","
date_formats: ["%d.%m.%Y"]
columns:
  id: Kundennummer
  first_name: Vorname
  last_name: Nachname
  email: E-Mail
  segment: Kundentyp
  tier: Stufe
  lifetime_value: Umsatz
  customer_since: Kunde seit
values:
  segment: {Privatkunde: b2c, Geschäftskunde: b2b}
  tier: {Gold: vip, Silber: standard}
consent:
  marketing:
    - column: Newsletter
      values: {ja: in, nein: out}
"""


def test_a_map_file_reads_any_export(tmp_path: Path) -> None:
    mapping = tmp_path / "erp.yml"
    mapping.write_text(GERMAN_MAP, encoding="utf-8")
    csv = tmp_path / "kunden.csv"
    csv.write_text(
        "Kundennummer;Vorname;Nachname;E-Mail;Kundentyp;Stufe;Umsatz;Kunde seit;Newsletter\n"
        "K-100;Jürgen;Weiß;j.weiss@example.de;Geschäftskunde;Gold;1.234,50;03.04.2021;nein\n"
        "K-101;Anna;Berg;anna@example.de;Wiederverkäufer;Silber;10;01.02.2020;ja\n"
        "K-102;Eva;Roth;eva@example.de;Privatkunde;Platin;10;01.02.2020;ja\n",
        encoding="utf-8",
    )
    knowledge = tmp_path / "knowledge"
    result = run_import(knowledge, str(csv), "--map", str(mapping), "--no-index")
    assert counts(result.stdout) == (1, 0, 0, 2)
    assert "line 3: unknown segment value 'Wiederverkäufer' in column 'Kundentyp'" in result.stdout
    assert "line 4: unknown tier value 'Platin' in column 'Stufe'" in result.stdout
    jurgen = by_id(knowledge)["erp-k-100"]
    assert (jurgen.segment, jurgen.tier, jurgen.lifetime_value) == ("b2b", "vip", 1234.5)
    assert jurgen.customer_since is not None and jurgen.customer_since.isoformat() == "2021-04-03"
    assert jurgen.contact.marketing_opt_out is True


def test_bad_input_is_named_and_exits_2(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    missing = run_import(knowledge, str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "nope.csv: no such file" in missing.stderr
    csv = tmp_path / "c.csv"
    csv.write_text("Email,Phone\na@b.co,1\n")
    no_name = run_import(knowledge, str(csv))
    assert no_name.returncode == 2 and "no name column" in no_name.stderr and "Email, Phone" in no_name.stderr
    typo = tmp_path / "m.yml"
    typo.write_text("colums:\n  name: Full\n")
    bad_map = run_import(knowledge, str(csv), "--map", str(typo))
    assert bad_map.returncode == 2 and "m.yml: colums: Extra inputs are not permitted" in bad_map.stderr
    csv.write_text("Name,Email\nAnn,a@b.co\n")
    no_segment = run_import(knowledge, str(csv))
    assert no_segment.returncode == 2 and "--segment" in no_segment.stderr
    assert not knowledge.exists()


def test_the_index_follows_or_the_running_bot_is_left_to_it(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    csv = tmp_path / "c.csv"
    csv.write_text("Name,Email\nAnn Lee,ann@example.com\n")
    result = run_import(knowledge, str(csv), "--segment", "b2c")
    assert result.returncode == 0, result.stderr
    assert "indexed: 1 added, 0 changed" in result.stdout
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert "customers/ann-lee.md" in manifest["files"]

    csv.write_text("Name,Email\nAnn Lee,ann@example.com\nBo Li,bo@example.com\n")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time; from filelock import FileLock; "
            f"l=FileLock({str(tmp_path / 'index' / 'index.lock')!r}); l.acquire(); print('held', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = run_import(knowledge, str(csv), "--segment", "b2c")
    finally:
        holder.kill()
        holder.wait()
    assert busy.returncode == 0 and (knowledge / "customers/bo-li.md").is_file()
    assert "the index is owned by a running bot; it re-indexes the changed files itself" in busy.stderr


@pytest.mark.parametrize("name", ["hubspot", "salesforce", "shopify", "pipedrive", "generic"])
def test_every_preset_loads(name: str) -> None:
    from bot.importer.mapping import preset

    spec = preset(name)
    assert spec.id_prefix and ({"name", "first_name"} & set(spec.columns))


def test_the_readme_map_example_is_a_valid_map(tmp_path: Path) -> None:
    from bot.importer.mapping import load_map

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("A map file (`--map`)", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "erp.yml"
    path.write_text(example, encoding="utf-8")
    spec = load_map(path)
    assert spec.columns["email"] == ["E-Mail", "E-Mail privat"] and spec.values["tier"]["*"] == "standard"
    assert spec.columns["name"] == ["name", "full name", "customer name", "contact name"]  # kept from generic

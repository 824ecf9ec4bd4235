"""Generate a realistic synthetic knowledge folder (fixed seed) for benchmarks.

python bench/generate.py OUT_DIR --customers 1000 [--history 20] [--content 500] [--playbook 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

FIRST = [
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Femi",
    "Grace",
    "Hamza",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tariq",
    "Una",
    "Viktor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoe",
    "Amir",
    "Bea",
    "Carlos",
    "Dara",
    "Eli",
    "Farah",
    "Gus",
    "Hana",
    "Ivo",
    "Jude",
    "Kira",
    "Luca",
    "Mina",
    "Noor",
]
LAST = [
    "Okafor",
    "Chen",
    "Patel",
    "Novak",
    "Silva",
    "Murphy",
    "Haddad",
    "Kowalski",
    "Ahmed",
    "Jensen",
    "Rossi",
    "Mensah",
    "Tanaka",
    "Garcia",
    "Fischer",
    "Byrne",
    "Costa",
    "Dubois",
    "Ivanova",
    "Kaur",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Owusu",
    "Petrov",
    "Quist",
    "Romero",
    "Sato",
    "Tran",
    "Usman",
    "Varga",
    "Weber",
]
TOWNS = [
    "Leeds",
    "York",
    "Bristol",
    "Glasgow",
    "Cardiff",
    "Norwich",
    "Bath",
    "Derby",
    "Exeter",
    "Hull",
    "Oxford",
    "Leicester",
]
BUSINESS = ["Cafe", "Bakery", "Office", "Studio", "Bistro", "Deli", "Roastery", "Hotel", "Gym", "Library"]
TOPICS = [
    "espresso",
    "pour-over",
    "cold brew",
    "decaf",
    "grinder maintenance",
    "sustainability",
    "latte art",
    "office coffee",
    "cafe business",
    "origin trips",
    "milk alternatives",
    "home brewing",
    "water chemistry",
]
IN_TEXTS = [
    "Asked when the {topic} order would arrive; the parcel is {days} days late.",
    "Complained that the grind size was too {adj} for their {machine}.",
    "Asked whether the {machine} is still under warranty after {years} years.",
    "Wanted to know if we ship to {town} on Saturdays.",
    "Asked about {topic} beans for a {event} of {people} people.",
    "Said the last bag of house espresso tasted {adj}.",
    "Asked how to return an unopened bag bought {days} days ago.",
]
OUT_TEXTS = [
    "Sent tracking details and apologised for the delay.",
    "Explained the {topic} recipe and suggested a finer grind.",
    "Confirmed the {machine} warranty and booked a repair.",
    "Sent the price list for {kg} kg monthly orders.",
    "Followed up on the {event} order; all {people} cups went well.",
    "Shared the {topic} guide.",
]
MACHINES = ["batch brewer", "espresso machine", "grinder", "moka pot", "AeroPress"]
EVENTS = ["conference", "wedding", "team offsite", "open day", "launch"]
ADJ = ["coarse", "fine", "bitter", "flat", "sour"]
CHANNELS = ["email", "phone", "sms", "slack", "mail"]
FREQ = ["weekly", "monthly", "quarterly", "never"]


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        topic=rng.choice(TOPICS),
        days=rng.randint(2, 14),
        adj=rng.choice(ADJ),
        machine=rng.choice(MACHINES),
        years=rng.randint(1, 3),
        town=rng.choice(TOWNS),
        event=rng.choice(EVENTS),
        people=rng.randint(10, 200),
        kg=rng.choice([5, 10, 20, 40]),
    )


def customer(rng: random.Random, n: int, history: int, today: dt.date) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    b2b = rng.random() < 0.4
    channels = rng.sample(CHANNELS, rng.randint(1, 3))
    lines = [
        "---",
        f"id: cus-{n:06d}",
        f"name: {first} {last}",
        f"email: {first.lower()}.{last.lower()}{n}@example.com",
        f"segment: {'b2b' if b2b else 'b2c'}",
        f"tier: {'vip' if rng.random() < 0.1 else 'standard'}",
    ]
    if b2b:
        lines.append(f"company: {last} {rng.choice(BUSINESS)} {rng.choice(TOWNS)}")
    if rng.random() < 0.2:
        lines.append(f"preferred_name: {rng.choice(FIRST)}")
    lines += [
        f"customer_since: {today - dt.timedelta(days=rng.randint(100, 1500))}",
        "contact:",
        f"  channels: [{', '.join(channels)}]",
        f"  frequency: {rng.choice(FREQ)}",
        f"  marketing_opt_out: {'true' if rng.random() < 0.15 else 'false'}",
        f"interests: [{', '.join(rng.sample(TOPICS, 2))}]",
        f"avoid: [{rng.choice(['discount codes', 'phone calls', 'decaf', 'politics'])}]",
        "---",
        "## History",
    ]
    day = today - dt.timedelta(days=rng.randint(200, 700))
    for _ in range(history):
        day += dt.timedelta(days=rng.randint(1, 20))
        direction = rng.choice(["in", "out"])
        text = _fill(rng, rng.choice(IN_TEXTS if direction == "in" else OUT_TEXTS))
        author = f" ({rng.choice(['Sam', 'Lee', 'Ana', 'Raj'])})" if direction == "out" else ""
        lines.append(f"- {min(day, today)} {rng.choice(channels)} {direction}{author}: {text}")
    lines += ["", "## Notes", _fill(rng, "Runs a {event} every year in {town}."), ""]
    if rng.random() < 0.3:
        lines += ["## Private", f"Sensitive detail number {n}.", ""]
    return "\n".join(lines)


def content(rng: random.Random, n: int) -> str:
    topics = rng.sample(TOPICS, 2)
    return "\n".join(
        [
            "---",
            f"title: {topics[0].title()} notes, part {n}",
            f"url: https://example.org/articles/{n}",
            f"source: {rng.choice(['ours', 'third-party'])}",
            f"topics: [{', '.join(topics)}]",
            f"audience: {rng.choice(['b2b', 'b2c', 'all'])}",
            f"promotional: {'true' if rng.random() < 0.2 else 'false'}",
            "---",
            f"A practical piece on {topics[0]} and {topics[1]} for people who care about their coffee.",
            "",
        ]
    )


def playbook(rng: random.Random, n: int) -> str:
    topic = TOPICS[n % len(TOPICS)]
    body = "\n\n".join(
        f"Rule {i} about {topic}: customers get {rng.randint(5, 30)} days "
        f"for {rng.choice(['returns', 'repairs', 'credits'])}."
        for i in range(rng.randint(3, 8))
    )
    return f"---\ntitle: {topic.title()} policy {n}\ntopics: [{topic}]\n---\n{body}\n"


def generate(
    out: Path, customers: int, history: int = 20, n_content: int = 500, n_playbook: int = 20, seed: int = 42
) -> Path:
    rng = random.Random(seed)
    today = dt.date(2026, 11, 22)
    for sub in ("customers", "content", "playbook"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for n in range(1, customers + 1):
        (out / "customers" / f"c{n:06d}.md").write_text(customer(rng, n, history, today), encoding="utf-8")
    for n in range(1, n_content + 1):
        (out / "content" / f"item-{n:04d}.md").write_text(content(rng, n), encoding="utf-8")
    for n in range(1, n_playbook + 1):
        (out / "playbook" / f"policy-{n:02d}.md").write_text(playbook(rng, n), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--history", type=int, default=20)
    parser.add_argument("--content", type=int, default=500)
    parser.add_argument("--playbook", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    generate(args.out, args.customers, args.history, args.content, args.playbook, args.seed)
    print(args.out)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Builds the labeled PII evaluation set (pii-eval.jsonl) for `./sluice bench pii`.

Seeded, so the committed file can be rebuilt byte for byte:
    python3 benchmarks/pii-eval/generate.py > benchmarks/src/main/resources/io/sluice/bench/pii-eval.jsonl
Another seed draws a fresh set of the same kinds (the detectors were tuned on the committed one):
    python3 benchmarks/pii-eval/generate.py 7 > /tmp/pii-eval-7.jsonl && ./sluice bench pii --dataset /tmp/pii-eval-7.jsonl

Each line: {"text": ..., "pii": [{"type": ..., "value": ...}], "kind": "positive" | "near-miss" | "mixed"}.
Values are synthetic but valid where a checksum exists (Luhn, IBAN mod 97, SSA rules), written in
the formats people type (grouped, ungrouped, international prefixes, parentheses), inside sentences
of the kind a support chat sees. Near-misses are numbers that must survive redaction: order and
invoice numbers, dates, times, versions, ISBNs, tracking numbers, prices, coordinates, UUIDs, MAC
addresses, ratios. Some positives are formats the detectors are not built for (00-prefixed
international numbers, national numbers without a cue word), so recall is measured, not assumed.
"""
import json
import random
import string
import sys

R = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 20261202)

FIRST = ["jane", "maria", "li", "ahmed", "olga", "tom", "priya", "kenji", "fatima", "lucas", "noah", "emma"]
LAST = ["doe", "gonzalez", "wei", "hassan", "petrova", "smith", "sharma", "tanaka", "diallo", "martin", "berg"]
DOMAINS = ["example.com", "mail.acme.co.uk", "correo.es", "web.de", "uni-heidelberg.de", "gmail.com",
           "outlook.com", "company.io", "shop.example.org", "posteo.net"]


def email():
    f, l = R.choice(FIRST), R.choice(LAST)
    local = R.choice([f + "." + l, f + l, f[0] + l, f + "_" + l + str(R.randint(1, 99)), f + "+support",
                      (f + "." + l).upper()])
    return local + "@" + R.choice(DOMAINS)


def luhn_digit(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def card():
    kind = R.choice(["visa", "mc", "amex", "discover", "visa", "mc"])
    if kind == "visa":
        body = "4" + "".join(R.choice(string.digits) for _ in range(14))
    elif kind == "mc":
        body = str(R.randint(51, 55)) + "".join(R.choice(string.digits) for _ in range(13))
    elif kind == "amex":
        body = R.choice(["34", "37"]) + "".join(R.choice(string.digits) for _ in range(12))
    else:
        body = "6011" + "".join(R.choice(string.digits) for _ in range(11))
    number = body + luhn_digit(body)
    style = R.choice(["spaces", "plain", "dashes"])
    if kind == "amex" and style != "plain":
        sep = " " if style == "spaces" else "-"
        return number[:4] + sep + number[4:10] + sep + number[10:]
    if style == "plain":
        return number
    sep = " " if style == "spaces" else "-"
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4))


def bad_card():
    n = card().replace(" ", "").replace("-", "")
    last = str((int(n[-1]) + R.randint(1, 9)) % 10)
    n = n[:-1] + last
    return " ".join(n[i:i + 4] for i in range(0, len(n), 4))


IBAN_SPECS = {"DE": 18, "GB": None, "FR": 23, "ES": 20, "IT": None, "NL": None, "AT": 16, "CH": 17, "BE": 12,
              "PL": 24, "SE": 20, "IE": None}


def iban_check(country, bban):
    rearranged = bban + country + "00"
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return "%02d" % (98 - int(digits) % 97)


def iban():
    country = R.choice(list(IBAN_SPECS))
    if country == "GB" or country == "IE":
        bban = "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
            R.choice(string.digits) for _ in range(14))
    elif country == "IT":
        bban = R.choice(string.ascii_uppercase) + "".join(R.choice(string.digits) for _ in range(10)) + "".join(
            R.choice(string.digits) for _ in range(12))
    elif country == "NL":
        bban = "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
            R.choice(string.digits) for _ in range(10))
    else:
        bban = "".join(R.choice(string.digits) for _ in range(IBAN_SPECS[country]))
    value = country + iban_check(country, bban) + bban
    if R.random() < 0.6:
        value = " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return value


def bad_iban():
    v = iban().replace(" ", "")
    digits = "0123456789"
    last = v[-1]
    replacement = R.choice([d for d in digits if d != last]) if last.isdigit() else "7"
    v = v[:-1] + replacement
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4))


def ssn(dashed=True):
    while True:
        area = R.randint(1, 899)
        if area != 666:
            break
    value = "%03d-%02d-%04d" % (area, R.randint(1, 99), R.randint(1, 9999))
    return value if dashed else value.replace("-", "")


def phone():
    style = R.randint(0, 9)
    if style == 0:
        return "+1 (%03d) %03d-%04d" % (R.randint(201, 989), R.randint(200, 999), R.randint(0, 9999))
    if style == 1:
        return "+44 20 %04d %04d" % (R.randint(1000, 9999), R.randint(0, 9999))
    if style == 2:
        return "+49 %d %d" % (R.randint(30, 89), R.randint(1000000, 99999999))
    if style == 3:
        return "+33 %d %02d %02d %02d %02d" % (R.randint(1, 9), R.randint(0, 99), R.randint(0, 99),
                                              R.randint(0, 99), R.randint(0, 99))
    if style == 4:
        return "+81-%d-%04d-%04d" % (R.randint(3, 6), R.randint(1000, 9999), R.randint(0, 9999))
    if style == 5:
        return "(%03d) %03d-%04d" % (R.randint(201, 989), R.randint(200, 999), R.randint(0, 9999))
    if style == 6:
        return "%03d-%03d-%04d" % (R.randint(201, 989), R.randint(200, 999), R.randint(0, 9999))
    if style == 7:
        return "+91 %05d %05d" % (R.randint(70000, 99999), R.randint(0, 99999))
    if style == 8:
        return "+1-%03d-%03d-%04d" % (R.randint(201, 989), R.randint(200, 999), R.randint(0, 9999))
    return "+44 (0) 20 %04d %04d" % (R.randint(1000, 9999), R.randint(0, 9999))


def hard_phone():
    """Formats the detectors have no pattern for without a cue word: recall is measured on them too."""
    style = R.randint(0, 2)
    if style == 0:
        return "0044 20 %04d %04d" % (R.randint(1000, 9999), R.randint(0, 9999))
    if style == 1:
        return "0%d %d" % (R.randint(30, 89), R.randint(1000000, 9999999))
    return "%03d %03d %04d" % (R.randint(201, 989), R.randint(200, 999), R.randint(0, 9999))


def ipv4():
    return "%d.%d.%d.%d" % (R.choice([10, 172, 192, 203, 85, 34]), R.randint(0, 255), R.randint(0, 255),
                            R.randint(1, 254))


def ipv6():
    groups = ["%x" % R.randint(0, 0xffff) for _ in range(8)]
    style = R.randint(0, 2)
    if style == 0:
        return ":".join(groups)
    if style == 1:
        return "2001:db8::" + ":".join(groups[:R.randint(1, 4)])
    return "fe80::" + ":".join(groups[:2])


def secret():
    alnum = string.ascii_letters + string.digits
    style = R.randint(0, 5)
    if style == 0:
        return "sk-proj-" + "".join(R.choice(alnum) for _ in range(40))
    if style == 1:
        return "AKIA" + "".join(R.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    if style == 2:
        return "ghp_" + "".join(R.choice(alnum) for _ in range(36))
    if style == 3:
        return "xoxb-" + "-".join("".join(R.choice(string.digits) for _ in range(12)) for _ in range(2)) + "-" + \
            "".join(R.choice(alnum) for _ in range(24))
    if style == 4:
        return "sk_live_" + "".join(R.choice(alnum) for _ in range(28))
    b64 = string.ascii_letters + string.digits + "-_"
    return "eyJhbGciOiJIUzI1NiJ9.eyJ" + "".join(R.choice(b64) for _ in range(30)) + "." + \
        "".join(R.choice(b64) for _ in range(43))


POSITIVE = {
    "EMAIL": (email, ["Please send the invoice to {}.", "My email is {} if you need it.", "Can you reset the password for {}?",
                      "I wrote from {} yesterday but got no answer.", "Contact: {}", "cc {} on the ticket, thanks"]),
    "PHONE": (phone, ["You can call me at {} after 6pm.", "My number is {}.", "Reach our office on {}.",
                      "Please phone {} to confirm the delivery.", "WhatsApp: {}", "The courier called from {}."]),
    "PAYMENT_CARD": (card, ["I paid with card {} and was charged twice.", "Card number {} expires next month.",
                            "Refund it to {} please.", "Why was {} declined?", "my visa is {}"]),
    "IBAN": (iban, ["Please refund to IBAN {}.", "Our account is {} (business).", "Wire it to {}, thanks.",
                    "Is {} the right account for the deposit?"]),
    "US_SSN": (ssn, ["My SSN is {} for the tax form.", "The form asks for my SSN: {}", "Social security number {} on file?",
                     "I typed {} as my social security number by mistake."]),
    "IP_ADDRESS": (None, ["The login came from {} at 3am.", "Our server {} returns 502.", "Whitelist {} please.",
                          "The VPN gave me {} today."]),
    "SECRET": (secret, ["I pasted my key {} into the chat, sorry.", "Is {} still valid?", "Here is the token: {}",
                        "The config has {} in it."]),
}

NEAR_MISSES = [
    lambda: "Where is my order #%d?" % R.randint(10000000, 99999999),
    lambda: "Order ORD-%d-%08d shipped on %d-%02d-%02d." % (R.randint(2020, 2026), R.randint(0, 99999999),
                                                           R.randint(2020, 2026), R.randint(1, 12), R.randint(1, 28)),
    lambda: "Invoice %04d %04d %04d %04d is overdue." % tuple(R.randint(1000, 3999) for _ in range(4)),
    lambda: "We upgraded to version %d.%d.%d.%d last week." % tuple(R.randint(0, 20) for _ in range(4)),
    lambda: "Install lodash@%d.%d.%d and react@%d.%d.%d." % tuple(R.randint(0, 20) for _ in range(6)),
    lambda: "The book has ISBN %s." % isbn13(),
    lambda: "Tracking number 1Z%s%010d." % ("".join(R.choice(string.ascii_uppercase) for _ in range(6)),
                                            R.randint(0, 9999999999)),
    lambda: "The meeting is at %02d:%02d:%02d UTC." % (R.randint(0, 23), R.randint(0, 59), R.randint(0, 59)),
    lambda: "Prices rose +%d%% to %d,%03d.%02d." % (R.randint(1, 40), R.randint(1, 9), R.randint(0, 999),
                                                   R.randint(0, 99)),
    lambda: "The store is at %.4f, %.4f." % (R.uniform(-80, 80), R.uniform(-170, 170)),
    lambda: "Request id %s failed." % uuid(),
    lambda: "Router MAC %s keeps dropping." % ":".join("%02X" % R.randint(0, 255) for _ in range(6)),
    lambda: "Set the screen to %d:%d and the ratio to 3:2:1." % (R.choice([16, 21, 4]), R.choice([9, 10, 3])),
    lambda: "Call extension %d or room %d." % (R.randint(100, 9999), R.randint(1, 999)),
    lambda: "Card ending in %04d was charged." % R.randint(0, 9999),
    lambda: "My card %s was declined (typo?)." % bad_card(),
    lambda: "Is IBAN %s right? The bank says no." % bad_iban(),
    lambda: "SSN 000-%02d-%04d is not valid, is it?" % (R.randint(1, 99), R.randint(1, 9999)),
    lambda: "Reference %d-%02d-%04d from the %d report." % (R.randint(900, 999), R.randint(1, 99),
                                                          R.randint(1, 9999), R.randint(2019, 2025)),
    lambda: "Build %d.%d.%d.%d.%d is the nightly." % tuple(R.randint(0, 300) for _ in range(5)),
    lambda: "Customer number %d, contract %d." % (R.randint(100000, 999999), R.randint(10000000, 99999999)),
    lambda: "Use the sk-%s prefix for test keys." % "".join(R.choice(string.ascii_lowercase) for _ in range(5)),
    lambda: "Color #%06X on page %d." % (R.randint(0, 0xFFFFFF), R.randint(1, 400)),
    lambda: "Temperature was %d.%d degrees at %d:%02d." % (R.randint(-10, 40), R.randint(0, 9), R.randint(0, 23),
                                                          R.randint(0, 59)),
]


def isbn13():
    body = R.choice(["978", "979"]) + "".join(R.choice(string.digits) for _ in range(9))
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    check = str((10 - total % 10) % 10)
    n = body + check
    return "%s-%s-%s-%s-%s" % (n[:3], n[3], n[4:6], n[6:12], n[12])


def uuid():
    h = "".join(R.choice("0123456789abcdef") for _ in range(32))
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def line(text, pii, kind):
    return json.dumps({"text": text, "pii": [{"type": t, "value": v} for t, v in pii], "kind": kind},
                      ensure_ascii=False)


def main():
    lines = []
    for pii_type, (make, templates) in POSITIVE.items():
        for i in range(45):
            if pii_type == "IP_ADDRESS":
                value = ipv4() if i % 3 else ipv6()
            elif pii_type == "US_SSN" and i % 4 == 0:
                value = ssn(dashed=False)
                lines.append(line("My social security number is %s." % value, [(pii_type, value)], "positive"))
                continue
            else:
                value = make()
            lines.append(line(R.choice(templates).format(value), [(pii_type, value)], "positive"))
    for _ in range(15):
        value = hard_phone()
        lines.append(line(R.choice(["Ring me on %s.", "I'm on %s all day.", "Number: %s"]) % value,
                          [("PHONE", value)], "positive"))
    for _ in range(40):
        e, p = email(), phone()
        lines.append(line("Mail %s or call %s, order #%d." % (e, p, R.randint(1000000, 9999999)),
                          [("EMAIL", e), ("PHONE", p)], "mixed"))
    for _ in range(20):
        c, i = card(), iban()
        lines.append(line("Charge %s, or take it from %s as before (version %d.%d.%d)." %
                          (c, i, R.randint(1, 9), R.randint(0, 9), R.randint(0, 9)),
                          [("PAYMENT_CARD", c), ("IBAN", i)], "mixed"))
    for _ in range(200):
        lines.append(line(R.choice(NEAR_MISSES)(), [], "near-miss"))
    R.shuffle(lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()

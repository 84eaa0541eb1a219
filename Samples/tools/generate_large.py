#!/usr/bin/env python3
"""Generate Samples/xf-ferrovia-2026-large.xml, the large fictional sample (e).

The output is deterministic: a fixed seed, no clock, no environment input.
Running the script twice (CPython 3.6 or later) gives byte-identical files, so the committed output
can be checked with:

    python3 Samples/tools/generate_large.py --check

Two problems are planted on purpose so that a checker has something to find
deep inside a big file (the script prints their line numbers):

  * facility number DUPLICATE_AT reuses the id of facility number DUPLICATE_OF;
  * facility number UNKNOWN_CATEGORY_AT has the category "power-grid", which is
    not in Rules/vocabularies/facility-categories.xml.

Everything in the file is invented: the Ferrovian Confederation (user-assigned
code XF/XFF), its operators, .example domains and +999 phone numbers.
"""

import argparse
import os
import random
import sys
from xml.sax.saxutils import quoteattr

SEED = 20260831
FACILITY_COUNT = 2400
DUPLICATE_AT = 1500
DUPLICATE_OF = 17
UNKNOWN_CATEGORY_AT = 2222
UNKNOWN_CATEGORY = "power-grid"

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.normpath(os.path.join(HERE, "..", "xf-ferrovia-2026-large.xml"))

# (category, id prefix, weight, name patterns, operator patterns)
CATEGORIES = [
    ("energy", "en", 14, ["{p} Substation", "{p} Power Station", "{p} Gas Compressor Station"], ["Ferrovian Grid", "{p} Municipal Utilities", "Confederal Power"]),
    ("dam", "dam", 3, ["{p} Dam"], ["Ferrovian Hydro", "{p} Water Authority"]),
    ("dyke", "dyk", 2, ["{p} Flood Barrier", "{p} River Dyke"], ["Confederal Flood Defence Board"]),
    ("nuclear-power-plant", "npp", 0.2, ["{p} Nuclear Generating Station"], ["Ferrovian Nuclear Generation"]),
    ("hospital", "hos", 10, ["{p} General Hospital", "{p} Children's Hospital", "{p} Regional Hospital"], ["{p} Health District", "Confederal Health Service"]),
    ("medical-unit", "med", 4, ["{p} Blood Transfusion Centre", "{p} Emergency Medical Unit"], ["Confederal Health Service"]),
    ("drinking-water", "wat", 10, ["{p} Water Treatment Works", "{p} Pumping Station", "{p} Reservoir Intake"], ["{p} Water", "Ferrovian Water Company"]),
    ("water-sanitation", "san", 6, ["{p} Wastewater Plant"], ["{p} Water", "Ferrovian Water Company"]),
    ("irrigation-works", "irr", 2, ["{p} Irrigation Canal Control"], ["{p} Irrigation Cooperative"]),
    ("food-agriculture", "agr", 3, ["{p} Grain Terminal", "{p} Cold Storage Hub"], ["Confederal Food Reserve Agency"]),
    ("banking-payment-system", "pay", 3, ["{p} Clearing House", "{p} Card Switch"], ["National Bank of Ferrovia", "Ferrovian Payments"]),
    ("financial-services", "fin", 4, ["{p} Securities Depository", "{p} Savings Bank Data Centre"], ["{p} Savings Bank"]),
    ("transportation", "trn", 10, ["{p} Rail Control Centre", "{p} Port Authority Systems", "{p} Traffic Management Centre"], ["Ferrovian Railways", "{p} Port Authority"]),
    ("air-traffic-control", "atc", 2, ["{p} Approach Control", "{p} Area Control Centre"], ["Ferrovian Air Navigation"]),
    ("telecommunications", "tel", 9, ["{p} Switching Centre", "{p} Mobile Core Site"], ["FerroTel", "Ferrovian Mobile"]),
    ("internet-routing-ixp", "ixp", 2, ["{p} Internet Exchange"], ["{p} IX Association"]),
    ("internet-naming-numbering", "dns", 1, ["{p} DNS Anycast Node"], ["XF Domain Registry"]),
    ("internet-transmission-media", "cab", 2, ["{p} Cable Landing Station"], ["Ferrovian Submarine Cables"]),
    ("education", "edu", 5, ["University of {p} Data Centre", "{p} Schools Network Hub"], ["University of {p}", "{p} Education Board"]),
    ("electoral-infrastructure", "ele", 2, ["{p} Electoral District Tabulation System"], ["Confederal Electoral Commission"]),
    ("emergency-services", "ems", 4, ["{p} Emergency Call Centre"], ["{p} Emergency Services"]),
    ("government-services", "gov", 5, ["{p} Cantonal Administration Data Centre"], ["Canton of {p}"]),
]

SYLLABLES_A = ["Al", "Bar", "Cor", "Dal", "Ems", "Fal", "Gor", "Hal", "Ist", "Jor", "Kel", "Lun", "Mar", "Nor", "Ost", "Per", "Quel", "Ros", "Sel", "Tor", "Ul", "Ver", "Wes", "Yar", "Zel"]
SYLLABLES_B = ["ba", "den", "dorf", "feld", "gard", "heim", "holm", "ingen", "lund", "mar", "mont", "ona", "stad", "tal", "vik", "wick"]


def place(rng):
    return rng.choice(SYLLABLES_A) + rng.choice(SYLLABLES_B)


def build_facilities(rng):
    weights = [c[2] for c in CATEGORIES]
    counters = {}
    rows = []
    for n in range(1, FACILITY_COUNT + 1):
        cat, prefix, _, names, operators = rng.choices(CATEGORIES, weights=weights, k=1)[0]
        counters[prefix] = counters.get(prefix, 0) + 1
        p = place(rng)
        row = {
            "id": "xf-%s-%04d" % (prefix, counters[prefix]),
            "category": cat,
            "name": rng.choice(names).format(p=p),
            "operator": rng.choice(operators).format(p=p),
            "region": "XF-%02d" % rng.randint(1, 26),
            "crossBorder": rng.random() < 0.04,
            "ownership": rng.choice(["public", "public", "private", "mixed"]),
        }
        rows.append(row)
    # Planted problems (see the module docstring).
    rows[DUPLICATE_AT - 1]["id"] = rows[DUPLICATE_OF - 1]["id"]
    rows[UNKNOWN_CATEGORY_AT - 1]["category"] = UNKNOWN_CATEGORY
    return rows


HEAD = """<!-- FICTIONAL SAMPLE, GENERATED by Samples/tools/generate_large.py (seed {seed});
     do not edit by hand. The Ferrovian Confederation (user-assigned code
     XF/XFF), its operators, e-mail domains (.example) and +999 phone numbers
     are invented. Sample (e): a large declaration with {count} facilities and
     two planted problems (a duplicate facility id and an unknown category);
     see Samples/README.md. -->
<declaration xmlns="urn:normcheck:declaration:1" schemaVersion="1.0">
  <state alpha2="XF" alpha3="XFF">
    <name>Ferrovian Confederation</name>
    <memberOf organization="UN"/>
    <memberOf organization="AU"/>
  </state>
  <submission cycle="2026" submitted="2026-08-31" version="2.1" language="en" validUntil="2027-08-31" supersedes="2025"/>
  <endorsements>
    <endorsement norm="GGE2015" since="2015-12-23"/>
    <endorsement norm="GGE2021" since="2021-12-06"/>
    <endorsement norm="OEWG2021" since="2021-03-12"/>
  </endorsements>
  <commitments>
    <commitment norm="GGE2015-13f" date="2023-01-10">The Confederation does not conduct or support ICT activity that damages critical infrastructure.</commitment>
    <commitment norm="GGE2015-13k" date="2023-01-10">The Confederation does not harm other states' emergency response teams and keeps its own team free of offensive tasks.</commitment>
  </commitments>
  <doctrines>
    <doctrine id="xf-white-paper-2023" adopted="2023-01-10" url="https://defence.ferrovia.example/white-paper-2023">
      <title>Defence White Paper 2023, chapter on cyberspace</title>
      <issuer>Confederal Department of Defence</issuer>
      <clause id="c-1" kind="ihl-applicability" applies="true" norm="IHL-API-52">
        <text>International humanitarian law governs cyber operations in armed conflict.</text>
      </clause>
      <clause id="c-2" kind="commitment" norm="GGE2015-13f">
        <text>Critical infrastructure serving the public is not a target.</text>
      </clause>
    </doctrine>
  </doctrines>
  <criticalInfrastructure>
    <definition>
      <text>Facilities and systems of cantonal or confederal importance whose failure would endanger the supply of essential goods and services.</text>
      <criterion>Listed in the confederal inventory on the proposal of the cantons.</criterion>
      <legalBasis reference="SR 520.12" date="2020-07-01" type="law">Confederal Act on Critical Infrastructure Protection</legalBasis>
    </definition>
    <authority>Confederal Office for Civil Protection</authority>
"""

SECTORS = ["energy", "healthcare", "drinking-water", "water-sanitation", "food-agriculture", "financial-services",
           "transportation", "telecommunications", "internet-public-core", "education", "electoral-infrastructure",
           "emergency-services", "government-services", "cert-infrastructure"]

TAIL = """    <protectionMeasure id="xf-pm-1" norm="GGE2015-13g">
      <title>Confederal inventory of critical facilities with mandatory protection plans</title>
      <legalBasis reference="SR 520.12" date="2020-07-01" type="law">Confederal Act on Critical Infrastructure Protection</legalBasis>
    </protectionMeasure>
    <crossBorderDependency withState="XA" category="energy">Electricity imports over two interconnectors.</crossBorderDependency>
  </criticalInfrastructure>
  <offLimits adopted="2023-01-10" doctrineRef="xf-white-paper-2023">
    <statement>The Confederation excludes the following categories from cyber operations; a category includes its sub-categories.</statement>
    <categoryRef ref="dam" basis="IHL-API-56"/>
    <categoryRef ref="dyke" basis="IHL-API-56"/>
    <categoryRef ref="nuclear-power-plant" basis="IHL-API-56"/>
    <categoryRef ref="healthcare" basis="IHL-GCIV-18"/>
    <categoryRef ref="drinking-water" basis="IHL-API-54"/>
    <categoryRef ref="irrigation-works" basis="IHL-API-54"/>
    <categoryRef ref="food-agriculture" basis="IHL-API-54"/>
    <categoryRef ref="place-of-worship" basis="IHL-API-53"/>
    <categoryRef ref="cultural-property" basis="IHL-API-53"/>
    <categoryRef ref="cert-infrastructure" basis="GGE2015-13k"/>
    <categoryRef ref="internet-public-core" basis="GCSC-N1"/>
    <categoryRef ref="financial-services" basis="TA2019-1"/>
    <categoryRef ref="air-traffic-control" basis="TA2019-1"/>
    <categoryRef ref="electoral-infrastructure" basis="GCSC-N2"/>
  </offLimits>
  <nationalCert id="xf-ncert">
    <designatingAct reference="SR 520.12, art. 21" date="2020-07-01" type="law" url="https://laws.ferrovia.example/sr/520.12">Confederal Act on Critical Infrastructure Protection</designatingAct>
    <profile>
      <documentInfo lastUpdated="2026-07-01" url="https://cert.ferrovia.example/rfc2350.txt" signed="true"/>
      <name>Confederal Computer Emergency Response Team</name>
      <shortName>FERRO-CERT</shortName>
      <address>Confederal Office for Civil Protection, 1 Bridge Lane, Portavel, Ferrovia</address>
      <timeZone>Africa/Johannesburg</timeZone>
      <phone type="main">+99960000100</phone>
      <phone type="emergency">+99960000199</phone>
      <email>cert@cert.ferrovia.example</email>
      <publicKey fingerprint="7B20 E4A9 1D63 C5F8 0A17  93BE 4F2D 6C81 E50A 3B94" expires="2028-07-01" url="https://cert.ferrovia.example/key.asc"/>
      <website>https://cert.ferrovia.example/</website>
      <availability mode="24x7"/>
      <charter>
        <mission>Coordinate the national response to cyber incidents and support operators in the confederal inventory.</mission>
        <constituency>Confederal and cantonal administrations and the operators in the confederal inventory of critical facilities.</constituency>
        <affiliation>Confederal Office for Civil Protection</affiliation>
        <authority>Article 21 of the Confederal Act on Critical Infrastructure Protection (SR 520.12).</authority>
      </charter>
      <policies>
        <incidentTypes>All incidents affecting the constituency.</incidentTypes>
        <disclosure>TLP 2.0.</disclosure>
        <communication>PGP-encrypted e-mail; phone for emergencies.</communication>
        <vulnerabilityDisclosure url="https://cert.ferrovia.example/cvd" securityTxt="https://cert.ferrovia.example/.well-known/security.txt"/>
      </policies>
      <memberships>
        <membership organization="FIRST" scope="global" since="2021-05-01"/>
      </memberships>
    </profile>
  </nationalCert>
  <pointsOfContact>
    <contact id="xf-poc-dip" level="diplomatic" role="cyber-ambassador" publicOfficial="true" lastUpdated="2026-07-15" lastVerified="2026-08-01" lastPingAnswered="2026-07-20">
      <organization>Confederal Department of Foreign Affairs</organization>
      <function>Special Envoy for Cyber Diplomacy</function>
      <email>cyber.envoy@dfa.ferrovia.example</email>
      <phone>+99960000200</phone>
      <languages>en fr</languages>
      <timeZone>Africa/Johannesburg</timeZone>
      <availability mode="office-hours" schedule="Mon-Fri 08:00-17:00" outOfHours="+99960000299"/>
      <directory name="UN-POC" registered="2024-04-05"/>
      <directory name="AU" registered="2025-02-10"/>
    </contact>
    <contact id="xf-poc-tech" level="technical" certRef="xf-ncert" publicOfficial="true" lastUpdated="2026-07-15" lastVerified="2026-08-01" lastPingAnswered="2026-07-20">
      <organization>FERRO-CERT</organization>
      <function>Duty Officer</function>
      <email>cert@cert.ferrovia.example</email>
      <phone type="emergency">+99960000199</phone>
      <languages>en fr</languages>
      <timeZone>Africa/Johannesburg</timeZone>
      <availability mode="24x7"/>
      <directory name="UN-POC" registered="2024-04-05"/>
      <directory name="AU" registered="2025-02-10"/>
    </contact>
    <assistanceRequestChannel norm="GGE2015-13h" contactRef="xf-poc-tech" ackTargetHours="24">
      <description>Requests are received by the FERRO-CERT duty officer around the clock.</description>
      <email>assist@cert.ferrovia.example</email>
    </assistanceRequestChannel>
  </pointsOfContact>
</declaration>
"""


def render():
    rng = random.Random(SEED)
    rows = build_facilities(rng)
    out = [HEAD.format(seed=SEED, count=FACILITY_COUNT)]
    for cat in SECTORS:
        out.append('    <sector category="%s" designated="2020-07-01">\n' % cat)
        out.append('      <legalBasis reference="SR 520.12" date="2020-07-01" type="law">Confederal Act on Critical Infrastructure Protection</legalBasis>\n')
        out.append("    </sector>\n")
    first_facility_line = "".join(out).count("\n") + 1
    for r in rows:
        out.append(
            "    <facility id=%s category=%s name=%s operator=%s region=%s%s ownership=%s/>\n"
            % (quoteattr(r["id"]), quoteattr(r["category"]), quoteattr(r["name"]), quoteattr(r["operator"]),
               quoteattr(r["region"]), ' crossBorder="true"' if r["crossBorder"] else "", quoteattr(r["ownership"])))
    out.append(TAIL)
    text = "".join(out)
    lines = {
        "duplicate-original": first_facility_line + DUPLICATE_OF - 1,
        "duplicate": first_facility_line + DUPLICATE_AT - 1,
        "unknown-category": first_facility_line + UNKNOWN_CATEGORY_AT - 1,
    }
    return text, lines, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if the committed file differs")
    ap.add_argument("--output", default=OUTPUT, help="output path (default: %(default)s)")
    args = ap.parse_args()
    text, lines, rows = render()
    if args.check:
        with open(args.output, encoding="utf-8") as f:
            same = f.read() == text
        print("up to date" if same else "OUT OF DATE: run Samples/tools/generate_large.py")
        return 0 if same else 1
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print("wrote %s: %d facilities, %d bytes" % (args.output, len(rows), len(text.encode("utf-8"))))
    print("duplicate id %s: line %d (first use line %d)" % (rows[DUPLICATE_AT - 1]["id"], lines["duplicate"], lines["duplicate-original"]))
    print("unknown category %s: line %d" % (UNKNOWN_CATEGORY, lines["unknown-category"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

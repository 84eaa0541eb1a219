#!/usr/bin/env python3
"""Differential Schematron oracle for normcheck, driven by lxml.isoschematron.

For every case directory under ``cases/`` and every instance document ``*.xml``
in it (files named ``*.inc.xml`` / anything under a sub-directory are NOT
instances), this script validates the document with lxml's ISO Schematron
implementation (the ISO XSLT1 "skeleton", compiled by libxslt) and writes

    cases/<case>/<doc-stem>.expected.json            (default phase)
    cases/<case>/<doc-stem>.<phase>.expected.json    (one per line of phases.txt)
    cases/<case>/<doc-stem>[.<phase>].messages.json  (same findings + message text)

``#ALL`` in phases.txt is written as ``ALL`` in the file name.

Usage:
    python3 Tests/SchematronConformance/oracle.py            # regenerate everything
    python3 Tests/SchematronConformance/oracle.py --check    # re-run, diff, exit 1 on difference
    python3 Tests/SchematronConformance/oracle.py --case NAME [--svrl]  # one case, dump raw SVRL

Locations: lxml's SVRL ``location`` attribute uses the skeleton's own path
notation, which is wrong or unresolvable for some node kinds (attributes,
the document node, text nodes, same-local-name siblings in different
namespaces). The oracle therefore compiles the same validator twice: the stock
one (whose SVRL is the reference), and an instrumented copy whose
failed-assert/successful-report elements carry one extra attribute with an
exact XPath 1.0 path of the very node the skeleton used for ``location``
(same ``select`` expression). The exact node is then converted to the
canonical path (see README.md). The stock ``location`` is also resolved with
lxml and compared; every disagreement is printed as a QUIRK line.

No network access: documents are parsed from local files with
``no_network=True, resolve_entities=False``.
"""

import argparse
import copy
import json
import sys
from pathlib import Path

from lxml import etree
from lxml import isoschematron

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
XSL_NS = "http://www.w3.org/1999/XSL/Transform"
EXACT_ATTR = "nc-exact-location"

# Templates added to the instrumented validator: an exact XPath 1.0 path for
# any node kind (document, element, attribute, text, comment, PI).
EXACT_TEMPLATES = """
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/" mode="nc-exact">/</xsl:template>
  <xsl:template match="*" mode="nc-exact">
    <xsl:if test="parent::*"><xsl:apply-templates select="parent::*" mode="nc-exact"/></xsl:if>
    <xsl:text>/*[local-name()='</xsl:text><xsl:value-of select="local-name()"/>
    <xsl:text>' and namespace-uri()='</xsl:text><xsl:value-of select="namespace-uri()"/>
    <xsl:text>'][</xsl:text>
    <xsl:value-of select="1 + count(preceding-sibling::*[local-name() = local-name(current()) and namespace-uri() = namespace-uri(current())])"/>
    <xsl:text>]</xsl:text>
  </xsl:template>
  <xsl:template match="@*" mode="nc-exact">
    <xsl:apply-templates select="parent::*" mode="nc-exact"/>
    <xsl:text>/@*[local-name()='</xsl:text><xsl:value-of select="local-name()"/>
    <xsl:text>' and namespace-uri()='</xsl:text><xsl:value-of select="namespace-uri()"/>
    <xsl:text>']</xsl:text>
  </xsl:template>
  <xsl:template match="text()" mode="nc-exact">
    <xsl:apply-templates select="parent::*" mode="nc-exact"/>
    <xsl:text>/text()[</xsl:text><xsl:value-of select="1 + count(preceding-sibling::text())"/><xsl:text>]</xsl:text>
  </xsl:template>
  <xsl:template match="comment()" mode="nc-exact">
    <xsl:apply-templates select="parent::*" mode="nc-exact"/>
    <xsl:text>/comment()[</xsl:text><xsl:value-of select="1 + count(preceding-sibling::comment())"/><xsl:text>]</xsl:text>
  </xsl:template>
  <xsl:template match="processing-instruction()" mode="nc-exact">
    <xsl:apply-templates select="parent::*" mode="nc-exact"/>
    <xsl:text>/processing-instruction('</xsl:text><xsl:value-of select="name()"/><xsl:text>')[</xsl:text>
    <xsl:value-of select="1 + count(preceding-sibling::processing-instruction()[name() = name(current())])"/>
    <xsl:text>]</xsl:text>
  </xsl:template>
</xsl:stylesheet>
"""


def make_parser():
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


def parse(path):
    return etree.parse(str(path), make_parser())


# ---------------------------------------------------------------------------
# node kinds and canonical paths


class DocNode:
    """Stand-in for the document node ("/"), which lxml XPath cannot return."""

    def __init__(self, tree):
        self.tree = tree


def _elem_step(el, clark=False):
    qn = etree.QName(el)
    ns, local = qn.namespace, qn.localname
    # normcheck's canonical form: `*:local[n]` counts same-local-name siblings in ANY
    # namespace (as XPath 2.0 reads `*:local`), `local[n]` only those in no namespace.
    n = 1
    for sib in el.itersiblings(preceding=True):
        if isinstance(sib.tag, str):
            q2 = etree.QName(sib)
            if q2.localname == local and (ns is not None or q2.namespace is None):
                n += 1
    if clark:
        n = 1 + sum(1 for sib in el.itersiblings(preceding=True) if isinstance(sib.tag, str)
                    and etree.QName(sib).localname == local and etree.QName(sib).namespace == ns)  # unambiguous form, used only for diagnostics
        return ("{%s}%s[%d]" % (ns, local, n)) if ns else ("%s[%d]" % (local, n))
    return ("*:%s[%d]" % (local, n)) if ns else ("%s[%d]" % (local, n))


def elem_path(el, clark=False):
    steps = []
    while el is not None:
        steps.append(_elem_step(el, clark))
        el = el.getparent()
    return "/" + "/".join(reversed(steps))


def exact_key(node):
    """Namespace-qualified canonical path (for comparing nodes, not for output)."""
    return node_info(node, clark=True)[1]


def _text_nodes_of(parent):
    """Yield (owner, is_tail) for each XPath text node child of parent, in order."""
    if parent.text:
        yield (parent, False)
    for child in parent:
        if child.tail:
            yield (child, True)


def node_info(node, clark=False):
    """Return (kind, canonical_path, line) for a node as returned by lxml XPath."""
    def epath(el):
        return elem_path(el, clark) if el is not None else ""

    if isinstance(node, DocNode):
        return ("document", "/", None)
    if isinstance(node, etree._Comment):
        n = 1 + sum(1 for s in node.itersiblings(preceding=True) if isinstance(s, etree._Comment))
        return ("comment", epath(node.getparent()) + "/comment()[%d]" % n, node.sourceline)
    if isinstance(node, etree._ProcessingInstruction):
        n = 1 + sum(1 for s in node.itersiblings(preceding=True)
                    if isinstance(s, etree._ProcessingInstruction) and s.target == node.target)
        return ("pi", epath(node.getparent()) + "/processing-instruction('%s')[%d]"
                % (node.target, n), node.sourceline)
    if isinstance(node, etree._Element):
        return ("element", epath(node), node.sourceline)
    if isinstance(node, etree._ElementUnicodeResult):
        owner = node.getparent()
        if node.is_attribute:
            qn = etree.QName(node.attrname)
            if clark:
                step = "@" + node.attrname
            else:
                step = ("@*:%s" % qn.localname) if qn.namespace else ("@%s" % qn.localname)
            return ("attribute", epath(owner) + "/" + step, owner.sourceline)
        if node.is_text or node.is_tail:
            parent = owner.getparent() if node.is_tail else owner
            n = 0
            for (o, tail) in _text_nodes_of(parent):
                n += 1
                if o is owner and tail == node.is_tail:
                    break
            return ("text", epath(parent) + "/text()[%d]" % n, parent.sourceline)
    raise ValueError("unsupported node %r" % (node,))


def resolve(tree, xpath):
    """Evaluate a location path; return list of nodes (DocNode for '/')."""
    if xpath == "/":
        return [DocNode(tree)]
    res = tree.xpath(xpath)
    if not isinstance(res, list):
        raise ValueError("not a node-set: %r" % (res,))
    return res


# ---------------------------------------------------------------------------
# running lxml


def load_case_config(case_dir):
    cfg_path = case_dir / "case.json"
    if cfg_path.exists():
        with open(cfg_path) as f:
            return json.load(f)
    return {}


def instrument(validator_xslt):
    """Copy of the compiled validator with an extra exact-location attribute."""
    doc = copy.deepcopy(validator_xslt)
    root = doc.getroot()
    count = 0
    for kind in ("failed-assert", "successful-report"):
        for el in root.iter("{%s}%s" % (SVRL_NS, kind)):
            for attr in el.findall("{%s}attribute" % XSL_NS):
                if attr.get("name") != "location":
                    continue
                apply_ = attr.find("{%s}apply-templates" % XSL_NS)
                new = etree.Element("{%s}attribute" % XSL_NS, name=EXACT_ATTR)
                etree.SubElement(new, "{%s}apply-templates" % XSL_NS,
                                 select=apply_.get("select"), mode="nc-exact")
                attr.addnext(new)
                count += 1
    for tpl in etree.fromstring(EXACT_TEMPLATES):
        if isinstance(tpl.tag, str):
            root.append(copy.deepcopy(tpl))
    return doc, count


def findings_from_svrl(report):
    out = []
    for el in report.getroot().iter("{%s}failed-assert" % SVRL_NS,
                                    "{%s}successful-report" % SVRL_NS):
        text_el = el.find("{%s}text" % SVRL_NS)
        text = " ".join("".join(text_el.itertext()).split()) if text_el is not None else ""
        diags = []
        for d in el.findall("{%s}diagnostic-reference" % SVRL_NS):
            diags.append({"id": d.get("diagnostic"),
                          "text": " ".join("".join(d.itertext()).split())})
        out.append({
            "kind": etree.QName(el).localname,
            "id": el.get("id"),
            "test": el.get("test"),
            "location": el.get("location"),
            "exact": el.get(EXACT_ATTR),
            "role": el.get("role"),
            "flag": el.get("flag"),
            "text": text,
            "diagnostics": diags,
        })
    return out


def run_one(schema_path, doc_path, phase, cfg):
    """Return (expected, messages, quirks, svrl_text)."""
    compile_params = dict(cfg.get("compile_params", {}))
    kwargs = dict(store_report=True, store_xslt=True, compile_params=compile_params)
    if phase is not None:
        kwargs["phase"] = phase
    if cfg.get("validate_schema") is False:
        kwargs["validate_schema"] = False
    schema_tree = parse(schema_path)
    sch = isoschematron.Schematron(schema_tree, **kwargs)
    doc = parse(doc_path)
    sch(doc)
    stock = sch.validation_report

    patched_xslt, _ = instrument(sch.validator_xslt)
    patched_transform = etree.XSLT(patched_xslt)
    patched = patched_transform(doc)
    log = [str(e) for e in patched_transform.error_log]  # xsl:message output
    stock_f = findings_from_svrl(stock)
    patched_f = findings_from_svrl(patched)
    strip = lambda fs: [{k: v for k, v in f.items() if k != "exact"} for f in fs]
    if strip(stock_f) != strip(patched_f):
        raise RuntimeError("instrumented validator disagrees with stock validator")

    quirks = []
    expected, messages = [], []
    for f in patched_f:
        nodes = resolve(doc, f["exact"])
        if len(nodes) != 1:
            raise RuntimeError("exact path %r resolved to %d nodes" % (f["exact"], len(nodes)))
        kind, canon, line = node_info(nodes[0])
        actual = exact_key(nodes[0])
        # resolve the skeleton's own location and compare
        try:
            snodes = resolve(doc, f["location"])
            skeys = [exact_key(n) for n in snodes]
        except Exception as e:  # noqa: BLE001
            skeys = ["<unresolvable: %s>" % type(e).__name__]
        if skeys != [actual]:
            quirks.append("location %r (%s) resolves to %s, actual node %s"
                          % (f["location"], kind, skeys, actual))
        expected.append({"kind": f["kind"], "id": f["id"], "test": f["test"],
                         "location": canon, "line": line})
        messages.append({"kind": f["kind"], "id": f["id"], "test": f["test"],
                         "location": canon, "role": f["role"], "flag": f["flag"],
                         "text": f["text"], "diagnostics": f["diagnostics"]})
    expected.sort(key=sort_key)
    messages.sort(key=sort_key)
    svrl_text = etree.tostring(stock, pretty_print=True, encoding="unicode")
    return expected, messages, quirks + ["xslt-message: " + l for l in log], svrl_text


def sort_key(o):
    return (o["location"], o["kind"], o["id"] or "", o["test"])


# ---------------------------------------------------------------------------


def instance_docs(case_dir):
    return sorted(p for p in case_dir.glob("*.xml") if not p.name.endswith(".inc.xml"))


def phases_of(case_dir):
    res = [None]
    pf = case_dir / "phases.txt"
    if pf.exists():
        for line in pf.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#!"):
                res.append(line)
    return res


def out_name(doc_path, phase, what):
    stem = doc_path.stem
    if phase is None:
        return "%s.%s.json" % (stem, what)
    return "%s.%s.%s.json" % (stem, phase.replace("#", ""), what)


def dump(obj):
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def validate_expected_format(data, where):
    ok = isinstance(data, list)
    for o in data if ok else []:
        if set(o) != {"kind", "id", "test", "location", "line"}:
            ok = False
        elif o["kind"] not in ("failed-assert", "successful-report"):
            ok = False
    if not ok:
        print("BADFORMAT %s" % where)
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="diff against stored expected files")
    ap.add_argument("--case", action="append", help="only this case (repeatable)")
    ap.add_argument("--svrl", action="store_true", help="print the raw SVRL reports")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    case_dirs = sorted(d for d in CASES.iterdir() if d.is_dir())
    if args.case:
        case_dirs = [d for d in case_dirs if d.name in args.case]
    failures = 0
    written = 0
    for case_dir in case_dirs:
        cfg = load_case_config(case_dir)
        schema = case_dir / "schema.sch"
        oracle = cfg.get("oracle", "lxml")
        for doc_path in instance_docs(case_dir):
            for phase in phases_of(case_dir):
                exp_path = case_dir / out_name(doc_path, phase, "expected")
                msg_path = case_dir / out_name(doc_path, phase, "messages")
                label = "%s/%s%s" % (case_dir.name, doc_path.name,
                                     "" if phase is None else " [phase %s]" % phase)
                if oracle == "none":
                    # hand-written expectations; lxml cannot run this case correctly
                    if not exp_path.exists():
                        print("MISSING %s (hand-written, oracle none)" % exp_path.relative_to(HERE))
                        failures += 1
                        continue
                    text = exp_path.read_text()
                    data = json.loads(text)
                    if (not validate_expected_format(data, label)
                            or dump(sorted(data, key=sort_key)) != text):
                        print("BADFORMAT %s (must be sorted, json.dumps(indent=2, sort_keys=True))" % label)
                        failures += 1
                    elif not args.quiet:
                        print("hand   %s: %d findings" % (label, len(data)))
                    # for information: does lxml still fail on it?
                    try:
                        got = run_one(schema, doc_path, phase, cfg)[0]
                        print("INFO   %s: lxml now runs this case (%s hand-written expectation)"
                              % (label, "same as" if got == data else "DIFFERENT from"))
                    except Exception as e:  # noqa: BLE001
                        if not args.quiet:
                            print("INFO   %s: lxml fails as expected: %s: %s"
                                  % (label, type(e).__name__, str(e).splitlines()[0][:120]))
                    continue
                expected, messages, quirks, svrl = run_one(schema, doc_path, phase, cfg)
                expected_sorted = sorted(expected, key=sort_key)
                if args.svrl:
                    print("==== SVRL %s\n%s" % (label, svrl))
                for q in quirks:
                    print("QUIRK  %s: %s" % (label, q))
                if args.check:
                    for path, data in ((exp_path, expected_sorted), (msg_path, messages)):
                        if not path.exists():
                            print("MISSING %s" % path.relative_to(HERE))
                            failures += 1
                        elif path.read_text() != dump(data):
                            print("DIFF   %s" % path.relative_to(HERE))
                            failures += 1
                    if not args.quiet:
                        print("check  %s: %d findings" % (label, len(expected)))
                else:
                    exp_path.write_text(dump(expected_sorted))
                    msg_path.write_text(dump(messages))
                    written += 1
                    if not args.quiet:
                        print("wrote  %s: %d findings" % (label, len(expected)))
    if args.check:
        print("%s" % ("OK" if failures == 0 else "%d difference(s)" % failures))
        return 1 if failures else 0
    print("wrote %d expected file(s)" % written)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

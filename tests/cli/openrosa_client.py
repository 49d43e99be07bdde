# openrosa_client.py — a small OpenRosa client for tests/cli/t_openrosa.sh (python3 standard
# library only): fetches the form list, a form and its manifest, builds an XForm instance
# from one row of a `field import` CSV (and its members rows) by filling the downloaded form's
# own primary instance element by element, and posts it as multipart/form-data the way ODK
# Collect does (xml_submission_file plus attachments).
import csv, hashlib, http.client, sys, uuid
import xml.etree.ElementTree as ET

XF = "{http://www.w3.org/2002/xforms}"
JR = "{http://openrosa.org/javarosa}"

def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

def instance_template(xform):
    root = ET.fromstring(xform)
    model = root.find(".//" + XF + "model")
    for inst in model.findall(XF + "instance"):
        if inst.get("id") is None:
            return list(inst)[0]
    raise SystemExit("no primary instance")

def fill(elem, row):
    for child in list(elem):
        name = child.tag.replace(XF, "")
        if len(child):
            fill(child, row)
        elif name in row and row[name] != "":
            child.text = row[name]

def build(xform, row, members, instance_id, deprecated=None, status="complete", reason=""):
    data = instance_template(xform)
    # the repeat: drop the template and the first (empty) instance, add one per member row
    for parent in data.iter():
        reps = [c for c in list(parent) if c.get(JR + "template") is not None]
        for t in reps:
            name = t.tag
            for c in [c for c in list(parent) if c.tag == name]:
                idx = list(parent).index(c)
                parent.remove(c)
            for k, m in enumerate(members):
                e = ET.fromstring(ET.tostring(t))
                for a in list(e.attrib):
                    del e.attrib[a]
                fill(e, m)
                parent.insert(idx + k, e)
    visit = data.find(XF + "visit")
    visit.find(XF + "unit").text = row["unit"]
    visit.find(XF + "status").text = status
    if reason:
        visit.find(XF + "reason").text = reason
    if status == "complete":
        fill(data, row)
    meta = data.find(XF + "meta")
    meta.find(XF + "instanceID").text = instance_id
    if deprecated:
        ET.SubElement(meta, XF + "deprecatedID").text = deprecated
    ET.register_namespace("", XF[1:-1])
    ET.register_namespace("jr", JR[1:-1])
    return ET.tostring(data, encoding="utf-8")

def multipart(parts):
    b = "----pinggu" + uuid.uuid4().hex
    out = b""
    for name, filename, ctype, data in parts:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: %s\r\n\r\n" % (b, name, filename, ctype)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % b).encode()
    return "multipart/form-data; boundary=" + b, out

def post(port, token, xml, attachments=(), headers=None):
    parts = [("xml_submission_file", "submission.xml", "text/xml", xml)]
    for fn in attachments:
        parts.append((fn, fn, "image/jpeg", open(fn, "rb").read()))
    ctype, body = multipart(parts)
    h = {"X-OpenRosa-Version": "1.0", "Content-Type": ctype}
    h.update(headers or {})
    return request(port, "POST", "/key/%s/submission" % token, body, h)

def rows(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))

if __name__ == "__main__":
    # python3 openrosa_client.py PORT TOKEN FORM CSV UNIT INSTANCE_ID [--deprecated ID]
    #   [--status nonresponse --reason R] [--attach FILE]... [--set NAME=VALUE]... [--out FILE]
    port, token, form, csvp, unit, iid = int(sys.argv[1]), *sys.argv[2:7]
    args = sys.argv[7:]
    dep = None; status = "complete"; reason = ""; att = []; sets = {}; out = None
    while args:
        k, v = args[0], args[1]; args = args[2:]
        if k == "--deprecated": dep = v
        elif k == "--status": status = v
        elif k == "--reason": reason = v
        elif k == "--attach": att.append(v)
        elif k == "--set": sets[v.split("=", 1)[0]] = v.split("=", 1)[1]
        elif k == "--out": out = v
    st, h, xform = request(port, "GET", "/key/%s/forms/%s" % (token, form))
    assert st == 200, (st, xform)
    row = [r for r in rows(csvp) if r["unit"] == unit][0]
    row.update(sets)
    mp = csvp[:-4] + ".members.csv"
    try:
        members = [r for r in rows(mp) if r["unit"] == unit]
    except FileNotFoundError:
        members = []
    if status != "complete":
        members = []  # a visit not completed: the questions (and the members) do not apply
    xml = build(xform, row, members, iid, dep, status, reason)
    if out:
        open(out, "wb").write(xml)
    st, h, body = post(port, token, xml, att)
    print(st)
    print(body.decode())

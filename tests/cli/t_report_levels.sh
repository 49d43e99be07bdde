# t_report_levels.sh — issue 10's reports at every level through the real binary, on a small
# Anhui round (4 counties in two cities, one of them receiving paired assistance): the team
# reports' sign-off by 组长 and 副组长 and its verification (a tampered report, a report signed
# by one only, a bad signature and a wrong key all fail `report verify`).
. "$TESTS_DIR/lib.sh"
P=$PINGGU
$P synth --out prov --seed 7 --counties 4 >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$ROOT/plans/anhui-cross-2019.json" --seed 20191124 --name a >/dev/null
$P teams draw --db r.db --plan "$ROOT/plans/anhui-cross-2019.json" --seed 1124 --sample a >/dev/null
$P field simulate --db r.db --sample a --truth prov/truth.csv --seed 5 --nonresponse 0.05 \
  --forms "$ROOT/forms" >/dev/null
$P judge --db r.db --sample a >/dev/null
entries() { sqlite3 r.db "select count(*) from audit_log"; }
leader=$(sqlite3 r.db "select evaluator from team_members where sample = 1 and team = 1 and role = 'leader'")
deputy=$(sqlite3 r.db "select e.name from team_members t join evaluators e on e.evaluator_id = t.evaluator where t.sample = 1 and t.team = 1 and t.role = 'deputy'")
[ -n "$leader" ] && [ -n "$deputy" ] || fail "no leader or deputy drawn"

# ---- 1. sign-off. Seed 002 六(五): "13个考核组分别形成市、县两级交叉考核报告…经组长和副组长签字后提交省扶贫办"
expect_status 0 $P report --db r.db --sample a --out rep
cp rep/county-340121.html c1.html
cp c1.html c2.html; echo "<!-- second copy -->" >> c2.html
cp c1.html c3.html; echo "<!-- third copy -->" >> c3.html
expect_status 64 $P report sign --db r.db --round a c1.html --as 组长
expect_status 64 $P report sign --db r.db --round a c1.html --as 队长 --signer "$leader"
before=$(entries)
expect_status 2 $P report sign --db r.db --round a nosuch.html --as 组长 --signer "$leader"
expect_status 2 $P report sign --db r.db --round nosuch c1.html --as 组长 --signer "$leader"
# only the round's leaders sign as 组长 (the deputy is not one)
expect_status 2 $P report sign --db r.db --round a c1.html --as 组长 --signer "$deputy"
expect_grep "is not a 组长 \(leader\) of any team of this round" err.txt
echo "not a key" > bad.key
expect_status 2 $P report sign --db r.db --round a c1.html --as 组长 --signer "$leader" --key bad.key
expect_grep "bad.key:1: not a key" err.txt
[ "$(entries)" = "$before" ] || fail "a refused signature wrote to the change log"
[ ! -e "$XDG_CONFIG_HOME/pinggu/signer-$leader.key" ] || fail "a refused signature made a key"

# unsigned, then signed by one only: both fail (exit 1) with the reason
expect_status 1 $P report verify --db r.db c1.html
expect_grep "carries no signature" err.txt
expect_status 0 $P report sign --db r.db --round a c1.html --as 组长 --signer "$leader"
expect_grep "^signed c1.html as 组长 \(leader\) by $leader: SHA-256 [0-9a-f]{64}" out.txt
expect_grep "created the signer key .*signer-$leader.key \(mode 0600\)" err.txt
[ "$(stat -c %a "$XDG_CONFIG_HOME/pinggu/signer-$leader.key")" = 600 ] || fail "signer key not 0600"
expect_status 1 $P report verify --db r.db c1.html
expect_grep "missing role 缺少签字: signed by 组长 \(leader\) but not by 副组长 \(deputy\)" err.txt
cp r.db r2.db; cp r.db.checkpoints r2.db.checkpoints   # a copy before the deputy's first signature
expect_status 0 $P report sign --db r.db --round a c1.html --as 副组长 --signer "$deputy"
expect_status 0 $P report verify --db r.db c1.html
expect_grep "^verified c1.html: SHA-256 [0-9a-f]{64} signed by the 组长 and the 副组长" out.txt
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'report sign'")" = 2 ] || fail "signatures not change-logged"

# a tampered signed report fails
cp c1.html t1.html; sed -i 's/错退率/错退率 /' t1.html; mv t1.html c1.html
expect_status 1 $P report verify --db r.db c1.html
expect_grep "has changed since it was signed \(tampered 已被篡改\)" err.txt
expect_status 2 $P report verify --db r.db nosuch.html

# a signer keeps one key: another key is refused at signing
$P report sign --db r2.db --round a c3.html --as 组长 --signer "$leader" >/dev/null 2>&1 || true
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > other.key; echo >> other.key
expect_status 2 $P report sign --db r.db --round a c2.html --as 组长 --signer "$leader" --key other.key
expect_grep "first signed with public key" err.txt
# a wrong key: in the copy the deputy's first key is other.key; her signature of c2 made there,
# carried into r.db (where her key is another), verifies as Ed25519 but is not her key
expect_status 0 $P report sign --db r2.db --round a c2.html --as 副组长 --signer "$deputy" --key other.key
expect_status 0 $P report sign --db r.db --round a c2.html --as 组长 --signer "$leader"
sqlite3 r.db "attach 'r2.db' as o; insert into report_signatures (sample, file, sha256, role, signer, pubkey, signature, at, log_id) select sample, file, sha256, role, signer, pubkey, signature, at, log_id from o.report_signatures where role = 'deputy';"
expect_status 1 $P report verify --db r.db c2.html
expect_grep "wrong key 密钥不符" err.txt
# a bad signature: the leader's signature of c3 altered in the store
expect_status 0 $P report sign --db r.db --round a c3.html --as 组长 --signer "$leader"
expect_status 0 $P report sign --db r.db --round a c3.html --as 副组长 --signer "$deputy"
expect_status 0 $P report verify --db r.db c3.html
sha=$(sha256sum c3.html | cut -c1-64)
sqlite3 r.db "update report_signatures set signature = '00' || substr(signature, 3) where sha256 = '$sha' and role = 'leader'"
expect_status 1 $P report verify --db r.db c3.html
expect_grep "bad signature 签名无效" err.txt
# and the change log shows both rows were not written through it
expect_status 1 $P audit verify --db r.db

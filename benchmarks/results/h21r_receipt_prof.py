import sys, collections
path = sys.argv[1]
root = sys.argv[2] if len(sys.argv) > 2 else "import_as_finance"
keys = sys.argv[3:] 
total = 0
hits = collections.Counter()
self_fn = collections.Counter()
for line in open(path):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n)
    frames = stack.split(";")
    if not any(root in f for f in frames):
        continue
    total += n
    seen = set()
    for f in frames:
        name = f.split(" (")[0]
        where = f.split(" (")[1].split(":")[0] if " (" in f else ""
        key = f"{name} ({where.split('/addons/')[-1] if '/addons/' in where else where.split('/odoo/')[-1]})"
        if key not in seen:
            hits[key] += n
            seen.add(key)
    self_fn[frames[-1].split(" (")[0]] += n
print("samples", total)
if keys:
    for k in keys:
        c = sum(n for kk, n in hits.items() if k in kk)
        print(f"{100*c/total:5.1f}%  {k}")
else:
    for k, n in hits.most_common(120):
        print(f"{100*n/total:5.1f}%  {k}")

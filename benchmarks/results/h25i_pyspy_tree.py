"""Tree of py-spy raw (collapsed) samples under a root function: addon frames plus the first frame outside."""
import sys, collections, re
path, root = sys.argv[1], sys.argv[2]
depth_max = int(sys.argv[3]) if len(sys.argv) > 3 else 8
minpct = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
tree = {}
total = 0
def short(frame):
    m = re.match(r"(.*) \((.*):(\d+)\)", frame)
    if not m: return frame
    fn, file = m.group(1), m.group(2)
    file = re.sub(r".*/(insurance_renewal/)", r"\1", file)
    file = re.sub(r".*/odoo/addons/([^/]+)/", r"\1/", file)
    file = re.sub(r".*/odoo/(orm|tools|models|fields|api)", r"\1", file)
    file = re.sub(r".*/site-packages/", "", file)
    return f"{fn} ({file})"
for line in open(path):
    line = line.rstrip()
    if not line: continue
    stack, _, count = line.rpartition(" ")
    count = int(count)
    frames = stack.split(";")
    idx = next((i for i, f in enumerate(frames) if root in f), None)
    if idx is None: continue
    total += count
    frames = [short(f) for f in frames[idx:]]
    kept = []
    outside = False
    for f in frames:
        ours = "insurance_renewal/" in f
        if ours:
            kept.append(f); outside = False
        elif not outside:
            kept.append(f); outside = True
    node = tree
    for f in kept[:depth_max]:
        n = node.setdefault(f, [0, {}])
        n[0] += count
        node = n[1]
print("total", total)
def show(node, indent):
    for f, (c, ch) in sorted(node.items(), key=lambda kv: -kv[1][0]):
        if 100 * c / total < minpct: continue
        print(f"{' ' * indent}{100*c/total:5.1f}% {c:6d} {f}")
        show(ch, indent + 2)
show(tree, 0)

import sys, collections
path, within = sys.argv[1], sys.argv[2]
total = 0; c = collections.Counter(); allc = 0
for line in open(path):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n); frames = stack.split(";")
    if "import_as_finance" in stack: allc += n
    if not any(within in f for f in frames): continue
    total += n
    for i, f in enumerate(frames):
        if f.startswith("determine ") and i + 1 < len(frames):
            c[frames[i+1].split(" (")[0] + " " + frames[i+1].split("/")[-1].split(":")[0]] += n
            break
print(within, total, "of", allc)
for k, n in c.most_common(15): print(f"{n:6d} {100*n/allc:5.1f}% of import  {k}")

import sys, collections, re
path, root = sys.argv[1], sys.argv[2]
focus = sys.argv[3:] 
tot = 0; incl = collections.Counter(); rootn = 0
for line in open(path):
    stack, _, n = line.rstrip().rpartition(' ')
    n = int(n); tot += n
    frames = stack.split(';')
    idx = [i for i, f in enumerate(frames) if root in f]
    if not idx: continue
    rootn += n
    sub = frames[idx[0]:]
    seen = set()
    for f in sub:
        key = re.sub(r' \(/.*?/(odoo/addons/|addons/|odoo/)', ' (', f)
        key = re.sub(r':\d+\)$', ')', key)
        if key in seen: continue
        seen.add(key); incl[key] += n
print('total samples', tot, 'under', root, rootn)
for k, v in incl.most_common(int(focus[0]) if focus else 80):
    print(f'{v:6d} {100*v/rootn:5.1f}%  {k[:160]}')

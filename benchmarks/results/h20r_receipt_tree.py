import sys, collections, re
path, root, depth = sys.argv[1], sys.argv[2], int(sys.argv[3])
skip = re.compile(r'orm/|decorators|contextlib|tools/misc|environments|sql_db|api\.py|fields\.py|models\.py')
def norm(f):
    f = re.sub(r' \(/.*?/(odoo/addons/|addons/|odoo/)', ' (', f)
    return re.sub(r':\d+\)$', ')', f)
tree = collections.Counter(); rootn=0
for line in open(path):
    stack, _, n = line.rstrip().rpartition(' ')
    n = int(n); frames = [norm(f) for f in stack.split(';')]
    idx = [i for i, f in enumerate(frames) if root in f]
    if not idx: continue
    rootn += n
    sub = [f for f in frames[idx[0]+1:] if not skip.search(f.split('(')[-1]) ]
    for d in range(1, depth+1):
        tree[tuple(sub[:d])] += n
print('root', root, rootn)
def key(k):
    return [(-tree[k[:i]], k[:i]) for i in range(1, len(k)+1)]
for k in sorted(tree, key=key):
    if tree[k] >= rootn*0.01:
        print('  '*(len(k)-1) + f'{tree[k]:5d} {100*tree[k]/rootn:5.1f}% {k[-1][:110] if k else "self"}')

"""Investigation aid: regenerate the ground truth of one leak-bursts series of a gen2 split
and plot it.

    python3 bench/recognition/gen2/look_bursts.py SPLIT FILE OUT.png
    e.g. python3 bench/recognition/gen2/look_bursts.py study5555 dev-0350.csv /tmp/x.png

SPLIT is a directory under bench/recognition/gen2/out/ (any working directory will do);
FILE must be labelled pattern 'leak-bursts' (the series is rebuilt with leak.bursts from
its labels.json seed, which only means something for that pattern; other files are
refused, and so are the held-out and short splits, which only the lead scores). Prints the
span, the leak's total, the noise and the base level, then each burst as 'start-end h
+bytes kept' (hours since the series' first sample). Draws to OUT.png (1200x360): the CSV's
samples in black (min-max per pixel column), the generator's clean process (base, leak and
each burst's working set, before noise) in green, base + leak in red, hour ticks in blue
along the bottom.
"""
import sys, json, os
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from rng import Rng
import leak as L
from plot import png, read_csv
W,H=1200,360
def look(split, file, out):
    d=f'{HERE}/out/{split}'
    if split.startswith(('heldout', 'short')):
        sys.exit(f'{split}: the held-out and short splits are scored by the lead only')
    lab=next((v for v in json.load(open(d+'/labels.json'))['series'] if v['file']==file), None)
    if lab is None or lab['pattern']!='leak-bursts':
        sys.exit(f'{split}/{file}: not a leak-bursts series of the split')
    s=L.bursts(Rng(lab['seed']))
    ts,vs=read_csv(d+'/'+file)
    t0=lab['start_ts']; span=max(ts)-t0
    gt=[s.grid.t[i] for i in range(len(s.grid.t))]
    clean=s.clean; lk=s.leak
    base=min(clean)
    allv=vs+clean
    lo,hi=min(allv),max(allv)
    px=[255]*(W*H*3)
    def put(x,y,c):
        if 0<=x<W and 0<=y<H:
            i=(y*W+x)*3; px[i:i+3]=c
    def Y(v): return int((H-1)*(1-(v-lo)/(hi-lo+1e-9)))
    def X(t): return int((W-1)*t/span)
    cols={}
    for t,v in zip(ts,vs):
        x=X(t-t0); a=cols.get(x); cols[x]=(min(a[0],v),max(a[1],v)) if a else (v,v)
    for x,(a,b) in cols.items():
        for y in range(Y(b),Y(a)+1): put(x,y,(0,0,0))
    for t,c,l in zip(gt,clean,lk):
        put(X(t),Y(c),(0,170,0)); put(X(t),Y(base+l),(220,0,0))
    # hour ticks
    for h in range(int(span/3600)+1):
        for y in range(H-6,H): put(X(h*3600),y,(0,0,255))
    png(out,px,W,H)
    # print leak increments (bursts)
    steps=[];prev=0; ins=False
    for t,l in zip(gt,lk):
        if l>prev+1 and not ins: ins=True; st=t; sv=prev
        if ins and abs(l-prev)<1e-6: ins=False; steps.append((st/3600,t/3600,l-sv))
        prev=l
    if ins: steps.append((st/3600,gt[-1]/3600,lk[-1]-sv))
    print(file, 'span %.1fh leak_total %.3g noise_sd %.3g base %.3g'%(span/3600, lk[-1], lab['noise_sd'], base))
    for a,b,dv in steps: print('  burst %.2f-%.2fh +%.3g'%(a,b,dv))
if __name__=='__main__':
    if len(sys.argv)!=4:
        sys.exit(__doc__)
    look(sys.argv[1], sys.argv[2], sys.argv[3])

"""Float32 error of Winograd F(2x2,3x3) and F(4x4,3x3) (Lavin & Gray 2015 matrices) against a float64 direct
convolution, on DeepConvNet's real filters and the real activations of 50 MNIST test images (numpy emulation; the
products are summed by numpy in float32, not by the C# kernel's FMA chains). Why the C# kernel is F(2x2,3x3).
Usage: /usr/bin/python3 bench/reference/winograd_error.py DATA_DIR"""
import gzip, os, pickle, sys
import numpy as np
p = pickle.load(open(os.path.join(sys.argv[1], 'weights', 'deep_convnet_params.pkl'),'rb'))
with gzip.open(os.path.join(sys.argv[1], 'mnist', 't10k-images-idx3-ubyte.gz')) as f:
    imgs = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1,28,28)
N=50
x = (imgs[:N].astype(np.float32)/255.0)[:, :, :, None]  # NHWC
f23 = dict(BT=np.array([[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]],float),
           G=np.array([[1,0,0],[.5,.5,.5],[.5,-.5,.5],[0,0,1]]),
           AT=np.array([[1,1,1,0],[0,1,-1,-1]],float), m=2)
f43 = dict(BT=np.array([[4,0,-5,0,1,0],[0,-4,-4,1,1,0],[0,4,-4,-1,1,0],[0,-2,-1,2,1,0],[0,2,-1,-2,1,0],[0,4,0,-5,0,1]],float),
           G=np.array([[1/4,0,0],[-1/6,-1/6,-1/6],[-1/6,1/6,-1/6],[1/24,1/12,1/6],[1/24,-1/12,1/6],[0,0,1]]),
           AT=np.array([[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]],float), m=4)
def direct(x, W, b, pad):
    n,h,w,c = x.shape; fn = W.shape[0]
    xp = np.pad(x.astype(np.float64), ((0,0),(pad,pad),(pad,pad),(0,0)))
    oh = h+2*pad-2; ow = w+2*pad-2
    y = np.zeros((n,oh,ow,fn))
    for ky in range(3):
        for kx in range(3):
            y += np.einsum('nhwc,fc->nhwf', xp[:,ky:ky+oh,kx:kx+ow,:], W[:,:,ky,kx].astype(np.float64))
    return y + b
def wino(x, W, b, pad, F):
    m = F['m']; a = m+2
    BT = F['BT'].astype(np.float32); AT = F['AT'].astype(np.float32)
    n,h,w,c = x.shape; fn=W.shape[0]
    oh = h+2*pad-2; ow = w+2*pad-2
    th = -(-oh//m); tw = -(-ow//m)
    xp = np.zeros((n, th*m+2, tw*m+2, c), np.float32)
    xp[:, pad:pad+h, pad:pad+w, :] = x
    U = np.einsum('ij,fcjk,lk->ilcf', F['G'], W.astype(np.float64), F['G']).astype(np.float32)  # a,a,c,fn
    y = np.zeros((n, th*m, tw*m, fn), np.float32)
    for ty in range(th):
        for tx in range(tw):
            d = xp[:, ty*m:ty*m+a, tx*m:tx*m+a, :]  # n,a,a,c
            V = np.einsum('ij,njkc->nikc', BT, d).astype(np.float32)
            V = np.einsum('nikc,lk->nilc', V, BT).astype(np.float32)
            M = np.einsum('nilc,ilcf->nilf', V, U).astype(np.float32)
            Y = np.einsum('ij,njkf->nikf', AT, M).astype(np.float32)
            Y = np.einsum('nikf,lk->nilf', Y, AT).astype(np.float32)
            y[:, ty*m:ty*m+m, tx*m:tx*m+m, :] = Y
    return y[:, :oh, :ow, :] + b.astype(np.float32)
layers=[(1,False),(1,True),(1,False),(2,True),(1,False),(1,True)]
cur = x.astype(np.float64)
for l,(pad,pool) in enumerate(layers):
    W = p[f'W{l+1}']; b = p[f'b{l+1}']
    ref = direct(cur, W, b, pad)
    if l>0:
        xi = cur.astype(np.float32)
        for name,F in (('F(2x2,3x3)',f23),('F(4x4,3x3)',f43)):
            yw = wino(xi, W, b, pad, F)
            err = np.abs(yw-ref).max()
            print(f'conv{l+1} {name}: max|err| {err:.3g}  max|y| {np.abs(ref).max():.4g}  rel {err/np.abs(ref).max():.3g}')
    cur = np.maximum(ref, 0)
    if pool:
        n,h,w,c = cur.shape
        cur = cur.reshape(n,h//2,2,w//2,2,c).max(axis=(2,4))

"""PyTorch eager reference of bench/moe-layer's MoE layer on the GPU (issue 11, gpu-check's torch step).

Same layer as ../shared/anchors/moe_layer_torch.py (top-2 of 8 softmax-gated experts, T 2048, d 256,
h 512, index_select per expert and index_add back), but on CUDA and measuring what moeflow's bench
measures: one forward+backward (gradient of sum(y*r) w.r.t. the input and every parameter), no
optimiser update. Times are wall-clock with torch.cuda.synchronize() around each step; median of 20
after 5 warm-ups. Prints one JSON line.
"""
import json, statistics, sys, time
import torch

dev = torch.device('cuda')
torch.backends.cuda.matmul.allow_tf32 = False  # fp32 arithmetic, as WebGPU's
torch.backends.cudnn.allow_tf32 = False
T, d, h, E, K = 2048, 256, 512, 8, 2
g = torch.Generator(device=dev).manual_seed(0)
x = torch.randn(T, d, device=dev, generator=g, requires_grad=True)
r = torch.randn(T, d, device=dev, generator=g)
Wg = torch.nn.Parameter(torch.randn(d, E, device=dev, generator=g) * 0.02)
W1 = [torch.nn.Parameter(torch.randn(d, h, device=dev, generator=g) * 0.05) for _ in range(E)]
W2 = [torch.nn.Parameter(torch.randn(h, d, device=dev, generator=g) * 0.05) for _ in range(E)]
params = [x, Wg, *W1, *W2]


def step():
    logits = x @ Wg
    probs = torch.softmax(logits, -1)
    topi = torch.topk(logits, K, dim=-1).indices
    out = torch.zeros(T, d, device=dev)
    for e in range(E):
        tok, _slot = torch.nonzero(topi == e, as_tuple=True)
        if tok.numel() == 0:
            continue
        ye = torch.relu(x.index_select(0, tok) @ W1[e]) @ W2[e]
        out = out.index_add(0, tok, ye * probs[tok, e].unsqueeze(1))
    loss = (out * r).sum()
    grads = torch.autograd.grad(loss, params)
    return loss, grads


def timed(fn, warm=5, reps=20):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); torch.cuda.synchronize(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts), ts


med, ts = timed(step)
a = torch.randn(4096, 4096, device=dev); b = torch.randn(4096, 4096, device=dev)
mm, _ = timed(lambda: a @ b)
flops = 3 * (2 * T * K * (2 * d * h))
print(json.dumps({
    "torch": torch.__version__, "cuda": torch.version.cuda, "device": torch.cuda.get_device_name(0), "tf32": False,
    "moe_fwd_bwd": {"T": T, "d": d, "h": h, "E": E, "K": K, "medianMsPerStep": round(med * 1e3, 3),
                    "runsMs": [round(t * 1e3, 2) for t in ts], "effGFLOPs": round(flops / med / 1e9, 1)},
    "matmul_4096_fp32": {"ms": round(mm * 1e3, 3), "GFLOPs": round(2 * 4096 ** 3 / mm / 1e9, 1)},
}))

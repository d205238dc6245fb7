#!/usr/bin/env python3
"""Reference values for Sources/MithaiEngine/Indicators (IndicatorTests).

Written independently of the Swift code, straight from each formula, window by window (no
running sums): statistics.fmean / statistics.pstdev (exact-fraction based) and math.fsum.
Inputs: a seeded synthetic random walk (with a flat stretch and sessions) and the real AMZN
1-minute bars of 2012-06-21 from Datasets/derived/AMZN_2012-06-21_1min.csv.

Run from the repository root:
    python3 Tests/MithaiEngineTests/Fixtures/indicators/make_indicators.py
It rewrites indicators.json next to this script; CI only reads that file.
"""
import csv, json, math, os, statistics

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
NAN = float("nan")


def lcg(seed):
    state = seed
    while True:
        state = (6364136223846793005 * state + 1442695040888963407) % (1 << 64)
        yield (state >> 11) / float(1 << 53)


def synthetic():
    rnd = lcg(42)
    n = 80
    close, high, low, vol, side, qty, ts, session = [], [], [], [], [], [], [], []
    p = 100.0
    for i in range(n):
        step = (next(rnd) - 0.5) * 2.0
        if 30 <= i < 36:
            step = 0.0  # flat stretch: RSI/z-score edge cases
        p = round(p + step, 4)
        close.append(p)
        high.append(round(p + next(rnd), 4))
        low.append(round(p - next(rnd), 4))
        vol.append(round(1 + next(rnd) * 9, 3))
        u = next(rnd)
        side.append(1.0 if u < 0.45 else (-1.0 if u < 0.9 else 0.0))
        qty.append(round(0.1 + next(rnd) * 2, 3))
        ts.append(i * 1_000_000_000 + int(next(rnd) * 900_000_000))
        session.append(0 if i < 50 else 1)
    return dict(close=close, high=high, low=low, volume=vol, side=side, qty=qty, ts=ts, session=session)


def amzn():
    path = os.path.join(ROOT, "Datasets", "derived", "AMZN_2012-06-21_1min.csv")
    out = dict(close=[], high=[], low=[], volume=[])
    with open(path) as f:
        for row in csv.DictReader(f):
            out["close"].append(float(row["Close"]))
            out["high"].append(float(row["High"]))
            out["low"].append(float(row["Low"]))
            out["volume"].append(float(row["Volume"]))
    return out


def sma(x, n):
    return [statistics.fmean(x[i - n + 1:i + 1]) if i >= n - 1 else NAN for i in range(len(x))]


def ema(x, n, alpha=None):
    a = 2.0 / (n + 1) if alpha is None else alpha
    out = [NAN] * len(x)
    if len(x) < n:
        return out
    e = statistics.fmean(x[:n])
    out[n - 1] = e
    for i in range(n, len(x)):
        e = a * x[i] + (1 - a) * e
        out[i] = e
    return out


def wma(x, n):
    d = n * (n + 1) / 2
    return [math.fsum((k + 1) * x[i - n + 1 + k] for k in range(n)) / d if i >= n - 1 else NAN for i in range(len(x))]


def stddev(x, n):
    return [statistics.pstdev(x[i - n + 1:i + 1]) if i >= n - 1 else NAN for i in range(len(x))]


def bbands(x, n, k):
    m, s = sma(x, n), stddev(x, n)
    return [a + k * b for a, b in zip(m, s)], m, [a - k * b for a, b in zip(m, s)]


def zscore(x, n):
    m, s = sma(x, n), stddev(x, n)
    out = []
    for i in range(len(x)):
        if i < n - 1 or s[i] <= 1e-12 * max(1, abs(m[i])):
            out.append(NAN)
        else:
            out.append((x[i] - m[i]) / s[i])
    return out


def rvol(x, n):
    out = [NAN] * len(x)
    for i in range(n, len(x)):
        out[i] = math.sqrt(math.fsum(math.log(x[j] / x[j - 1]) ** 2 for j in range(i - n + 1, i + 1)))
    return out


def rsi(x, n):
    out = [NAN] * len(x)
    d = [x[i] - x[i - 1] for i in range(1, len(x))]
    if len(d) < n:
        return out
    g = statistics.fmean([max(v, 0) for v in d[:n]])
    l = statistics.fmean([max(-v, 0) for v in d[:n]])

    def value(g, l):
        if l == 0:
            return 50.0 if g == 0 else 100.0
        return 100 - 100 / (1 + g / l)
    out[n] = value(g, l)
    for i in range(n + 1, len(x)):
        v = d[i - 1]
        g = (g * (n - 1) + max(v, 0)) / n
        l = (l * (n - 1) + max(-v, 0)) / n
        out[i] = value(g, l)
    return out


def macd(x, fast, slow, signal):
    f, s = ema(x, fast), ema(x, slow)
    line = [a - b for a, b in zip(f, s)]
    start = max(fast, slow) - 1
    sig = [NAN] * len(x)
    tail = ema(line[start:], signal)
    for k, v in enumerate(tail):
        sig[start + k] = v
    return line, sig, [a - b for a, b in zip(line, sig)]


def atr(h, l, c, n):
    tr = [h[0] - l[0]] + [max(h[i] - l[i], abs(h[i] - c[i - 1]), abs(l[i] - c[i - 1])) for i in range(1, len(h))]
    return ema(tr, n, alpha=1.0 / n)


def vwap_session(p, v, session):
    out = []
    for i in range(len(p)):
        j = i
        while j > 0 and session[j - 1] == session[i]:
            j -= 1
        den = math.fsum(v[j:i + 1])
        out.append(math.fsum(p[k] * v[k] for k in range(j, i + 1)) / den if den != 0 else NAN)
    return out


def vwap_rolling(p, v, n):
    return [math.fsum(p[k] * v[k] for k in range(i - n + 1, i + 1)) / math.fsum(v[i - n + 1:i + 1]) if i >= n - 1 else NAN
            for i in range(len(p))]


def in_window(ts, i, w):
    return [k for k in range(i + 1) if ts[k] > ts[i] - w]


def vwap_time(p, v, ts, w):
    out = []
    for i in range(len(p)):
        if ts[i] - ts[0] < w:
            out.append(NAN)
            continue
        ks = in_window(ts, i, w)
        out.append(math.fsum(p[k] * v[k] for k in ks) / math.fsum(v[k] for k in ks))
    return out


def tfi_terms(ks, side, qty):
    b = math.fsum(qty[k] for k in ks if side[k] > 0)
    s = math.fsum(qty[k] for k in ks if side[k] < 0)
    return (b - s) / (b + s) if b + s > 0 else NAN


def tfi_rows(side, qty, n):
    return [tfi_terms(range(i - n + 1, i + 1), side, qty) if i >= n - 1 else NAN for i in range(len(side))]


def tfi_time(side, qty, ts, w):
    return [tfi_terms(in_window(ts, i, w), side, qty) if ts[i] - ts[0] >= w else NAN for i in range(len(side))]


def clean(xs):
    return [None if (isinstance(v, float) and math.isnan(v)) else v for v in xs]


def main():
    syn, real = synthetic(), amzn()
    cases = []

    def add(name, series, params, **outputs):
        cases.append(dict(name=name, series=series, params=params, outputs={k: clean(v) for k, v in outputs.items()}))

    for label, s in (("synthetic", syn), ("amzn", real)):
        c = s["close"]
        for n in (1, 5, 20):
            add("sma", label, dict(n=n), value=sma(c, n))
            add("ema", label, dict(n=n), value=ema(c, n))
            add("wma", label, dict(n=n), value=wma(c, n))
            add("stddev", label, dict(n=n), value=stddev(c, n))
        u, m, l = bbands(c, 20, 2.0)
        add("bbands", label, dict(n=20, k=2.0), upper=u, middle=m, lower=l)
        add("zscore", label, dict(n=20), value=zscore(c, 20))
        add("rvol", label, dict(n=10), value=rvol(c, 10))
        for n in (2, 14):
            add("rsi", label, dict(n=n), value=rsi(c, n))
        line, sig, hist = macd(c, 12, 26, 9)
        add("macd", label, dict(fast=12, slow=26, signal=9), line=line, signal=sig, histogram=hist)
        add("atr", label, dict(n=14), value=atr(s["high"], s["low"], c, 14))
        add("vwap_rolling", label, dict(n=10), value=vwap_rolling(c, s["volume"], 10))
    add("vwap_session", "synthetic", {}, value=vwap_session(syn["close"], syn["volume"], syn["session"]))
    add("vwap_time", "synthetic", dict(window=5_000_000_000), value=vwap_time(syn["close"], syn["volume"], syn["ts"], 5_000_000_000))
    add("tfi_rows", "synthetic", dict(n=8), value=tfi_rows(syn["side"], syn["qty"], 8))
    add("tfi_time", "synthetic", dict(window=4_000_000_000), value=tfi_time(syn["side"], syn["qty"], syn["ts"], 4_000_000_000))
    doc = dict(generator="make_indicators.py", series=dict(synthetic=syn, amzn=real), cases=cases)
    with open(os.path.join(HERE, "indicators.json"), "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()

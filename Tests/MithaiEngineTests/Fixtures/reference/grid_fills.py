#!/usr/bin/env python3
"""Reference fills of the grid market maker on hftbacktest 2.4.4, for the engine's parity tests.

Runs exactly bench_grid.py's strategy and configuration (no partial fills, risk-averse queue,
constant latency 10 ms / 10 ms, maker -0.5 bp, taker 7 bp, tick 0.1, lot 0.001, ROI vector
depth +-50% of the first price, decisions at t0 + k x 100 ms) and, at every step, collects the
orders that became FILLED since the previous step (before `clear_inactive_orders` drops them).

Prints one JSON object: the final summary (as bench_grid.py reports it) and every fill the
strategy saw, as rows [exchange timestamp, side (1/-1), price ticks, lots, maker (1/0), order id,
step timestamp at which the strategy first saw it].

Usage (after shared/bench/hftbacktest/setup.sh):
  /tmp/mithai-bench/venv/bin/python grid_fills.py DATA.npz > OUT.json
"""
import json
import sys

import numpy as np
from numba import njit, uint64
from numba.typed import Dict

sys.path.insert(0, '/work/shared/bench/hftbacktest')
from bench_common import make_asset, build, first_elapse  # noqa: E402
from hftbacktest import BUY, SELL, GTX, LIMIT, FILLED  # noqa: E402


@njit
def gridtrading(hbt, out, half_spread_ticks, grid_interval_ticks):
    a = 0
    tick = hbt.depth(a).tick_size
    levels = 20
    max_pos = 5
    step = tick * grid_interval_ticks
    half = tick * half_spread_ticks
    qty = 0.1
    n = 0
    steps = 0
    n_buy = 0
    n_sell = 0
    n_cancel = 0
    while hbt.elapse(100_000_000) == 0:
        steps += 1
        # fills seen for the first time at this step
        live0 = hbt.orders(a)
        it0 = live0.values()
        while it0.has_next():
            o = it0.get()
            if o.status == FILLED:
                out[n, 0] = o.exch_timestamp
                out[n, 1] = 1 if o.side == BUY else -1
                out[n, 2] = o.exec_price_tick
                out[n, 3] = int(round(o.exec_qty / 0.001))
                out[n, 4] = 1 if o.arr[0].maker else 0
                out[n, 5] = o.order_id
                out[n, 6] = hbt.current_timestamp
                n += 1
        hbt.clear_inactive_orders(a)
        book = hbt.depth(a)
        pos = hbt.position(a)
        live = hbt.orders(a)
        mid = (book.best_bid + book.best_ask) / 2.0
        top_bid = np.floor((mid - half) / step) * step
        top_ask = np.ceil((mid + half) / step) * step

        want_bids = Dict.empty(np.uint64, np.float64)
        if pos < max_pos and np.isfinite(top_bid):
            px = top_bid
            for _ in range(levels):
                want_bids[uint64(round(px / tick))] = px
                px -= step
        want_asks = Dict.empty(np.uint64, np.float64)
        if pos > -max_pos and np.isfinite(top_ask):
            px = top_ask
            for _ in range(levels):
                want_asks[uint64(round(px / tick))] = px
                px += step

        it = live.values()
        while it.has_next():
            o = it.get()
            if not o.cancellable:
                continue
            stale = (o.order_id not in want_bids) if o.side == BUY else (o.order_id not in want_asks)
            if stale:
                hbt.cancel(a, o.order_id, False)
                n_cancel += 1

        for oid, px in want_bids.items():
            if oid not in live:
                hbt.submit_buy_order(a, oid, px, qty, GTX, LIMIT, False)
                n_buy += 1
        for oid, px in want_asks.items():
            if oid not in live:
                hbt.submit_sell_order(a, oid, px, qty, GTX, LIMIT, False)
                n_sell += 1
    return n, steps, n_buy, n_sell, n_cancel


@njit
def final_state(hbt):
    d = hbt.depth(0)
    sv = hbt.state_values(0)
    return (hbt.position(0), sv.balance, sv.fee, sv.num_trades, sv.trading_volume,
            sv.trading_value, d.best_bid, d.best_ask, hbt.current_timestamp)


def main():
    path = sys.argv[1]
    with np.load(path) as z:
        data = z['data']
    px0 = float(data['px'][data['px'] > 0][0])
    asset = make_asset(path, tick_size=0.1, lot_size=0.001, queue='risk_adverse', entry_ns=10_000_000,
                       resp_ns=10_000_000, maker_fee=-0.00005, taker_fee=0.0007,
                       roi=(px0 * 0.5, px0 * 1.5), partial_fill=False)
    hbt = build('roivec', [asset])
    out = np.zeros((200_000, 7), np.int64)
    first_elapse(hbt)
    n, steps, n_buy, n_sell, n_cancel = gridtrading(hbt, out, 20.0, 10.0)
    pos, bal, fee, ntr, vol, val, bb, ba, ts = final_state(hbt)
    mid = (bb + ba) / 2.0
    # [exch_ts, side (1 buy, -1 sell), price ticks, lots, maker (1/0), order id, step seen at]
    fills = [[int(x) for x in r] for r in out[:n]]
    print(json.dumps({
        'data': path, 'steps': steps, 'submitted_buy': n_buy, 'submitted_sell': n_sell, 'cancels': n_cancel,
        'final_position': round(pos, 6), 'num_fills': int(ntr), 'balance': round(bal, 6), 'fee': round(fee, 6),
        'trading_volume': round(vol, 6), 'trading_value': round(val, 4), 'final_mid': mid, 'final_ts': int(ts),
        'pnl_gross_marked_to_mid': round(bal + pos * mid, 6), 'pnl_net_of_fees': round(bal + pos * mid - fee, 6),
        'fills_seen_by_strategy': len(fills),
        'fill_columns': ['exch_ts', 'side', 'price_tick', 'lots', 'maker', 'order_id', 'seen_at'],
        'fills': fills,
    }, separators=(',', ':')))


if __name__ == '__main__':
    main()
